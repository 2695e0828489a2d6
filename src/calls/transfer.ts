import type { RejectReason } from '../acd/index.js';
import type { TransferTarget } from '../context.js';
import { DomainError, invalid, notFound } from '../errors.js';
import type { LocationService } from '../sip/location.js';
import type { TransferBy } from '../domain/call-transfers.js';
import type { Call, Side, TransferTo } from './call.js';
import { type DialBDeps, dialB } from './dial-b.js';
import type { DialTarget } from './dialer.js';
import type { CallCore } from './engine.js';
import type { StatusFollower } from './presence.js';
import type { QueueFlow } from './queue-flow.js';
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
  routing: Pick<
    Routing,
    'agent' | 'agentDestination' | 'tenant' | 'outboundTrunk' | 'queueByNumber' | 'trunkCallerId'
  >;
  location: Pick<LocationService, 'lookup'>;
  /** A transfer to a queue: the target's check, and the caller's new visit of the ACD. */
  queues: Pick<QueueFlow, 'hasQueue' | 'entryRefusal' | 'transferIn'>;
  core: Pick<CallCore, 'incomingOf'>;
  hostport(): string;
}

/** Why a target queue turns a transferred caller away, as the refusal says it. */
const QUEUE_REFUSALS: Record<RejectReason, string> = {
  closed: 'it is closed (locked)',
  no_agents: 'nobody is logged in to it and it has no overflow target',
  blacklisted: "the caller's number is on the tenant's blacklist",
  no_target: 'it diverts callers but has no divert target',
  unknown_queue: 'it is not loaded',
  queue_removed: 'it was removed',
  max_wait: 'the maximum wait was reached',
};

type Resolved =
  | { kind: 'queue'; queueId: number }
  | { kind: 'ring'; targets: DialTarget[]; agentId: number | null; to: TransferTo };

/**
 * Which side of `call` an agent's phone transferring it from `side` hands over, or null when that side is not an
 * agent's: B of an inbound or internal call (tongdai rang the agent), A of an outbound or internal call (the agent
 * placed it from their phone, or answered click-to-call's first leg). The customer's carrier never transfers.
 */
export function agentSideOf(call: Call, side: Side): 'a' | 'b' | null {
  const direction = call.record.start.direction;
  if (side === call.b && direction !== 'outbound') return 'b';
  if (side === call.a && direction !== 'inbound') return 'a';
  return null;
}

/**
 * Blind transfer of side B (the agent of an inbound or internal call) to another agent, extension or external
 * number: the caller hears hold music while the new side rings (state `transferring`); its answer replaces B, a
 * miss gives the call back to B (or ends it when B already hung up). The destination's rules are the targets'
 * (registered phones, allowed destinations and the tenant's trunk). To a queue: B is released at once and the
 * caller waits in that queue like any caller (Call.queueTransfer, QueueFlow.transferIn). An outbound call an agent
 * placed (from their phone or by click-to-call) is transferred the other way round: the agent (side A) is replaced,
 * the customer stays; a phone on side A may ask by REFER too (agentSideOf).
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
    side?: 'a' | 'b',
  ): Promise<void> {
    const refuse = () => new CallStateError(call.state, 'transfer');
    if (call.state !== 'bridged' && call.state !== 'held') throw refuse();
    // Which side hands the call over: the phone that sent the REFER; through the API the agent's side (side A of
    // an outbound call an agent placed, from their phone or by click-to-call; side B otherwise).
    const leaving = side ?? (call.record.start.direction === 'outbound' ? 'a' : 'b');
    // A target kind `dialled` is what a phone asked for by REFER; the others come from the API (or console).
    const by: TransferBy = target.kind === 'dialled' ? 'refer' : 'api';
    const dest = await this.resolve(call.tenantId, target);
    if (dest.kind === 'queue') {
      // Only a caller who came in by an INVITE (side A stays) can wait in a queue.
      if (leaving === 'a') {
        throw new DomainError(
          'CONFLICT',
          'the customer of an outbound call an agent placed cannot be transferred to a queue (only to an agent, extension or number)',
          undefined,
          { state: call.state },
        );
      }
      return this.toQueue(call, dest.queueId, by, watch);
    }
    if (dest.targets.length === 0) {
      throw invalid(`${dest.to.to} has no registered SIP phone to ring`, 'agent_not_registered');
    }
    const from = await this.fromHeader(call, dest.to, leaving);
    if (call.state !== 'bridged' && call.state !== 'held') throw refuse();
    call.beginTransfer(dest.to, by, watch, leaving);
    const agentId = dest.agentId;
    if (agentId !== null) call.onEnd(() => void this.d.follower.set(call.tenantId, agentId, 'resume'));
    await dialB(this.d.legB, call, {
      leg: 'transfer',
      targets: dest.targets,
      from,
      agentId,
      answeringAgentId: agentId,
      recordFor: [],
      queueId: null,
      onFail: (status) => call.failTransfer(status),
    });
  }

  /**
   * The new leg's From. An agent or extension sees who stays on the call (the caller, or an outbound call's
   * customer). The carrier sees the caller id of an agent's own call through the trunk (Routing.trunkCallerId) of
   * the agent who hands the call over: a carrier takes only the tenant's numbers as caller id, never the customer's.
   */
  private async fromHeader(call: Call, to: TransferTo, leaving: 'a' | 'b'): Promise<string> {
    const start = call.record.start;
    if (to.toKind === 'number') {
      const fromAgentId = call.transferringAgent(leaving);
      const agent = fromAgentId === null ? undefined : await this.d.routing.agent(call.tenantId, fromAgentId);
      // No agent on the call (it was never answered by one): the number it came in on is the tenant's own.
      const id = agent ? await this.d.routing.trunkCallerId(agent) : (start.didNumber ?? start.calleeNumber);
      return `<sip:${id}@${this.d.hostport()}>`;
    }
    const caller = leaving === 'a' ? start.calleeNumber : start.callerNumber;
    return `"${caller}" <sip:${caller}@${this.d.hostport()}>`;
  }

  private async toQueue(
    call: Call,
    queueId: number,
    by: TransferBy,
    watch?: (outcome: 'done' | 'failed', status: number) => void,
  ): Promise<void> {
    const inc = this.d.core.incomingOf(call);
    if (!inc) {
      throw new DomainError('CONFLICT', 'a call tongdai placed cannot be transferred to a queue', undefined, {
        state: call.state,
      });
    }
    if (!(await this.d.queues.hasQueue(call.tenantId, queueId))) {
      throw notFound(`queue ${queueId}`);
    }
    // The queue's own entry rules, before the agent is released: a caller it would turn away stays with them.
    const refusal = await this.d.queues.entryRefusal(call.tenantId, queueId, call.record.start.callerNumber);
    if (refusal) {
      throw new DomainError(
        'CONFLICT',
        `queue ${queueId} refuses the caller: ${QUEUE_REFUSALS[refusal]}`,
        'queue_refused',
        {
          state: call.state,
          queueReason: refusal,
        },
      );
    }
    if (call.state !== 'bridged' && call.state !== 'held') throw new CallStateError(call.state, 'transfer');
    call.queueTransfer(
      { toKind: 'queue', toAgentId: null, toQueueId: queueId, toNumber: null, to: `queue ${queueId}` },
      by,
      watch,
    );
    await this.d.queues.transferIn(inc, queueId);
  }

  /** What a phone dialled: an extension of the tenant, else one of its queue numbers, else an external number. */
  private async dialled(tenantId: number, dialled: string): Promise<TransferTarget> {
    const dest = await this.d.routing.agentDestination(tenantId, dialled);
    if (dest.kind === 'invalid') throw notFound(`extension ${dialled}`, 'agent_not_found');
    if (dest.kind === 'extension') return { kind: 'agent', agentId: dest.agent.id };
    const queueId = await this.d.routing.queueByNumber(tenantId, dest.number);
    return queueId === null ? { kind: 'number', number: dest.number } : { kind: 'queue', queueId };
  }

  private async resolve(tenantId: number, target: BlindTarget): Promise<Resolved> {
    const t = target.kind === 'dialled' ? await this.dialled(tenantId, target.dialled) : target;
    if (t.kind === 'queue') return { kind: 'queue', queueId: t.queueId };
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
      const to: TransferTo = {
        toKind: 'number',
        toAgentId: null,
        toQueueId: null,
        toNumber: t.number,
        to: t.number,
      };
      return { kind: 'ring', targets: [out.target], agentId: null, to };
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
    const to: TransferTo = {
      toKind: 'agent',
      toAgentId: agent.id,
      toQueueId: null,
      toNumber: null,
      to: `agent ${agent.extension}`,
    };
    return { kind: 'ring', targets, agentId: agent.id, to };
  }
}
