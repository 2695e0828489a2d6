import type { AgentRow, RoutingStore, TenantRow, TrunkRow } from '../domain/call-store.js';
import type { SecretBox } from '../domain/secrets.js';

export type { TrunkRow } from '../domain/call-store.js';

export type InboundTarget =
  | { kind: 'queue'; tenant: TenantRow; queueId: number; did: string; trunk: TrunkRow }
  | { kind: 'agent'; tenant: TenantRow; agentId: number; did: string; trunk: TrunkRow }
  | { kind: 'ivr'; tenant: TenantRow; flowId: number; did: string; trunk: TrunkRow }
  | { kind: 'unknown'; did: string };

export type AgentDestination =
  { kind: 'extension'; agent: AgentRow } | { kind: 'external'; number: string } | { kind: 'invalid' };

/** Normalise an IPv4-mapped IPv6 source so `::ffff:127.0.0.1` and `127.0.0.1` compare equal. */
const plain = (ip: string) => ip.replace(/^::ffff:/i, '');

/** How long trunk and number lookups are reused: they sit on every INVITE's path, and change rarely. */
const CACHE_MS = 2000;

/** Where calls come from and go to: trunks by source address, DIDs to their target, agents' dialled numbers. */
export class Routing {
  private trunks?: { at: number; rows: Promise<TrunkRow[]> };
  private readonly targets = new Map<string, { at: number; target: Promise<InboundTarget> }>();

  constructor(
    private readonly store: RoutingStore,
    private readonly box?: Pick<SecretBox, 'open'>,
  ) {}

  private allTrunks(): Promise<TrunkRow[]> {
    const now = Date.now();
    if (!this.trunks || now - this.trunks.at > CACHE_MS) {
      const rows = this.store.trunks();
      this.trunks = { at: now, rows };
      // A failed read (the database restarting) is not reused: the next INVITE asks again.
      rows.catch(() => this.trunks?.rows === rows && (this.trunks = undefined));
    }
    return this.trunks.rows;
  }

  /** Every trunk whose allowed_ips contains `address` (one carrier address may serve several tenants). */
  async trunksFor(address: string): Promise<TrunkRow[]> {
    const rows = await this.allTrunks();
    const ip = plain(address);
    return rows.filter((t) => {
      try {
        return (JSON.parse(t.allowed_ips) as string[]).some((a) => plain(a) === ip);
      } catch {
        return false;
      }
    });
  }

  /** The DID's target among the trunks a call came through: the first tenant that owns the number. */
  async inboundFrom(address: string, did: string): Promise<InboundTarget> {
    for (const trunk of await this.trunksFor(address)) {
      const target = await this.inboundTarget(trunk, did);
      if (target.kind !== 'unknown') return target;
    }
    return { kind: 'unknown', did };
  }

  /** The tenant's trunk for calls out, with its digest credentials opened when it has some. */
  async outboundTrunk(tenantId: number): Promise<TrunkRow | undefined> {
    const t = await this.store.firstTrunk(tenantId);
    if (t?.username && t.password_enc && this.box) {
      t.credentials = { username: t.username, password: this.box.open(t.password_enc) };
    }
    return t;
  }

  /** A DID arriving from `trunk`: its number row, in the trunk's tenant (reused for CACHE_MS). */
  inboundTarget(trunk: TrunkRow, did: string): Promise<InboundTarget> {
    const key = `${trunk.tenant_id}|${did}`;
    const now = Date.now();
    const hit = this.targets.get(key);
    if (hit && now - hit.at <= CACHE_MS) return hit.target;
    if (this.targets.size > 10_000) this.targets.clear();
    const target = this.lookupTarget(trunk, did);
    this.targets.set(key, { at: now, target });
    target.catch(() => this.targets.get(key)?.target === target && this.targets.delete(key));
    return target;
  }

  private async lookupTarget(trunk: TrunkRow, did: string): Promise<InboundTarget> {
    const n = await this.store.numberTarget(trunk.tenant_id, variants(did));
    const tenant = await this.store.tenant(trunk.tenant_id);
    if (!n || !tenant) return { kind: 'unknown', did };
    if (n.targetType === 'queue') return { kind: 'queue', tenant, queueId: n.targetId, did: n.number, trunk };
    if (n.targetType === 'ivr') return { kind: 'ivr', tenant, flowId: n.targetId, did: n.number, trunk };
    return { kind: 'agent', tenant, agentId: n.targetId, did: n.number, trunk };
  }

  /** What an agent dialled: another live extension of the tenant, or an external number. */
  async agentDestination(tenantId: number, dialled: string): Promise<AgentDestination> {
    const agent = await this.store.agentByExtension(tenantId, dialled);
    if (agent) return { kind: 'extension', agent };
    if (/^\+?\d{2,20}$/.test(dialled)) return { kind: 'external', number: dialled };
    return { kind: 'invalid' };
  }

  /** The queue a number of the tenant points to (a REFER naming a queue's number transfers to that queue). */
  async queueByNumber(tenantId: number, number: string): Promise<number | null> {
    const n = await this.store.numberTarget(tenantId, variants(number));
    return n?.targetType === 'queue' ? n.targetId : null;
  }

  /** The caller id for an agent's outbound call: the first number of their callout queue. */
  async callerIdFor(agent: Pick<AgentRow, 'tenant_id' | 'callout_queue_id'>): Promise<string | null> {
    if (agent.callout_queue_id === null) return null;
    const ids = await this.store.calloutCallerIds(agent.tenant_id, agent.callout_queue_id);
    return ids[0] ?? null;
  }

  /**
   * The number an agent's call through the trunk shows (the carrier's From user): their callout queue's caller id,
   * else their extension. Outbound calls, click-to-call and transfers to an external number all use it.
   */
  async trunkCallerId(
    agent: Pick<AgentRow, 'tenant_id' | 'callout_queue_id' | 'extension'>,
  ): Promise<string> {
    return (await this.callerIdFor(agent)) ?? agent.extension;
  }

  /** The tenant a call belongs to (undefined when it was deleted). */
  tenant(tenantId: number): Promise<TenantRow | undefined> {
    return this.store.tenant(tenantId);
  }

  /** A live agent of the tenant by id (undefined: unknown or deleted). */
  agent(tenantId: number, agentId: number): Promise<AgentRow | undefined> {
    return this.store.agentById(tenantId, agentId);
  }
}

/** A DID as carriers send it: national `028…`, E.164 `+8428…` or `8428…` all match the stored number. */
function variants(did: string): string[] {
  const out = new Set([did]);
  const national = did.replace(/^\+?84/, '0');
  out.add(national);
  out.add('+84' + national.slice(1));
  out.add('84' + national.slice(1));
  return [...out];
}
