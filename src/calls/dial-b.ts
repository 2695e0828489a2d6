import type { Logger } from 'pino';
import type { ReferRefusal, ReferRequest } from '../sip/dialog-refer.js';
import { type Side, calleeSide, type Call } from './call.js';
import type { DialTarget, Dialer, Dialing } from './dialer.js';
import type { StatusFollower } from './presence.js';

/** What ringing and bridging a leg needs: the dialer, the status follower, the recording policy, a logger. */
export interface DialBDeps {
  dialer: Pick<Dialer, 'dial'>;
  follower: Pick<StatusFollower, 'set'>;
  /** Start recording the bridged call when the policy wants it (src/calls/recording.ts). */
  record(call: Call, agentIds: number[], queueId: number | null): Promise<void>;
  logger: Logger;
  /** Transfers asked by a leg's phone (REFER, src/calls/refer.ts); without it a REFER is answered 405. */
  refer?: {
    check(call: Call, side: Side): ReferRefusal | null;
    run(call: Call, refer: ReferRequest, side: Side): void;
  };
}

export interface DialBOptions {
  targets: DialTarget[];
  /** From header of the new leg (the caller id as B sees it). */
  from: string;
  /**
   * Which side this leg is: `b` (default) bridges the call on answer; `a` is click-to-call's first leg (the
   * agent's phone), which answers side A (a DialledSide) of a call tongdai places itself; `transfer` is a blind
   * transfer's new side, which replaces B on answer (Call.completeTransfer) or gives the call back on a miss.
   */
  leg?: 'a' | 'b' | 'transfer';
  /** The agent the leg rings, when it is an agent: Ringing now, In-call on answer, back to their status on a miss. */
  agentId?: number | null;
  /** The agent the call is counted for once answered (B's agent, or the agent on side A). */
  answeringAgentId: number | null;
  /** Agents whose recording flag decides whether the call is recorded, and the queue whose flag counts. */
  recordFor: number[];
  queueId: number | null;
  /** The leg's phone rings (180/183): the flow may tell side A. */
  onRinging?(): void;
  /**
   * Relay the leg's early media (a 183 with SDP) to side A, and tell the flow (which may answer A's INVITE
   * with a 183 of its own). Without it early media is ignored (queue offers: the caller hears hold music).
   */
  onEarlyMedia?(): void;
  /** The leg answered: false refuses it (hung up), e.g. another agent answered first. */
  accept?(): boolean;
  /** The leg is up: B bridged (the flow answers A, tells the ACD, …), or click-to-call's agent answered. */
  onBridged?(): void;
  /** Every fork failed with `status` (the flow ends the call, or the ACD moves on). */
  onFail(status: number): void;
  /** Whether this is the call's attempt (cancelled when the call ends); false for one of a queue's offers. */
  ownAttempt?: boolean;
}

/**
 * Ring a leg and own it from then on: B's answer bridges the call (the one place that happens), starts
 * recording when wanted, moves the leg's agent Ringing → In-call (back on a miss), and the leg's hang-up and
 * re-INVITEs (hold) act on the call. Every flow (direct, queue offers, overflow, both legs of click-to-call)
 * rings its legs through here.
 */
export async function dialB(d: DialBDeps, call: Call, o: DialBOptions): Promise<Dialing> {
  const agentId = o.agentId ?? null;
  const first = o.leg === 'a';
  if (agentId !== null) void d.follower.set(call.tenantId, agentId, 'Ringing');
  let side: Side | undefined;
  const onEarly = o.onEarlyMedia;
  const dialing = await d.dialer.dial(
    o.targets,
    o.from,
    {
      onRinging: () => o.onRinging?.(),
      ...(onEarly && !first
        ? {
            onEarlyMedia: (media) => {
              if (call.ended) return;
              onEarly();
              call.earlyMedia(media);
            },
          }
        : {}),
      onAnswer: (leg) => {
        if (call.ended || (o.accept && !o.accept())) return leg.session.bye();
        if (first) side = call.firstLegAnswered(leg);
        else if (o.leg === 'transfer') {
          side = calleeSide(leg);
          call.completeTransfer(side, o.answeringAgentId);
          // The new side replaced B, or side A of an outbound call; anything else refused it.
          if (call.ended || (call.b !== side && call.a !== side)) return;
        } else {
          side = calleeSide(leg);
          call.connect(side, o.answeringAgentId);
          if (call.ended) return;
        }
        if (agentId !== null) void d.follower.set(call.tenantId, agentId, 'In-call');
        o.onBridged?.();
        if (first) return;
        d.record(call, o.recordFor, o.queueId).catch((err: unknown) =>
          d.logger.error({ err, callId: call.callId }, 'recording did not start'),
        );
      },
      onFail: (status) => {
        if (agentId !== null) void d.follower.set(call.tenantId, agentId, 'resume');
        o.onFail(status);
      },
      onHangup: () => side && call.legHungUp(side, first ? 'caller' : 'callee'),
      onReinvite: () => side && call.holdChanged(side),
      // Any leg's phone may ask (click-to-call's agent leg too); ReferTransfers decides which side may transfer.
      ...(d.refer
        ? {
            onRefer: {
              check: () => (side ? d.refer!.check(call, side) : { status: 481 }),
              run: (r) => side && d.refer!.run(call, r, side),
            },
          }
        : {}),
    },
    first ? call.a.media : undefined,
    call.a.media.endpoint,
  );
  if (o.ownAttempt !== false) {
    if (call.ended) dialing.cancel();
    else call.attempt(dialing);
  }
  return dialing;
}
