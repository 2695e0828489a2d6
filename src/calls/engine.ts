import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Media } from '../media/engine.js';
import type { DialogRegistry } from '../sip/dialogs.js';
import { dialledNumber, parseNameAddr, parseUri } from '../sip/headers.js';
import { type SipRequest, makeResponse } from '../sip/message.js';
import type { SipStack } from '../sip/stack.js';
import type { ServerTransaction } from '../sip/transactions.js';
import { UasSession } from '../sip/uas.js';
import { isWebSocket } from '../sip/transport.js';
import { dtmfOfInfo } from '../sip/dtmf-info.js';
import type { CallTenant } from '../domain/call-store.js';
import { Call, type Side, uasSide } from './call.js';
import type { DialBDeps } from './dial-b.js';
import type { CallLimits } from './limits.js';
import { MediaLeg } from './media-leg.js';
import { CallRecord, type CallStart, type RecordDeps } from './records.js';

/** What the live-call table needs: admission caps, records, side A's SIP session and media, a clock, a logger. */
export interface CallCoreDeps {
  records: RecordDeps;
  limits: Pick<CallLimits, 'admit' | 'hold'>;
  media: Pick<Media, 'allocate' | 'bridge'>;
  stack: SipStack;
  registry: DialogRegistry;
  clock: Clock;
  logger: Logger;
}

/** An incoming INVITE turned into side A of a call, not yet answered. */
export interface Incoming {
  call: Call;
  session: UasSession;
  side: Side;
  /** Our SDP answer to the caller's offer, sent with the 200 when the call is answered. */
  answerSdp: string;
}

/** The caller's number as the From user part (or the display name when there is no user part). */
export function callerNumberOf(req: SipRequest): string {
  const from = parseNameAddr(req.headers.get('from') ?? '');
  return parseUri(from.uri)?.user ?? from.display ?? 'anonymous';
}

/**
 * Common machinery of every call flow: admission (caps), the call record, side A from an INVITE with its
 * anchored media, and the table of live calls (how a call is found by id: `calls.get(callId)`).
 */
export class CallCore {
  readonly calls = new Map<string, Call>();
  /** The last ended calls (bounded), for diagnostics and tests. */
  readonly recent = new Map<string, Call>();
  /** Side A's INVITE of calls that came in as one (a transfer to a queue puts the caller back in the ACD with it). */
  private readonly incomings = new WeakMap<Call, Incoming>();

  /**
   * Transfers asked by side A's phone (an in-dialog REFER on tongdai's UAS leg: an agent who placed the call);
   * bound by the composition root with the legs' (src/calls/refer.ts). Without it such a REFER gets 405.
   */
  refer?: DialBDeps['refer'];

  constructor(private readonly d: CallCoreDeps) {}

  /** A live call of `tenantId` by id (another tenant's call is not found). */
  get(tenantId: number, callId: string): Call | undefined {
    const c = this.calls.get(callId);
    return c && c.tenantId === tenantId ? c : undefined;
  }

  /** Whether a live call of this node involves the agent: its agent now, its caller or callee, or a transfer's. */
  involves(tenantId: number, agentId: number): boolean {
    for (const c of this.calls.values()) {
      if (c.tenantId !== tenantId || c.ended) continue;
      const r = c.record;
      if (r.agentId === agentId || r.start.callerAgentId === agentId || r.start.calleeAgentId === agentId)
        return true;
      if (r.transfers.some((t) => t.toAgentId === agentId || t.fromAgentId === agentId)) return true;
    }
    return false;
  }

  /** A live or recently ended call of `tenantId` (an action on it then names the state `ended`, even while
   * its record's end is still being written). */
  getOrRecent(tenantId: number, callId: string): Call | undefined {
    const c = this.calls.get(callId) ?? this.recent.get(callId);
    return c && c.tenantId === tenantId ? c : undefined;
  }

  /** The tenant's live calls, oldest first. */
  live(tenantId: number): Call[] {
    return [...this.calls.values()].filter((c) => c.tenantId === tenantId);
  }

  /** A new call record (created now, announced as `call.created`). */
  newRecord(start: CallStart): CallRecord {
    return new CallRecord(this.d.records, start);
  }

  /** A call of side A (created in state `routing`). */
  newCall(record: CallRecord, a: Side): Call {
    return new Call(this.d.media, record, a, this.d.clock);
  }

  /** Admit a new call of `tenant` or refuse it: a SIP error and a call record carrying the reason. */
  admit(tenant: CallTenant, start: CallStart, tx?: ServerTransaction): (() => void) | null {
    const refusal = this.d.limits.admit(tenant);
    if (!refusal) return this.d.limits.hold(tenant.id);
    this.refuse(start, refusal.status, refusal.cause, refusal.reason, tx);
    return null;
  }

  /** A call refused before it started: answer the INVITE and write its record (created and ended at once). */
  refuse(
    start: CallStart,
    status: number,
    cause: Parameters<Call['end']>[0],
    reason: string,
    tx?: ServerTransaction,
  ): void {
    if (tx) tx.respond(makeResponse(tx.request, status));
    const rec = this.newRecord(start);
    rec.end({ cause, by: 'system', sipCode: status, reason });
  }

  /** Side A from an INVITE: allocate RTP, answer the SDP offer (488 when no codec fits). */
  async incoming(
    req: SipRequest,
    tx: ServerTransaction,
    start: CallStart,
    release: () => void,
  ): Promise<Incoming | null> {
    let endpoint;
    try {
      endpoint = await this.d.media.allocate();
    } catch (err) {
      this.d.logger.error({ err }, 'no RTP port for a new call');
      release();
      this.refuse(start, 503, 'NORMAL_CIRCUIT_CONGESTION', 'no media ports left', tx);
      return null;
    }
    const media = new MediaLeg(endpoint);
    // A browser's call (over the SIP WebSocket) is WebRTC: werift's answer, gathered first.
    const prepared = await media.prepare(req.body, isWebSocket(tx.remote.transport));
    const answerSdp = prepared ? media.answer(req.body) : null;
    if (answerSdp === null) {
      endpoint.close();
      release();
      this.refuse(start, 488, 'INCOMPATIBLE_DESTINATION', 'no common codec (G.711 only)', tx);
      return null;
    }
    // The session's handlers need the call, which needs the session's side: bound once both exist.
    const ref: { call?: Call } = {};
    const session = new UasSession(this.d.stack, this.d.registry, req, tx, {
      // The caller hanging up ends the call; flows learn it (and who ended it) from call.onEnd.
      onCancel: () => ref.call?.end('ORIGINATOR_CANCEL', 'caller', { from: side }),
      // Through legHungUp: an outbound call's agent may hang up while the transfer they asked for rings.
      onBye: () => ref.call?.legHungUp(side, 'caller'),
      onInfo: (info) => {
        const d = dtmfOfInfo(info);
        if (d) ref.call?.infoDigit(d.digit, d.durationMs);
      },
      onReinvite: (sdp) => {
        const answer = media.answer(sdp);
        if (answer !== null) ref.call?.holdChanged(side);
        return answer;
      },
      onRefer: {
        check: () =>
          ref.call && this.refer
            ? this.refer.check(ref.call, side)
            : { status: 405, reason: 'Method Not Allowed' },
        run: (r) => ref.call && this.refer?.run(ref.call, r, side),
      },
    });
    const side = uasSide(session, media);
    const call = this.newCall(this.newRecord(start), side);
    ref.call = call;
    this.track(call, release);
    const inc = { call, session, side, answerSdp };
    this.incomings.set(call, inc);
    return inc;
  }

  /** The INVITE side A of `call` came in with (undefined: tongdai placed the call itself). */
  incomingOf(call: Call): Incoming | undefined {
    return this.incomings.get(call);
  }

  /** Keep a live call in the table until it ends, and release its admission slot then. */
  track(call: Call, release: () => void): void {
    this.calls.set(call.callId, call);
    call.onEnd(() => {
      this.calls.delete(call.callId);
      this.recent.set(call.callId, call);
      if (this.recent.size > 500) this.recent.delete(this.recent.keys().next().value!);
      release();
    });
  }

  /** The number an INVITE is for (Request-URI user part, digits and `+` only). */
  dialled(req: SipRequest): string | null {
    return dialledNumber(req.uri);
  }

  /** Hang up every live call (shutdown): records end with a cause instead of staying open. */
  endAll(): void {
    for (const c of [...this.calls.values()])
      c.end('NORMAL_TEMPORARY_FAILURE', 'system', { reason: 'shutdown' });
  }
}
