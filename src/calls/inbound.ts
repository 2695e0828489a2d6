import { parseNameAddr } from '../sip/headers.js';
import { type SipRequest, makeResponse } from '../sip/message.js';
import type { ServerTransaction } from '../sip/transactions.js';
import type { SipIdentity } from '../sip/directory.js';
import type { Agent, Tenant } from '../store/schema.js';
import { connectDirect } from './direct.js';
import type { DialTarget } from './dialer.js';
import { type CallCore, callerNumberOf } from './engine.js';
import type { QueueFlow } from './queue-flow.js';
import { type CallMonitor, featureCode } from './monitor.js';
import type { CallStart } from './records.js';
import type { InboundTarget } from './routing.js';
import { externalTarget, phoneTargets } from './targets.js';

/**
 * Routes every new INVITE. From a trunk's address to one of its tenant's numbers: an inbound call to the number's
 * queue or agent (trunks are trusted by address). Anything else must be an agent, digest-authenticated (407):
 * to another extension (internal) or to an external number through the tenant's trunk (outbound).
 */
export class InviteRouter {
  /** Feature codes dialled by agents (`*91<ext>`…: supervisor monitoring), once the monitor exists. */
  features?: Pick<CallMonitor, 'fromPhone'>;

  constructor(
    private readonly core: CallCore,
    private readonly queues: QueueFlow,
  ) {}

  onInvite(req: SipRequest, tx: ServerTransaction): void {
    this.route(req, tx).catch((err: unknown) => {
      this.core.d.logger.error({ err }, 'routing an INVITE failed');
      tx.respond(makeResponse(req, 500));
    });
  }

  private async route(req: SipRequest, tx: ServerTransaction): Promise<void> {
    const dialled = this.core.dialled(req);
    if (!dialled) return tx.respond(makeResponse(req, 404));
    const target = await this.core.d.routing.inboundFrom(tx.remote.address, dialled);
    if (target.kind !== 'unknown') {
      // A trunk with credentials must also pass digest (realm: the tenant's SIP domain), not only its address.
      const { username, password_enc } = target.trunk;
      if (username && password_enc) {
        const password = this.core.d.box.open(password_enc);
        const realm = target.tenant.sip_domain;
        const refused = await this.core.d.sip.auth.authenticatePeer(req, tx.remote, {
          username,
          password,
          realm,
        });
        if (refused) return tx.respond(refused);
      }
      return this.fromTrunk(req, tx, target);
    }
    const auth = await this.core.d.sip.auth.authenticate(req, tx.remote);
    if (!auth.ok) return tx.respond(auth.response);
    return this.fromAgent(req, tx, auth.identity, dialled);
  }

  private async fromTrunk(
    req: SipRequest,
    tx: ServerTransaction,
    target: Exclude<InboundTarget, { kind: 'unknown' }>,
  ) {
    const caller = callerNumberOf(req);
    const start: CallStart = {
      tenantId: target.tenant.id,
      direction: 'inbound',
      callerNumber: caller,
      calleeNumber: target.did,
      didNumber: target.did,
      queueId: target.kind === 'queue' ? target.queueId : null,
      calleeAgentId: target.kind === 'agent' ? target.agentId : null,
    };
    const release = this.core.admit(target.tenant, start, tx);
    if (!release) return;
    const inc = await this.core.incoming(req, tx, start, release);
    if (!inc) return;
    if (target.kind === 'queue') return this.queues.enter(inc, target.queueId, caller);
    const targets = phoneTargets(this.core.d.sip.location.lookup(target.tenant.id, target.agentId));
    return connectDirect(this.core, inc, {
      from: this.fromHeader(caller),
      targets,
      calleeAgentId: target.agentId,
    });
  }

  private async fromAgent(req: SipRequest, tx: ServerTransaction, id: SipIdentity, dialled: string) {
    const code = featureCode(dialled);
    if (code && this.features) return this.features.fromPhone(req, tx, id, code);
    const dest = await this.core.d.routing.agentDestination(id.tenant.id, dialled);
    if (dest.kind === 'extension') return this.internal(req, tx, id, dest.agent);
    const callerId = (await this.core.d.routing.callerIdFor(id.agent)) ?? id.agent.extension;
    const start: CallStart = {
      tenantId: id.tenant.id,
      direction: 'outbound',
      callerNumber: callerId,
      callerAgentId: id.agent.id,
      calleeNumber: dialled,
      agentId: id.agent.id,
    };
    if (dest.kind === 'invalid')
      return this.core.refuse(start, 404, 'UNALLOCATED_NUMBER', 'no such extension', tx);
    const targets = await this.trunkTargets(id.tenant, dialled, start, tx);
    if (!targets) return;
    const release = this.core.admit(id.tenant, start, tx);
    if (!release) return;
    const inc = await this.core.incoming(req, tx, start, release);
    if (!inc) return;
    return connectDirect(this.core, inc, {
      from: this.fromHeader(callerId),
      targets,
      callerAgentId: id.agent.id,
    });
  }

  private async internal(req: SipRequest, tx: ServerTransaction, id: SipIdentity, callee: Agent) {
    const start: CallStart = {
      tenantId: id.tenant.id,
      direction: 'internal',
      callerNumber: id.agent.extension,
      callerAgentId: id.agent.id,
      calleeNumber: callee.extension,
      calleeAgentId: callee.id,
      agentId: callee.id,
    };
    const release = this.core.admit(id.tenant, start, tx);
    if (!release) return;
    const inc = await this.core.incoming(req, tx, start, release);
    if (!inc) return;
    const bindings = this.core.d.sip.location.lookup(id.tenant.id, callee.id);
    const display = parseNameAddr(req.headers.get('from') ?? '').display ?? id.agent.name;
    return connectDirect(this.core, inc, {
      from: `"${display.replace(/"/g, '')}" <sip:${id.agent.extension}@${id.tenant.sip_domain}>`,
      targets: phoneTargets(bindings, `sip:${callee.extension}@${id.tenant.sip_domain}`),
      calleeAgentId: callee.id,
      callerAgentId: id.agent.id,
    });
  }

  /** The trunk leg for an external number, or null after refusing the call (barred destination, no trunk). */
  async trunkTargets(
    tenant: Tenant,
    number: string,
    start: CallStart,
    tx?: ServerTransaction,
  ): Promise<DialTarget[] | null> {
    const out = await externalTarget(this.core.d.routing, tenant, number);
    if ('refusal' in out) {
      const { status, cause, reason } = out.refusal;
      this.core.refuse(start, status, cause, reason, tx);
      return null;
    }
    return [out.target];
  }

  fromHeader(number: string): string {
    return `<sip:${number}@${this.core.d.sip.stack.publicIp}>`;
  }
}
