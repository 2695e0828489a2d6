import type { TransferTarget } from '../context.js';
import { DomainError, invalid, notFound } from '../errors.js';
import type { LocationService } from '../sip/location.js';
import type { Call } from './call.js';
import { type DialBDeps, dialB } from './dial-b.js';
import type { DialTarget } from './dialer.js';
import type { StatusFollower } from './presence.js';
import type { Routing } from './routing.js';
import { CallStateError } from './state.js';
import { externalTarget, phoneTargets } from './targets.js';

export type { TransferTarget } from '../context.js';

/** A transfer target, or what a phone dialled (a REFER's Refer-To user: an extension or an external number). */
export type BlindTarget = TransferTarget | { kind: 'dialled'; dialled: string };

/** What a transfer uses: legs, statuses, routing reads, the agents' phones, tongdai's SIP address. */
export interface CallTransferDeps {
  legB: DialBDeps;
  follower: Pick<StatusFollower, 'set'>;
  routing: Pick<Routing, 'agent' | 'agentDestination' | 'tenant' | 'outboundTrunk'>;
  location: Pick<LocationService, 'lookup'>;
  hostport(): string;
}

/**
 * Blind transfer of side B (the agent of an inbound or internal call) to another agent, extension or external
 * number: the caller hears hold music while the new side rings (state `transferring`); its answer replaces B, a
 * miss gives the call back to B (or ends it when B already hung up). The destination's rules are the targets'
 * (registered phones, allowed destinations and the tenant's trunk).
 */
export class CallTransfer {
  constructor(private readonly d: CallTransferDeps) {}

  /**
   * `watch` hears how it ended (a REFER's NOTIFY); a refusal before the new side rings is thrown instead
   * (NOT_FOUND, FORBIDDEN, …).
   */
  async blind(
    call: Call,
    target: BlindTarget,
    watch?: (outcome: 'done' | 'failed', status: number) => void,
  ): Promise<void> {
    const refuse = () => new CallStateError(call.state, 'transfer');
    if (call.state !== 'bridged' && call.state !== 'held') throw refuse();
    if (call.record.start.direction === 'outbound') {
      throw new DomainError(
        'CONFLICT',
        'only inbound and internal calls can be transferred for now',
        undefined,
        {
          state: call.state,
        },
      );
    }
    const dest = await this.resolve(call.tenantId, target);
    if (dest.targets.length === 0) {
      throw invalid(`${dest.label} has no registered SIP phone to ring`, 'agent_not_registered');
    }
    if (call.state !== 'bridged' && call.state !== 'held') throw refuse();
    call.beginTransfer(dest.label, watch);
    const agentId = dest.agentId;
    if (agentId !== null) call.onEnd(() => void this.d.follower.set(call.tenantId, agentId, 'resume'));
    const caller = call.record.start.callerNumber;
    await dialB(this.d.legB, call, {
      leg: 'transfer',
      targets: dest.targets,
      from: `"${caller}" <sip:${caller}@${this.d.hostport()}>`,
      agentId,
      answeringAgentId: agentId,
      recordFor: [],
      queueId: null,
      onFail: (status) => call.failTransfer(status),
    });
  }

  private async resolve(
    tenantId: number,
    target: BlindTarget,
  ): Promise<{ targets: DialTarget[]; agentId: number | null; label: string }> {
    let t: TransferTarget;
    if (target.kind === 'dialled') {
      const dest = await this.d.routing.agentDestination(tenantId, target.dialled);
      if (dest.kind === 'invalid') throw notFound(`extension ${target.dialled}`, 'agent_not_found');
      t =
        dest.kind === 'extension'
          ? { kind: 'agent', agentId: dest.agent.id }
          : { kind: 'number', number: dest.number };
    } else t = target;
    if (t.kind === 'number') {
      const tenant = await this.d.routing.tenant(tenantId);
      if (!tenant) throw notFound(`tenant ${tenantId}`);
      const out = await externalTarget(this.d.routing, tenant, t.number);
      if ('refusal' in out) {
        const { status, reason } = out.refusal;
        if (status === 503) throw new DomainError('UNAVAILABLE', reason, 'no_trunk');
        throw new DomainError(
          status === 403 ? 'FORBIDDEN' : 'INVALID_INPUT',
          reason,
          'destination_not_allowed',
        );
      }
      return { targets: [out.target], agentId: null, label: t.number };
    }
    let agent;
    if (t.kind === 'agent') agent = await this.d.routing.agent(tenantId, t.agentId);
    else {
      const dest = await this.d.routing.agentDestination(tenantId, t.extension);
      agent = dest.kind === 'extension' ? dest.agent : undefined;
    }
    if (!agent)
      throw notFound(
        t.kind === 'agent' ? `agent ${t.agentId}` : `extension ${t.extension}`,
        'agent_not_found',
      );
    const targets = phoneTargets(this.d.location.lookup(tenantId, agent.id));
    return { targets, agentId: agent.id, label: `agent ${agent.extension}` };
  }
}
