import type { ClickToCallService } from '../context.js';
import { DomainError, invalid, notFound } from '../errors.js';
import type { Media } from '../media/engine.js';
import type { LocationService } from '../sip/location.js';
import { DialledSide } from './call.js';
import { type DialBDeps, dialB } from './dial-b.js';
import type { CallCore } from './engine.js';
import type { CallLimits } from './limits.js';
import { MediaLeg } from './media-leg.js';
import type { StatusFollower } from './presence.js';
import { causeOfSipStatus } from './q850.js';
import { ensureRingback } from './ringback.js';
import type { Routing } from './routing.js';
import { externalTarget, phoneTargets } from './targets.js';

/** What click-to-call uses: the live-call table, legs, caps, routing reads, the agent's phones, RTP ports. */
export interface ClickToCallDeps {
  core: Pick<CallCore, 'newRecord' | 'newCall' | 'track'>;
  legB: DialBDeps;
  follower: Pick<StatusFollower, 'set'>;
  limits: Pick<CallLimits, 'admit' | 'hold'>;
  routing: Pick<Routing, 'agent' | 'tenant' | 'trunkCallerId' | 'outboundTrunk'>;
  location: Pick<LocationService, 'lookup'>;
  media: Pick<Media, 'allocate'>;
  /** tongdai's SIP host:port and public address (the hosts of the From headers it writes). */
  hostport(): string;
  publicIp(): string;
  /** Where the ringback tone is written. */
  dataDir: string;
}

/**
 * Click-to-call: ring the agent's registered phones first (showing the customer's number) as side A of a call
 * tongdai places itself; when the agent answers, the agent hears ringback while the customer is called through
 * the tenant's trunk with the agent's caller id (the carrier's early media replaces the ringback), and the call
 * bridges on answer. Both legs ring through dialB, like every other leg.
 */
export class ClickToCall implements ClickToCallService {
  constructor(private readonly d: ClickToCallDeps) {}

  async originate(req: { tenantId: number; agentId: number; number: string }): Promise<{ callId: string }> {
    const { d } = this;
    const p = await this.prepare(req);
    let endpoint;
    try {
      endpoint = await d.media.allocate();
    } catch {
      throw new DomainError('UNAVAILABLE', 'no media ports left for a new call', 'click_to_call_unavailable');
    }
    const release = d.limits.hold(p.tenant.id);
    const record = d.core.newRecord({
      tenantId: p.tenant.id,
      direction: 'outbound',
      callerNumber: p.callerId,
      callerAgentId: p.agent.id,
      calleeNumber: p.number,
      agentId: p.agent.id,
    });
    const call = d.core.newCall(record, new DialledSide(new MediaLeg(endpoint)));
    d.core.track(call, release);
    const agentId = p.agent.id;
    call.onEnd(() => void d.follower.set(call.tenantId, agentId, 'resume'));
    // The agent's phone handed the customer over (REFER, or the API): the agent is back to their status at once.
    call.onTransferred((from) => {
      if (from === agentId) void d.follower.set(call.tenantId, agentId, 'resume');
    });
    const ringback = ensureRingback(d.dataDir);
    await dialB(d.legB, call, {
      leg: 'a',
      targets: phoneTargets(p.bindings),
      from: `"${p.number}" <sip:${p.number}@${d.hostport()}>`,
      agentId,
      answeringAgentId: agentId,
      recordFor: [],
      queueId: null,
      onBridged: () => {
        call.ringback(ringback);
        void dialB(d.legB, call, {
          targets: [p.target],
          from: `<sip:${p.callerId}@${d.publicIp()}>`,
          answeringAgentId: agentId,
          recordFor: [agentId],
          queueId: null,
          // The carrier's early media (ringback, announcements) replaces ours.
          onEarlyMedia: () => undefined,
          onFail: (status) => call.end(causeOfSipStatus(status), 'callee', { sipCode: status }),
        });
      },
      onFail: (status) =>
        call.end(causeOfSipStatus(status), 'caller', { sipCode: status, reason: 'the agent did not answer' }),
    });
    return { callId: record.callId };
  }

  /** Everything checked before anything rings: a registered agent, an allowed number, a trunk, the caps. */
  private async prepare(req: { tenantId: number; agentId: number; number: string }) {
    const { d } = this;
    const agent = await d.routing.agent(req.tenantId, req.agentId);
    if (!agent) throw notFound(`agent ${req.agentId}`);
    const number = req.number.replace(/[\s\-().]/g, '');
    const bindings = d.location.lookup(req.tenantId, agent.id);
    if (bindings.length === 0) {
      throw invalid(`agent ${agent.extension} has no registered SIP phone to ring`, 'agent_not_registered');
    }
    const tenant = await d.routing.tenant(req.tenantId);
    if (!tenant) throw invalid('unknown tenant');
    const out = await externalTarget(d.routing, tenant, number);
    if ('refusal' in out) {
      const { status, reason } = out.refusal;
      if (status === 503) throw new DomainError('UNAVAILABLE', reason, 'no_trunk');
      const code = status === 403 ? 'FORBIDDEN' : 'INVALID_INPUT';
      throw new DomainError(code, reason, 'destination_not_allowed');
    }
    const callerId = await d.routing.trunkCallerId(agent);
    const refusal = d.limits.admit(tenant);
    if (refusal) throw new DomainError('LIMIT_EXCEEDED', refusal.reason, 'call_limit');
    return { agent, number, bindings, tenant, target: out.target, callerId };
  }
}
