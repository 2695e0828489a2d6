import type { Bridge, EndpointStats, MediaEngine, RecordingResult } from '../media/engine.js';
import type { UasSession } from '../sip/uas.js';
import type { CalleeLeg, Dialing } from './dialer.js';
import type { MediaLeg } from './media-leg.js';
import { type HangupCause, sipStatusOfCause } from './q850.js';
import type { CallEnd, CallRecord, HangupBy } from './records.js';

/** One side of a call as the call sees it: anchored media and a way to hang it up. */
export interface Side {
  readonly media: MediaLeg;
  /** Hang up: BYE when answered, else refuse/cancel (with `status` for a refused incoming call). */
  hangup(status?: number): void;
  readonly answered: boolean;
}

export function uasSide(session: UasSession, media: MediaLeg): Side {
  return {
    media,
    hangup: (status) => session.hangup(status),
    get answered() {
      return session.state === 'confirmed';
    },
  };
}

export function calleeSide(leg: CalleeLeg): Side {
  return { media: leg.media, hangup: () => leg.session.bye(), answered: true };
}

/**
 * A call: side A (who called, or the agent of a click-to-call), an outgoing attempt in progress, and side B once
 * answered, bridged through the media engine. It ends exactly once; whoever ends it first decides the cause.
 */
export class Call {
  b?: Side;
  private bridge?: Bridge;
  private dialing?: Dialing;
  private readonly endHooks: ((e: CallEnd) => void)[] = [];

  constructor(
    private readonly media: MediaEngine,
    readonly record: CallRecord,
    readonly a: Side,
  ) {}

  get callId(): string {
    return this.record.callId;
  }

  get tenantId(): number {
    return this.record.start.tenantId;
  }

  get ended(): boolean {
    return this.finished;
  }

  private finished = false;

  onEnd(hook: (e: CallEnd) => void): void {
    this.endHooks.push(hook);
  }

  /** The attempt now ringing B (replaced by the next attempt, cleared on answer). */
  attempt(d: Dialing | undefined): void {
    this.dialing = d;
  }

  /** B answered: bridge the two media legs; the record counts the call as answered. */
  connect(b: Side, agentId: number | null): void {
    if (this.ended) return b.hangup();
    this.dialing = undefined;
    this.b = b;
    this.a.media.endpoint.stopMoh();
    this.bridge = this.media.bridge(this.a.media.endpoint, b.media.endpoint, {
      callId: this.callId,
      tenantId: this.tenantId,
    });
    this.record.answered(agentId);
  }

  /**
   * Record the bridged call from now on (stereo, caller left): the bridge is re-made with a recorder, which
   * costs a few milliseconds of relay. `open` creates the recording's row and file path; `done` completes it.
   */
  async startRecording(
    open: () => Promise<{ id: number; path: string }>,
    done: (id: number, r: RecordingResult) => Promise<void>,
  ): Promise<void> {
    if (this.ended || !this.b || !this.bridge) return;
    const rec = await open();
    if (this.ended || !this.b || !this.bridge) return;
    await this.bridge.stop();
    if (this.ended) return;
    this.bridge = this.media.bridge(this.a.media.endpoint, this.b.media.endpoint, {
      callId: this.callId,
      tenantId: this.tenantId,
      record: { path: rec.path, callerIsA: true },
    });
    this.record.recordingId = rec.id;
    this.onRecording = (r) => void done(rec.id, r);
  }

  /** One side put the other on hold (or took it off): the held side hears music instead of silence. */
  holdChanged(from: Side): void {
    const other = from === this.a ? this.b : this.a;
    if (!other) return;
    if (from.media.onHold) other.media.endpoint.startMoh();
    else other.media.endpoint.stopMoh();
  }

  /** End the call: hang up whichever sides are still up, stop media, close the record. */
  end(
    cause: HangupCause,
    by: HangupBy,
    opts: { sipCode?: number | null; reason?: string | null; from?: Side } = {},
  ): void {
    if (this.finished) return;
    this.finished = true;
    const e: CallEnd = { cause, by, sipCode: opts.sipCode ?? null, reason: opts.reason ?? null };
    this.dialing?.cancel();
    for (const side of [this.a, this.b]) {
      if (side && side !== opts.from) side.hangup(sipStatusOfCause(cause));
    }
    void this.finishMedia();
    // Hooks first: the flows' last words (queue statistics) belong in the final record.
    for (const h of this.endHooks) h(e);
    this.record.end(e);
  }

  /** Packet counters of both legs, taken when the call ended (tests and diagnostics). */
  mediaStats?: { a: EndpointStats; b: EndpointStats | null };

  private async finishMedia(): Promise<void> {
    this.mediaStats = { a: this.a.media.endpoint.stats(), b: this.b?.media.endpoint.stats() ?? null };
    const result = this.bridge ? await this.bridge.stop() : {};
    this.a.media.endpoint.close();
    this.b?.media.endpoint.close();
    if (result.recording) this.onRecording?.(result.recording);
  }

  private onRecording?: (r: RecordingResult) => void;
}
