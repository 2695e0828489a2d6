import type { Clock } from '../clock.js';
import type { TransferBy, TransferEntry } from '../domain/call-transfers.js';
import type { Bridge, EndpointStats, Media, RecordingResult } from '../media/engine.js';
import type { CalleeLeg, Dialing } from './dialer.js';
import { DialledSide, type Side } from './side.js';
import type { MediaLeg } from './media-leg.js';
import { type HangupCause, sipStatusOfCause } from './q850.js';
import type { CallEnd, CallRecord, HangupBy, QueueStat } from './records.js';
import { type CallState, CallStateError, CallStateMachine } from './state.js';

/** Where a transfer goes, as its history entry names it. */
export type TransferTo = Pick<TransferEntry, 'toKind' | 'toAgentId' | 'toQueueId' | 'toNumber' | 'to'>;

export { type Side, DialledSide, calleeSide, uasSide } from './side.js';

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
  /** B's early media (183 with SDP) relayed to A before B answers. */
  private early?: Bridge;
  private dialing?: Dialing;
  /** Held through the API (both sides hear hold music), beside holds the phones ask for by re-INVITE. */
  private heldByApi = false;
  private readonly endHooks: ((e: CallEnd) => void)[] = [];

  /** Side A (replaced only by the transfer of an outbound call, whose agent is side A). */
  private sideA: Side;

  constructor(
    private readonly media: Pick<Media, 'bridge'>,
    readonly record: CallRecord,
    a: Side,
    private readonly clock: Clock,
  ) {
    this.sideA = a;
    this.agentOnA = record.start.callerAgentId ?? null;
    this.machine = new CallStateMachine(() => clock.now());
  }

  get a(): Side {
    return this.sideA;
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

  /** An IVR flow answers the caller (src/calls/ivr-flow.ts); a hang-up from here on is recorded as `IVR`. */
  enterIvr(): boolean {
    if (!this.machine.to('ivr')) return false;
    this.record.inIvr = true;
    return true;
  }

  /** The flow routed the caller on (a queue, a ringing destination): digits stop going to it. */
  leaveIvr(): void {
    this.record.inIvr = false;
    this.listenDigits(null);
  }

  private digitListener: ((digit: string) => void) | null = null;

  /**
   * Hear side A's digits while no bridge carries them (the IVR collects them): RFC 4733 from the caller's
   * endpoint and SIP INFO from the session (infoDigit). Each is still announced as `call.dtmf`.
   */
  listenDigits(l: ((digit: string) => void) | null): void {
    this.digitListener = l;
    this.a.media.endpoint.onDtmf(l ? (digit, ms) => this.callerDigit(digit, ms) : null);
  }

  /** A digit side A sent by SIP INFO (application/dtmf-relay). */
  infoDigit(digit: string, durationMs: number): void {
    if (this.ended) return;
    if (this.digitListener) this.callerDigit(digit, durationMs);
    else this.dtmf('a', digit, durationMs);
  }

  private callerDigit(digit: string, durationMs: number): void {
    this.record.dtmf('caller', digit, durationMs);
    this.digitListener?.(digit);
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

  /** Click-to-call's side A (a DialledSide) answered: attach its leg; its attempt is over. */
  firstLegAnswered(leg: CalleeLeg): Side {
    if (!(this.a instanceof DialledSide)) throw new Error('side A of this call was not dialled by tongdai');
    this.a.attach(leg);
    this.dialing = undefined;
    return this.a;
  }

  /** Ringback while B rings, for a side A that is already answered (click-to-call's agent). */
  ringback(wavPath: string): void {
    if (!this.ended && !this.b && !this.early) this.a.media.endpoint.startMoh(wavPath);
  }

  /** B sent early media (a 183 with SDP): A hears it until B answers (ringback, carrier announcements). */
  earlyMedia(b: MediaLeg): void {
    if (this.ended || this.b || this.early) return;
    this.early = this.media.bridge(this.a.media.endpoint, b.endpoint);
  }

  /** B answered: bridge the two media legs; the record counts the call as answered. */
  connect(b: Side, agentId: number | null): void {
    if (this.state === 'routing' || this.state === 'ivr' || this.state === 'queued')
      this.machine.to('offering');
    if (!this.machine.to('bridged')) return b.hangup();
    this.dialing = undefined;
    this.b = b;
    this.early = undefined;
    this.a.media.endpoint.stopMoh();
    this.bridge = this.media.bridge(this.a.media.endpoint, b.media.endpoint, { onDtmf: this.dtmf });
    const t = this.record.transfers.at(-1);
    if (t?.outcome === 'queued') {
      // The queue a transfer sent the caller to answered: the call is counted for its agent from now on.
      this.settled(t, 'done', null, agentId);
      this.record.reassigned(agentId);
      this.record.transferred(t, 'blind');
    } else this.record.answered(agentId);
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
    paused = false,
  ): Promise<void> {
    // Already recording (e.g. a transfer carried the recording on): no second row and file.
    if (this.ended || !this.b || !this.bridge || this.bridge.recordingState !== 'off') return;
    const rec = await open();
    if (this.ended || !this.b || !this.bridge) return;
    // Into the live bridge: no re-bridge, so the relay never gaps and a supervisor's monitor stays joined.
    if (!this.bridge.record({ path: rec.path, callerIsA: true })) return;
    if (paused) this.bridge.pauseRecording();
    this.record.recordingId = rec.id;
    this.recorder = { open, done };
    this.onRecording = (r) => void done(rec.id, r);
  }

  /** Where the running recording's files come from: a transfer starts the next segment's file with them. */
  private recorder?: {
    open: () => Promise<{ id: number; path: string }>;
    done: (id: number, r: RecordingResult) => Promise<void>;
  };

  /** Side A is the caller's (the recording's left channel); digits are announced by the record. */
  private readonly dtmf = (from: 'a' | 'b', digit: string, durationMs: number): void =>
    this.record.dtmf(from === 'a' ? 'caller' : 'agent', digit, durationMs);

  /** One side put the other on hold (or took it off): the held side hears music instead of silence. */
  holdChanged(from: Side): void {
    if (this.handedOver?.side === from) return this.handedOver.to.holdChanged(from);
    if (from !== this.a && from !== this.b) return;
    const other = from === this.a ? this.b : this.a;
    if (!other || this.ended) return;
    if (from.media.onHold) other.media.endpoint.startMoh();
    else if (!this.heldByApi) other.media.endpoint.stopMoh();
    this.settleHold();
  }

  /** Hold through the API: both sides hear hold music (neither hears the other) until `resume`. */
  hold(): void {
    // Only a bridged call: `transferring → held` is the machine's way back from a failed transfer, not a hold.
    if (this.state !== 'bridged') throw new CallStateError(this.state, 'hold');
    this.machine.to('held');
    this.heldByApi = true;
    this.a.media.endpoint.startMoh();
    this.b?.media.endpoint.startMoh();
  }

  /** Take an API hold off; a hold a phone asked for (re-INVITE) stays until that phone takes it off. */
  resume(): void {
    if (this.state !== 'held' || !this.heldByApi) {
      throw new CallStateError(this.state, this.state === 'held' ? 'resume (held by a phone)' : 'resume');
    }
    this.heldByApi = false;
    const b = this.b;
    if (!b?.media.onHold) this.a.media.endpoint.stopMoh();
    if (!this.a.media.onHold) b?.media.endpoint.stopMoh();
    this.settleHold();
  }

  /**
   * One side's phone hung up. Side B leaving while its transfer rings is a blind transfer's normal course (the
   * caller waits for the new side); a side the call no longer has (B after a transfer) changes nothing; anything
   * else ends the call.
   */
  legHungUp(side: Side, by: HangupBy): void {
    if (this.handedOver?.side === side) return this.handedOver.to.legHungUp(side, by);
    if (side !== this.a && side !== this.b) return;
    const transferring = this.state === 'transferring' || this.transferAsked;
    if (transferring && side === this.b && this.leaving === 'b') {
      this.b = undefined;
      return;
    }
    // The agent of an outbound call hung up after asking for its transfer: the customer waits for the new side.
    if (transferring && side === this.a && this.leaving === 'a') {
      this.aLeft = true;
      return;
    }
    this.end('NORMAL_CLEARING', by, { from: side });
  }

  /** Which side a transfer replaces: B (the agent of an inbound or internal call) or A (an agent who placed it). */
  private leaving: 'a' | 'b' = 'b';
  /** The agent on side A (who placed the call; after a transfer of side A, the one who took it over). */
  private agentOnA: number | null;
  /** Side A hung up while its transfer rang. */
  private aLeft = false;

  /** The side that stays (and hears hold music) while a transfer rings. */
  private get staying(): Side | undefined {
    return this.leaving === 'a' ? this.b : this.a;
  }

  /**
   * The agent who hands the call over when `side` is transferred: side A's agent (who placed the call), or the
   * call's agent for side B.
   */
  transferringAgent(side: 'a' | 'b'): number | null {
    return side === 'a' ? this.agentOnA : this.record.agentId;
  }

  /** Transfers of this call so far, oldest first (the native API lists them; the record stores them). */
  get transfers(): readonly TransferEntry[] {
    return this.record.transfers;
  }
  private readonly transferHooks: ((fromAgentId: number | null) => void)[] = [];

  /** Hooks run when a transfer completed (the flows release the agent who transferred the call). */
  onTransferred(hook: (fromAgentId: number | null) => void): void {
    this.transferHooks.push(hook);
  }

  /** A phone asked for a transfer (REFER accepted) whose destination is still being looked up. */
  private transferAsked = false;

  /**
   * The agent's phone asked for a transfer (REFER answered 202): until it rings (beginTransfer) or is refused
   * (transferRefused), B hanging up (as phones do right after the 202) leaves the caller waiting for it.
   */
  transferRequested(): void {
    if (!this.ended) this.transferAsked = true;
  }

  /** The asked transfer was refused before ringing: the call stays with B, or ends when B already left. */
  transferRefused(reason: string): void {
    if (!this.transferAsked) return;
    this.transferAsked = false;
    if (!this.ended && !this.b && this.state !== 'transferring') {
      this.end('NORMAL_CLEARING', 'callee', { reason });
    }
  }

  /** Told once how the transfer now ringing ended (a REFER's NOTIFY): done, or failed with a SIP status. */
  private transferWatch?: (outcome: 'done' | 'failed', status: number) => void;

  /**
   * Begin a blind transfer of side B to `to`: the caller hears hold music while the new side rings. `watch`
   * hears the outcome before anything else happens (the transferring phone is told before it is hung up).
   */
  beginTransfer(
    to: TransferTo,
    by: TransferBy,
    watch?: (outcome: 'done' | 'failed', status: number) => void,
    leaving: 'a' | 'b' = 'b',
  ): void {
    this.machine.require('transferring', 'transfer');
    this.leaving = leaving;
    this.aLeft = false;
    this.transferAsked = false;
    this.record.transfers.push({
      at: this.clock.now(),
      fromAgentId: this.transferringAgent(leaving),
      ...to,
      by,
      outcome: 'ringing',
      status: null,
      settledAt: null,
    });
    this.transferWatch = watch;
    this.staying?.media.endpoint.startMoh();
  }

  private settleTransfer(outcome: 'done' | 'failed', status: number): void {
    const w = this.transferWatch;
    this.transferWatch = undefined;
    w?.(outcome, status);
  }

  /**
   * The transfer's new side answered: it replaces B (hung up if still there), the caller is bridged to it and the
   * call is counted for its agent from now on. A recording running until now ends here.
   */
  completeTransfer(c: Side, agentId: number | null, kind: 'blind' | 'attended' = 'blind'): void {
    if (!this.machine.to('bridged')) return c.hangup();
    const t = this.record.transfers.at(-1);
    if (t) this.settled(t, 'done', null, agentId);
    this.settleTransfer('done', 200);
    let old: Side | undefined;
    if (this.leaving === 'a') {
      old = this.aLeft ? undefined : this.sideA;
      this.sideA = c;
      this.aLeft = false;
    } else {
      old = this.b;
      this.b = c;
    }
    this.dialing = undefined;
    old?.hangup();
    this.staying?.media.endpoint.stopMoh();
    const prev = this.bridge;
    // A recording running until now ends with this segment; the next segment (the new side) gets a file of its
    // own on the same call, paused if it was paused.
    const segment = this.onRecording && prev && prev.recordingState !== 'off' ? this.recorder : undefined;
    const paused = prev?.recordingState === 'paused';
    this.bridge = this.b
      ? this.media.bridge(this.a.media.endpoint, this.b.media.endpoint, { onDtmf: this.dtmf })
      : undefined;
    const finish = this.onRecording;
    this.onRecording = undefined;
    this.recorder = undefined;
    if (segment) void this.startRecording(segment.open, segment.done, paused);
    const replacedA = this.leaving === 'a' ? old : undefined;
    void prev?.stop().then((r) => {
      if (r.recording) finish?.(r.recording);
      // Side A's endpoint is closed by the call's end only for the side A it then has.
      replacedA?.media.endpoint.close();
    });
    if (this.leaving === 'a') this.agentOnA = agentId;
    // The record counts the call for its agent side: A of an outbound call, B otherwise (an internal call whose
    // caller handed it over keeps its callee as the call's agent).
    const agentSide = this.record.start.direction === 'outbound' ? 'a' : 'b';
    // Written to the call row at once (not only with the end): recovery and other nodes see who has the call now.
    if (this.leaving === agentSide) this.record.reassigned(agentId);
    if (t) this.record.transferred(t, kind);
    for (const h of this.transferHooks) h(t?.fromAgentId ?? null);
  }

  private settled(
    t: TransferEntry,
    outcome: 'done' | 'failed',
    status: number | null,
    agentId?: number | null,
  ) {
    t.outcome = outcome;
    t.status = status;
    t.settledAt = this.clock.now();
    if (agentId !== undefined && agentId !== null) t.toAgentId = agentId;
  }

  /**
   * Blind transfer to a queue: B is released at once (hung up, its agent's hooks run: a queue call's agent goes
   * to wrap-up) and the caller goes back to `queued`, waiting for the queue's agents (QueueFlow.transferIn). The
   * transfer is `queued` until one of them answers (`connect` then marks it done and announces it), `failed` if
   * the call ends first.
   */
  queueTransfer(
    to: TransferTo,
    by: TransferBy,
    watch?: (outcome: 'done' | 'failed', status: number) => void,
  ) {
    this.beginTransfer(to, by, watch);
    const t = this.record.transfers.at(-1)!;
    t.outcome = 'queued';
    // The phone hears 200 before it is hung up: the queue took the caller.
    this.settleTransfer('done', 200);
    const old = this.b;
    this.b = undefined;
    this.dialing = undefined;
    old?.hangup();
    const prev = this.bridge;
    this.bridge = undefined;
    const finish = this.onRecording;
    this.onRecording = undefined;
    this.recorder = undefined;
    void prev?.stop().then((r) => {
      if (r.recording) finish?.(r.recording);
      old?.media.endpoint.close();
    });
    this.machine.to('queued');
    for (const h of this.transferHooks) h(t.fromAgentId);
  }

  /** A side this call gave to another by an attended transfer: its leg's hang-up and holds now act there. */
  private handedOver?: { side: Side; to: Call };

  /**
   * Attended transfer (REFER with Replaces, RFC 3891): side B of `consult` (the agent the transferring agent
   * consulted) replaces B of this call, whose caller is bridged to it; the consultation call ends (its side A, the
   * transferring phone's second dialog, is hung up) and its B keeps its media, now in this call.
   */
  takeOver(
    consult: Call,
    label: string,
    watch?: (outcome: 'done' | 'failed', status: number) => void,
    leaving: 'a' | 'b' = 'b',
  ): Side {
    const c = consult.b;
    if (consult.state !== 'bridged' && consult.state !== 'held') {
      throw new CallStateError(consult.state, 'attended transfer (consultation call)');
    }
    if (!c || consult === this)
      throw new CallStateError(consult.state, 'attended transfer (consultation call)');
    if (this.state !== 'bridged' && this.state !== 'held') throw new CallStateError(this.state, 'transfer');
    const to = consult.record.agentId;
    this.beginTransfer(
      { toKind: 'agent', toAgentId: to, toQueueId: null, toNumber: null, to: label },
      'attended',
      watch,
      leaving,
    );
    consult.handedOver = { side: c, to: this };
    consult.b = undefined;
    consult.end('NORMAL_CLEARING', 'system', {
      reason: 'attended transfer: the consulted agent took the caller',
    });
    this.completeTransfer(c, consult.record.agentId, 'attended');
    return c;
  }

  /** The transfer's new side did not answer: back to B, or the call ends when B already left. */
  failTransfer(status: number): void {
    if (this.state !== 'transferring') return;
    const t = this.record.transfers.at(-1);
    if (t) this.settled(t, 'failed', status);
    this.settleTransfer('failed', status);
    this.dialing = undefined;
    if (this.leaving === 'a' ? this.aLeft : !this.b) {
      return this.end('NORMAL_CLEARING', 'system', {
        sipCode: status,
        reason: 'transfer target did not answer',
      });
    }
    this.machine.to('bridged');
    this.staying?.media.endpoint.stopMoh();
    this.settleHold();
  }

  /** Hang up through the API (or a supervisor): refused once the call has ended. */
  hangup(reason = 'hung up through the API'): void {
    if (this.ended) throw new CallStateError(this.state, 'hangup');
    this.end('NORMAL_CLEARING', 'system', { reason });
  }

  private settleHold(): void {
    const held = this.heldByApi || this.a.media.onHold || (this.b?.media.onHold ?? false);
    if (this.state === 'bridged' || this.state === 'held') this.machine.to(held ? 'held' : 'bridged');
  }

  /** End the call: hang up whichever sides are still up, stop media, close the record. */
  end(
    cause: HangupCause,
    by: HangupBy,
    opts: { sipCode?: number | null; reason?: string | null; from?: Side } = {},
  ): void {
    const wasTransferring = this.state === 'transferring';
    if (!this.machine.to('ended')) return;
    if (wasTransferring) this.settleTransfer('failed', 487);
    // A transfer still ringing (or a caller still waiting in the target queue) did not reach anyone.
    const t = this.record.transfers.at(-1);
    if (t?.outcome === 'ringing') this.settled(t, 'failed', 487);
    else if (t?.outcome === 'queued') this.settled(t, 'failed', null);
    const e: CallEnd = { cause, by, sipCode: opts.sipCode ?? null, reason: opts.reason ?? null };
    this.dialing?.cancel();
    for (const side of [this.aLeft ? undefined : this.a, this.b]) {
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
    void this.early?.stop();
    const result = this.bridge ? await this.bridge.stop() : {};
    this.a.media.endpoint.close();
    this.b?.media.endpoint.close();
    if (result.recording) this.onRecording?.(result.recording);
  }

  private onRecording?: (r: RecordingResult) => void;
}
