import type { ClickToCallService } from '../context.js';
import { getAgentById } from '../domain/agents.js';
import { DomainError, invalid } from '../errors.js';
import { Call, type Side, calleeSide } from './call.js';
import type { CallCore } from './engine.js';
import type { DialTarget } from './dialer.js';
import type { InviteRouter } from './inbound.js';
import { causeOfSipStatus } from './q850.js';
import { CallRecord } from './records.js';
import { dialB } from './dial-b.js';
import { externalTarget } from './targets.js';

/**
 * Click-to-call: ring the agent's registered phone first (showing the customer's number); when the agent answers,
 * call the customer through the tenant's trunk with the agent's caller id, and bridge on answer.
 */
export class ClickToCall implements ClickToCallService {
  constructor(
    private readonly core: CallCore,
    private readonly router: InviteRouter,
  ) {}

  async originate(req: { tenantId: number; agentId: number; number: string }): Promise<{ callId: string }> {
    const { d } = this.core;
    const p = await this.prepare(req);
    const release = d.limits.hold(p.tenant.id);
    const record = new CallRecord(d, {
      tenantId: p.tenant.id,
      direction: 'outbound',
      callerNumber: p.callerId,
      callerAgentId: p.agent.id,
      calleeNumber: p.number,
      agentId: p.agent.id,
    });
    const { tenant, agent, number } = p;
    void d.follower.set(tenant.id, agent.id, 'Ringing');
    let call: Call | undefined;
    let agentSide: Side | undefined;
    const ended = () => {
      release();
      void d.follower.set(tenant.id, agent.id, 'resume');
    };
    await d.dialer.dialBindings(p.bindings, `"${number}" <sip:${number}@${d.sip.stack.hostport()}>`, {
      onAnswer: (leg) => {
        agentSide = calleeSide(leg);
        call = new Call(d.media, record, agentSide, d.clock);
        this.core.track(call, ended);
        void d.follower.set(tenant.id, agent.id, 'In-call');
        void this.dialCustomer(call, p.target, this.router.fromHeader(p.callerId), agent.id);
      },
      onFail: (status) => {
        const cause = causeOfSipStatus(status);
        record.end({ cause, by: 'caller', sipCode: status, reason: 'the agent did not answer' });
        ended();
      },
      onHangup: () => call?.end('NORMAL_CLEARING', 'caller', { from: agentSide }),
      onReinvite: () => agentSide && call?.holdChanged(agentSide),
    });
    return { callId: record.callId };
  }

  /** Everything checked before anything rings: a registered agent, an allowed number, a trunk, the caps. */
  private async prepare(req: { tenantId: number; agentId: number; number: string }) {
    const { d } = this.core;
    const agent = await getAgentById(d.db, req.tenantId, req.agentId);
    const number = req.number.replace(/[\s\-().]/g, '');
    const bindings = d.sip.location.lookup(req.tenantId, agent.id);
    if (bindings.length === 0) {
      throw invalid(`agent ${agent.extension} has no registered SIP phone to ring`, 'agent_not_registered');
    }
    const tenant = await this.core.tenant(req.tenantId);
    if (!tenant) throw invalid('unknown tenant');
    const out = await externalTarget(d.routing, tenant, number);
    if ('refusal' in out) {
      const { status, reason } = out.refusal;
      if (status === 503) throw new DomainError('UNAVAILABLE', reason, 'no_trunk');
      const code = status === 403 ? 'FORBIDDEN' : 'INVALID_INPUT';
      throw new DomainError(code, reason, 'destination_not_allowed');
    }
    const callerId = (await d.routing.callerIdFor(agent)) ?? agent.extension;
    const refusal = d.limits.admit(tenant);
    if (refusal) throw new DomainError('LIMIT_EXCEEDED', refusal.reason, 'call_limit');
    return { agent, number, bindings, tenant, target: out.target, callerId };
  }

  private async dialCustomer(call: Call, target: DialTarget, from: string, agentId: number) {
    await dialB(this.core.legB, call, {
      targets: [target],
      from,
      answeringAgentId: agentId,
      recordFor: [agentId],
      queueId: null,
      onFail: (status) => call.end(causeOfSipStatus(status), 'callee', { sipCode: status }),
    });
  }
}
