import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus } from '../domain/events.js';
import type { Executor } from '../store/db.js';
import { type Lease, TenantLeases } from './leases.js';

/** What a node does when tenants move: the ACD's reload and the status relay's target. */
export interface OwnershipHooks {
  /** This node gained or lost the tenant: its ACD must reload the tenant's live state from the store. */
  tenantMoved(tenantId: number, owned: boolean): void;
  /** After gaining tenants: resume agents a stopped owner left in a call-owned status (src/domain/recovery.ts). */
  recover(): Promise<unknown>;
  /** Another node changed an agent's status (the owner's ACD refreshes the agent's availability). */
  agentChanged(tenantId: number, agentId: number): void;
}

export interface OwnershipDeps {
  db: Executor;
  clock: Clock;
  nodeId: string;
  bus: Pick<EventBus, 'on'>;
  logger: Logger;
  hooks: OwnershipHooks;
  /** Redis for the status relay (null: status changes reach the owner only when it reloads the tenant). */
  redisUrl: string | null;
  /** Isolates the relay channel per database schema (nodes of one deployment share it). */
  channel: string;
}

/**
 * Tenant ownership on a shared PostgreSQL (docs/cluster.md): this node's lease loop (src/cluster/leases.ts), the
 * owner lookup the INVITE router uses to redirect a carrier's call to the tenant's owner, and a Redis relay of
 * agents' status changes so the owner's ACD hears changes made through any node (HTTP, registrations, recovery).
 */
export class ClusterOwnership {
  readonly leases: TenantLeases;
  private readonly relayId = randomBytes(8).toString('hex');
  private pub?: Redis;
  private sub?: Redis;
  private unsubscribe?: () => void;
  private recovering?: Promise<void>;

  constructor(private readonly d: OwnershipDeps) {
    this.leases = new TenantLeases({
      db: d.db,
      clock: d.clock,
      nodeId: d.nodeId,
      logger: d.logger,
      tenants: async () =>
        (await d.db.selectFrom('tenants').select('id').orderBy('id').execute()).map((r) => r.id),
    });
    this.leases.onChange((tenantId, owned, lease) => this.moved(tenantId, owned, lease));
  }

  async start(): Promise<void> {
    if (this.d.redisUrl) await this.startRelay(this.d.redisUrl);
    // The first round runs now, so a node that starts alone owns its tenants before its first call.
    await this.leases.tick();
    this.leases.start();
  }

  /**
   * The SIP host:port of the node that owns `tenantId` when that is a live lease of another node with a known
   * address; null: run the call here (this node owns it, or nobody does yet: the next lease round takes it).
   */
  async ownerElsewhere(tenantId: number): Promise<string | null> {
    const row = await this.d.db
      .selectFrom('tenant_leases')
      .leftJoin('telephony_nodes', 'telephony_nodes.id', 'tenant_leases.node_id')
      .select(['tenant_leases.node_id', 'tenant_leases.expires_at', 'telephony_nodes.sip_address'])
      .where('tenant_leases.tenant_id', '=', tenantId)
      .executeTakeFirst();
    if (!row || row.node_id === this.d.nodeId) return null;
    if (Number(row.expires_at) <= this.d.clock.now()) return null;
    return row.sip_address ?? null;
  }

  /** Graceful stop: hand the leases back at once, so another node takes the tenants at its next round. */
  async stop(): Promise<void> {
    await this.leases.stop(true);
    this.unsubscribe?.();
    await Promise.all([this.pub, this.sub].map((r) => r && r.quit().then(undefined, () => r.disconnect())));
  }

  private moved(tenantId: number, owned: boolean, lease: Lease | null): void {
    this.d.logger.info({ tenantId, owned, token: lease?.token }, owned ? 'tenant taken' : 'tenant lost');
    this.d.hooks.tenantMoved(tenantId, owned);
    if (owned) this.recoverSoon();
  }

  /** One recovery at a time; gains during a run are covered by a run after it. */
  private recoverSoon(): void {
    const run = async (): Promise<void> => {
      try {
        await this.d.hooks.recover();
      } catch (err) {
        this.d.logger.warn({ err }, 'recovery after taking tenants failed');
      }
    };
    this.recovering = (this.recovering ?? Promise.resolve()).then(run);
  }

  private async startRelay(url: string): Promise<void> {
    const channel = `tongdai:acd:${this.d.channel}`;
    this.pub = new Redis(url, { maxRetriesPerRequest: 2 });
    this.sub = new Redis(url, { maxRetriesPerRequest: null });
    for (const r of [this.pub, this.sub]) {
      r.on('error', (err) => this.d.logger.warn({ err: err.message }, 'redis error (status relay)'));
    }
    this.sub.on('message', (_c: string, raw: string) => {
      try {
        const m = JSON.parse(raw) as { from: string; tenantId: number; agentId: number };
        if (m.from !== this.relayId) this.d.hooks.agentChanged(m.tenantId, m.agentId);
      } catch (err) {
        this.d.logger.warn({ err }, 'unreadable relayed status change');
      }
    });
    await this.sub.subscribe(channel);
    const pub = this.pub;
    this.unsubscribe = this.d.bus.on('agent.status_changed', (tenantId, p) => {
      const msg = JSON.stringify({ from: this.relayId, tenantId, agentId: p.agentId });
      pub.publish(channel, msg).catch(() => undefined);
    });
  }
}
