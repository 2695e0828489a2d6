import type { Clock } from '../clock.js';
import type { Bridge, EndpointStats, MediaEngine, RecordingResult } from '../media/engine.js';
import type { UasSession } from '../sip/uas.js';
import type { CalleeLeg, Dialing } from './dialer.js';
import type { MediaLeg } from './media-leg.js';
import { type HangupCause, sipStatusOfCause } from './q850.js';
import type { CallEnd, CallRecord, HangupBy, QueueStat } from './records.js';
import { type CallState, CallStateMachine } from './state.js';

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
 * answered, bridged through the media engine. Its state machine (src/calls/state.ts) is the one owner of where the
 * call stands: every change below is a transition, and a late event a transition refuses (an answer after the
 * hang-up, a second hang-up) does nothing. It ends exactly once; whoever ends it first decides the cause.
 */
export class Call {
  b?: Side;
  readonly machine: CallStateMachine;
  private bridge?: Bridge;
  private dialing?: Dialing;
  private readonly endHooks: ((e: CallEnd) => void)[] = [];

  constructor(
    private readonly media: MediaEngine,
    readonly record: CallRecord,
    readonly a: Side,
    clock: Clock,
  ) {
    this.machine = new CallStateMachine(() => clock.now());
  }

  get state(): CallState {
    return this.machine.state;
  }

  get callId(): string {
    return this.record.callId;
  }

  get tenantId(): number {
    return this.record.start.tenantId;
  }

  get ended(): boolean {
    return this.machine.ended;
  }

  /** The caller waits in a queue (entered, or back after an offer nobody took). */
  queued(): void {
    this.machine.to('queued');
  }

  /** A queued caller is being offered to an agent (one or more phones ring). */
  offering(): void {
    this.machine.to('offering');
  }

  /** The queue the call is counted in from now on (set when it enters or an agent of that queue answers). */
  inQueue(queueId: number): void {
    this.record.queueId = queueId;
  }

  /** The ACD's final word on the queued part of the call, written with the call's end. */
  queueFinished(queueId: number, stat: QueueStat): void {
    this.record.queueId = queueId;
    this.record.queueStat = stat;
  }

  onEnd(hook: (e: CallEnd) => void): void {
    this.endHooks.push(hook);
  }

  /** The attempt now ringing B (replaced by the next attempt, cleared on answer). */
  attempt(d: Dialing | undefined): void {
    this.dialing = d;
    if (d) this.machine.to('offering');
  }

  /** B answered: bridge the two media legs; the record counts the call as answered. */
  connect(b: Side, agentId: number | null): void {
    if (this.state === 'routing' || this.state === 'queued') this.machine.to('offering');
    if (!this.machine.to('bridged')) return b.hangup();
    this.dialing = undefined;
    this.b = b;
    this.a.media.endpoint.stopMoh();
    this.bridge = this.media.bridge(this.a.media.endpoint, b.media.endpoint, { onDtmf: this.dtmf });
    this.record.answered(agentId);
  }

  /** The media bridge of the answered call (monitoring and recording control reach the media through it). */
  get mediaBridge(): Bridge | undefined {
    return this.ended ? undefined : this.bridge;
  }

  /**
   * Record the bridged call from now on (stereo, caller left): a recorder joins the live bridge. `open` creates the recording's row and file path; `done` completes it.
   */
  async startRecording(
    open: () => Promise<{ id: number; path: string }>,
    done: (id: number, r: RecordingResult) => Promise<void>,
  ): Promise<void> {
    if (this.ended || !this.b || !this.bridge) return;
    const rec = await open();
    if (this.ended || !this.b || !this.bridge) return;
    // Into the live bridge: no re-bridge, so the relay never gaps and a supervisor's monitor stays joined.
    if (!this.bridge.record({ path: rec.path, callerIsA: true })) return;
    this.record.recordingId = rec.id;
    this.onRecording = (r) => void done(rec.id, r);
  }

  /** Side A is the caller's (the recording's left channel); digits are announced by the record. */
  private readonly dtmf = (from: 'a' | 'b', digit: string, durationMs: number): void =>
    this.record.dtmf(from === 'a' ? 'caller' : 'agent', digit, durationMs);

  /** One side put the other on hold (or took it off): the held side hears music instead of silence. */
  holdChanged(from: Side): void {
    const other = from === this.a ? this.b : this.a;
    if (!other || this.ended) return;
    if (from.media.onHold) other.media.endpoint.startMoh();
    else other.media.endpoint.stopMoh();
    const held = this.a.media.onHold || (this.b?.media.onHold ?? false);
    if (this.state === 'bridged' || this.state === 'held') this.machine.to(held ? 'held' : 'bridged');
  }

  /** End the call: hang up whichever sides are still up, stop media, close the record. */
  end(
    cause: HangupCause,
    by: HangupBy,
    opts: { sipCode?: number | null; reason?: string | null; from?: Side } = {},
  ): void {
    if (!this.machine.to('ended')) return;
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
