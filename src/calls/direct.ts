import { type DialBDeps, dialB } from './dial-b.js';
import type { DialTarget } from './dialer.js';
import type { Incoming } from './engine.js';
import type { StatusFollower } from './presence.js';
import { causeOfSipStatus } from './q850.js';

/** What a direct call needs: ringing side B, and agents' statuses following the call. */
export interface DirectDeps {
  legB: DialBDeps;
  follower: Pick<StatusFollower, 'set'>;
}

export interface DirectOptions {
  /** From header for the outgoing leg (caller id as the callee sees it). */
  from: string;
  targets: DialTarget[];
  /** The agent being called, when B is an agent (statuses follow the call). */
  calleeAgentId?: number | null;
  /** The agent who called, when A is an agent. */
  callerAgentId?: number | null;
  /** Relay B's early media (a 183 with SDP: the carrier's ringback or announcements) to the caller. */
  earlyMedia?: boolean;
}

/**
 * A call from side A straight to one destination (another extension, the trunk, or the agent a DID points to):
 * ring B, answer A when B answers, bridge, and end both sides together. Statuses of the agents involved follow.
 */
export async function connectDirect(d: DirectDeps, inc: Incoming, o: DirectOptions): Promise<void> {
  const { call, session } = inc;
  const tenantId = call.tenantId;
  const agents = [o.callerAgentId, o.calleeAgentId].filter((x): x is number => typeof x === 'number');
  if (o.callerAgentId) void d.follower.set(tenantId, o.callerAgentId, 'In-call');
  call.onEnd(() => {
    for (const a of agents) void d.follower.set(tenantId, a, 'resume');
  });
  call.onTransferred((from) => {
    if (from !== null && agents.includes(from)) void d.follower.set(tenantId, from, 'resume');
  });
  await dialB(d.legB, call, {
    targets: o.targets,
    from: o.from,
    agentId: o.calleeAgentId ?? null,
    answeringAgentId: o.calleeAgentId ?? o.callerAgentId ?? null,
    recordFor: agents,
    queueId: call.record.queueId,
    onRinging: () => session.progress(180),
    // B's early media reaches the caller through a 183 with our SDP; the media is bridged by the call.
    ...(o.earlyMedia ? { onEarlyMedia: () => session.progress(183, inc.answerSdp) } : {}),
    // A is answered just before the bridge, so the caller never hears silence from an unbridged leg.
    accept: () => {
      session.answer(inc.answerSdp);
      return true;
    },
    onFail: (status) => call.end(causeOfSipStatus(status), 'callee', { sipCode: status }),
  });
}
