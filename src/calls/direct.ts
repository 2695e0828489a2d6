import { dialB } from './dial-b.js';
import type { DialTarget } from './dialer.js';
import type { CallCore, Incoming } from './engine.js';
import { causeOfSipStatus } from './q850.js';

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
  if (o.callerAgentId) void follower.set(tenantId, o.callerAgentId, 'In-call');
  call.onEnd(() => {
    for (const a of agents) void follower.set(tenantId, a, 'resume');
  });
  await dialB(core.legB, call, {
    targets: o.targets,
    from: o.from,
    agentId: o.calleeAgentId ?? null,
    answeringAgentId: o.calleeAgentId ?? o.callerAgentId ?? null,
    recordFor: agents,
    queueId: call.record.queueId,
    onRinging: () => session.progress(180),
    // A is answered just before the bridge, so the caller never hears silence from an unbridged leg.
    accept: () => {
      session.answer(inc.answerSdp);
      return true;
    },
    onFail: (status) => call.end(causeOfSipStatus(status), 'callee', { sipCode: status }),
  });
}
