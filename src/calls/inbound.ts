import type { Logger } from 'pino';
import type { AgentRow, TenantRow } from '../domain/call-store.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Authenticator } from '../sip/auth.js';
import type { SipIdentity } from '../sip/directory.js';
import { realSource } from '../sip/edge-source.js';
import { parseNameAddr } from '../sip/headers.js';
import type { LocationService } from '../sip/location.js';
import { type SipRequest, makeResponse } from '../sip/message.js';
import type { ServerTransaction } from '../sip/transactions.js';
import { type DirectDeps, connectDirect } from './direct.js';
import type { DialTarget } from './dialer.js';
import { type CallCore, callerNumberOf } from './engine.js';
import type { IvrFlows } from './ivr-flow.js';
import type { QueueFlow } from './queue-flow.js';
import { type CallMonitor, featureCode } from './monitor.js';
import type { CallStart } from './records.js';
import type { InboundTarget, Routing } from './routing.js';
import { externalTarget, phoneTargets } from './targets.js';

/** What routing an INVITE uses: the live-call table, the flows, routing reads, SIP auth and locations. */
export interface InviteRouterDeps {
  core: Pick<CallCore, 'admit' | 'refuse' | 'incoming' | 'dialled'>;
  queues: Pick<QueueFlow, 'enter'>;
  /** Numbers pointing to an IVR flow (src/calls/ivr-flow.ts). */
  ivr: Pick<IvrFlows, 'enter'>;
  direct: DirectDeps;
  routing: Pick<Routing, 'inboundFrom' | 'agentDestination' | 'trunkCallerId' | 'outboundTrunk'>;
  box: Pick<SecretBox, 'open'>;
  auth: Pick<Authenticator, 'authenticate' | 'authenticatePeer'>;
  location: Pick<LocationService, 'lookup'>;
  /** SIP edges whose `X-Tongdai-Source` names the real sender (SIP_EDGE_ADDRESSES; src/sip/edge-source.ts). */
  edges?: readonly string[];
  /** tongdai's public SIP address (the host of From headers it writes). */
  publicIp(): string;
  logger: Logger;
}

/**
 * Routes every new INVITE. From a trunk's address to one of its tenant's numbers: an inbound call to the number's
 * queue, agent or IVR flow (trunks are trusted by address). Anything else must be an agent, digest-authenticated (407):
 * to another extension (internal) or to an external number through the tenant's trunk (outbound).
 */
export class InviteRouter {
  /**
   * Tenant ownership on several nodes (docs/cluster.md): the SIP address of the node that owns a tenant when it is
   * not this one. A carrier's call for a tenant owned elsewhere is redirected there (302) before any record.
   */
  owners?: { ownerElsewhere(tenantId: number): Promise<string | null> };

  /** Feature codes dialled by agents (`*91<ext>`…: supervisor monitoring), once the monitor exists. */
  features?: Pick<CallMonitor, 'fromPhone'>;

  private readonly core: InviteRouterDeps['core'];

  constructor(private readonly d: InviteRouterDeps) {
    this.core = d.core;
  }

  onInvite(req: SipRequest, tx: ServerTransaction): void {
    this.route(req, tx).catch((err: unknown) => {
      this.d.logger.error({ err }, 'routing an INVITE failed');
      tx.respond(makeResponse(req, 500));
    });
  }

  private async route(req: SipRequest, tx: ServerTransaction): Promise<void> {
    const dialled = this.core.dialled(req);
    if (!dialled) return tx.respond(makeResponse(req, 404));
    const source = realSource(req, tx.remote.address, this.d.edges ?? []);
    const target = await this.d.routing.inboundFrom(source, dialled);
    if (target.kind !== 'unknown') {
      // A trunk with credentials must also pass digest (realm: the tenant's SIP domain), not only its address.
      const { username, password_enc } = target.trunk;
      if (username && password_enc) {
        const password = this.d.box.open(password_enc);
        const realm = target.tenant.sip_domain;
        const refused = await this.d.auth.authenticatePeer(req, tx.remote, {
          username,
          password,
          realm,
        });
        if (refused) return tx.respond(refused);
      }
      return this.fromTrunk(req, tx, target);
    }
    const auth = await this.d.auth.authenticate(req, tx.remote);
    if (!auth.ok) return tx.respond(auth.response);
    return this.fromAgent(req, tx, auth.identity, dialled);
  }

  private async fromTrunk(
    req: SipRequest,
    tx: ServerTransaction,
    target: Exclude<InboundTarget, { kind: 'unknown' }>,
  ) {
    const owner = await this.owners?.ownerElsewhere(target.tenant.id);
    if (owner) return tx.respond(redirectTo(req, owner));
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
    if (target.kind === 'queue') return this.d.queues.enter(inc, target.queueId, caller);
    if (target.kind === 'ivr') return this.d.ivr.enter(inc, target.flowId);
    const targets = phoneTargets(this.d.location.lookup(target.tenant.id, target.agentId));
    return connectDirect(this.d.direct, inc, {
      from: this.fromHeader(caller),
      targets,
      calleeAgentId: target.agentId,
    });
  }

  private async fromAgent(req: SipRequest, tx: ServerTransaction, id: SipIdentity, dialled: string) {
    const code = featureCode(dialled);
    if (code && this.features) return this.features.fromPhone(req, tx, id, code);
    const dest = await this.d.routing.agentDestination(id.tenant.id, dialled);
    if (dest.kind === 'extension') return this.internal(req, tx, id, dest.agent);
    const callerId = await this.d.routing.trunkCallerId(id.agent);
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
    return connectDirect(this.d.direct, inc, {
      from: this.fromHeader(callerId),
      targets,
      callerAgentId: id.agent.id,
      earlyMedia: true,
    });
  }

  private async internal(req: SipRequest, tx: ServerTransaction, id: SipIdentity, callee: AgentRow) {
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
    const bindings = this.d.location.lookup(id.tenant.id, callee.id);
    const display = parseNameAddr(req.headers.get('from') ?? '').display ?? id.agent.name;
    return connectDirect(this.d.direct, inc, {
      from: `"${display.replace(/"/g, '')}" <sip:${id.agent.extension}@${id.tenant.sip_domain}>`,
      targets: phoneTargets(bindings, `sip:${callee.extension}@${id.tenant.sip_domain}`),
      calleeAgentId: callee.id,
      callerAgentId: id.agent.id,
    });
  }

  /** The trunk leg for an external number, or null after refusing the call (barred destination, no trunk). */
  async trunkTargets(
    tenant: TenantRow,
    number: string,
    start: CallStart,
    tx?: ServerTransaction,
  ): Promise<DialTarget[] | null> {
    const out = await externalTarget(this.d.routing, tenant, number);
    if ('refusal' in out) {
      const { status, cause, reason } = out.refusal;
      this.core.refuse(start, status, cause, reason, tx);
      return null;
    }
    return [out.target];
  }

  fromHeader(number: string): string {
    return `<sip:${number}@${this.d.publicIp()}>`;
  }
}

/**
 * 302 to the owning node: the same Request-URI user at the owner's SIP address. The edge follows it (Kamailio's
 * failure route, only towards its dispatcher set), so the carrier never sees it.
 */
function redirectTo(req: SipRequest, owner: string) {
  const user = /^sips?:([^@;]+)@/i.exec(req.uri)?.[1] ?? '';
  const res = makeResponse(req, 302, 'Moved Temporarily');
  res.headers.add('contact', `<sip:${user}@${owner}>`);
  return res;
}
