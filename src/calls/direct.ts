import { causeOfSipStatus } from './q850.js';
import { type Side, calleeSide } from './call.js';
import type { DialTarget } from './dialer.js';
import type { CallCore, Incoming } from './engine.js';
import { recordIfWanted } from './recording.js';

export interface DirectOptions {
  /** From header for the outgoing leg (caller id as the callee sees it). */
  from: string;
  targets: DialTarget[];
  /** The agent being called, when B is an agent (statuses follow the call). */
  calleeAgentId?: number | null;
  /** The agent who called, when A is an agent. */
  callerAgentId?: number | null;
}

/**
 * A call from side A straight to one destination (another extension, the trunk, or the agent a DID points to):
 * ring B, answer A when B answers, bridge, and end both sides together. Statuses of the agents involved follow.
 */
export async function connectDirect(core: CallCore, inc: Incoming, o: DirectOptions): Promise<void> {
  const { call, session } = inc;
  const { follower } = core.d;
  const tenantId = call.tenantId;
  const agents = [o.callerAgentId, o.calleeAgentId].filter((x): x is number => typeof x === 'number');
  if (o.calleeAgentId) void follower.set(tenantId, o.calleeAgentId, 'Ringing');
  if (o.callerAgentId) void follower.set(tenantId, o.callerAgentId, 'In-call');
  call.onEnd(() => {
    for (const a of agents) void follower.set(tenantId, a, 'resume');
  });
  let b: Side | undefined;
  const dialing = await core.d.dialer.dial(o.targets, o.from, {
    onRinging: () => session.progress(180),
    onAnswer: (leg) => {
      if (call.ended) return leg.session.bye();
      b = calleeSide(leg);
      session.answer(inc.answerSdp);
      call.connect(b, o.calleeAgentId ?? o.callerAgentId ?? null);
      void recordIfWanted(core.d, call, [o.calleeAgentId, o.callerAgentId], call.record.queueId).catch(
        (err: unknown) => core.d.logger.error({ err }, 'recording did not start'),
      );
      if (o.calleeAgentId) void follower.set(tenantId, o.calleeAgentId, 'In-call');
    },
    onFail: (status) => call.end(causeOfSipStatus(status), 'callee', { sipCode: status }),
    onHangup: () => call.end('NORMAL_CLEARING', 'callee', { from: b }),
    onReinvite: () => b && call.holdChanged(b),
  });
  if (call.ended) dialing.cancel();
  else call.attempt(dialing);
}
