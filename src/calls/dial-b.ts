import type { Logger } from 'pino';
import { type Side, calleeSide, type Call } from './call.js';
import type { DialTarget, Dialer, Dialing } from './dialer.js';
import type { StatusFollower } from './presence.js';

/** What ringing and bridging side B needs: the dialer, the status follower, the recording policy, a logger. */
export interface DialBDeps {
  dialer: Pick<Dialer, 'dial'>;
  follower: Pick<StatusFollower, 'set'>;
  /** Start recording the bridged call when the policy wants it (src/calls/recording.ts). */
  record(call: Call, agentIds: number[], queueId: number | null): Promise<void>;
  logger: Logger;
}

export interface DialBOptions {
  targets: DialTarget[];
  /** From header of the new leg (the caller id as B sees it). */
  from: string;
  /** The agent B rings, when B is an agent: Ringing now, In-call on answer, back to their status on a miss. */
  agentId?: number | null;
  /** The agent the call is counted for once answered (B's agent, or the agent on side A). */
  answeringAgentId: number | null;
  /** Agents whose recording flag decides whether the call is recorded, and the queue whose flag counts. */
  recordFor: number[];
  queueId: number | null;
  /** B's phone rings (180/183): the flow may tell side A. */
  onRinging?(): void;
  /** B answered, just before the bridge: false refuses B (hung up), e.g. another agent answered first. */
  accept?(): boolean;
  /** B is bridged (the flow answers A, tells the ACD, …). */
  onBridged?(): void;
  /** Every fork failed with `status` (the flow ends the call, or the ACD moves on). */
  onFail(status: number): void;
  /** Whether this is the call's attempt (cancelled when the call ends); false for one of a queue's offers. */
  ownAttempt?: boolean;
}

/**
 * Ring side B and own it from then on: B's answer bridges the call (the one place that happens), starts
 * recording when wanted, moves B's agent Ringing → In-call (back on a miss), and B's hang-up and re-INVITEs
 * (hold) act on the call. Every flow (direct, queue offers, overflow, click-to-call) rings B through here.
 */
export async function dialB(d: DialBDeps, call: Call, o: DialBOptions): Promise<Dialing> {
  const agentId = o.agentId ?? null;
  if (agentId !== null) void d.follower.set(call.tenantId, agentId, 'Ringing');
  let b: Side | undefined;
  const dialing = await d.dialer.dial(o.targets, o.from, {
    onRinging: () => o.onRinging?.(),
    onAnswer: (leg) => {
      if (call.ended || (o.accept && !o.accept())) return leg.session.bye();
      b = calleeSide(leg);
      call.connect(b, o.answeringAgentId);
      if (call.ended) return;
      if (agentId !== null) void d.follower.set(call.tenantId, agentId, 'In-call');
      o.onBridged?.();
      d.record(call, o.recordFor, o.queueId).catch((err: unknown) =>
        d.logger.error({ err, callId: call.callId }, 'recording did not start'),
      );
    },
    onFail: (status) => {
      if (agentId !== null) void d.follower.set(call.tenantId, agentId, 'resume');
      o.onFail(status);
    },
    onHangup: () => call.end('NORMAL_CLEARING', 'callee', { from: b }),
    onReinvite: () => b && call.holdChanged(b),
  });
  if (o.ownAttempt !== false) {
    if (call.ended) dialing.cancel();
    else call.attempt(dialing);
  }
  return dialing;
}
