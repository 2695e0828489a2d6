import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { EventBus } from '../domain/events.js';
import type { Executor } from '../store/db.js';
import { optionsPing } from '../sip/ping.js';
import { type Lease, TenantLeases } from './leases.js';

/** What a node does when tenants move: the ACD's reload and the status relay's target. */
export interface OwnershipHooks {
  /** This node gained or lost the tenant: its ACD must reload the tenant's live state from the store. */
  tenantMoved(tenantId: number, owned: boolean): void;
  /** After gaining tenants: resume agents a stopped owner left in a call-owned status (src/domain/recovery.ts). */
  recover(): Promise<unknown>;
  /** Another node changed an agent's status (the owner's ACD refreshes the agent's availability). */
  agentChanged(tenantId: number, agentId: number): void;
  /**
   * A node whose tenants this node took is dead (it does not answer SIP): close its open calls with a cause and
   * forget it (src/calls/nodes.ts `closeCallsOf`), before recovery resumes its agents. Returns the calls closed.
   */
  ownerDied(nodeId: string): Promise<number>;
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
  /** Whether the node at this SIP host:port answers (default: OPTIONS, PROBE_TRIES × PROBE_MS). */
  answers?: (sipAddress: string) => Promise<boolean>;
}

/** How a previous owner is asked whether it still runs: OPTIONS, this many times, waiting this long for each. */
const PROBE_TRIES = 3;
const PROBE_MS = 1_000;

/** Whether the node at `sipAddress` (host:port) answers an OPTIONS within PROBE_TRIES × PROBE_MS. */
export async function sipAnswers(sipAddress: string): Promise<boolean> {
  const at = sipAddress.lastIndexOf(':');
  const host = sipAddress.slice(0, at).replace(/^\[|\]$/g, '');
  const port = Number(sipAddress.slice(at + 1));
  if (!host || !Number.isInteger(port) || port <= 0) return false;
  for (let i = 0; i < PROBE_TRIES; i++) {
    const status = await optionsPing(host, port, AbortSignal.timeout(PROBE_MS)).catch(() => null);
    if (status !== null) return true;
  }
  return false;
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
  /** A recovery run queued and not started yet (later gains join it). */
  private queued = false;
  /** Nodes whose expired leases this node took, to be asked whether they still run. */
  private readonly suspects = new Set<string>();

  constructor(private readonly d: OwnershipDeps) {
    this.leases = new TenantLeases({
      db: d.db,
      clock: d.clock,
      nodeId: d.nodeId,
      logger: d.logger,
      tenants: async () =>
        (await d.db.selectFrom('tenants').select('id').orderBy('id').execute()).map((r) => r.id),
    });
    this.leases.onChange((tenantId, owned, lease, previous) => this.moved(tenantId, owned, lease, previous));
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
    await this.recovering;
    this.unsubscribe?.();
    await Promise.all([this.pub, this.sub].map((r) => r && r.quit().then(undefined, () => r.disconnect())));
  }

  private moved(tenantId: number, owned: boolean, lease: Lease | null, previous: string | null): void {
    const from = previous && previous !== this.d.nodeId ? previous : undefined;
    this.d.logger.info(
      { tenantId, owned, token: lease?.token, from },
      owned ? 'tenant taken' : 'tenant lost',
    );
    this.d.hooks.tenantMoved(tenantId, owned);
    if (!owned) return;
    if (from) this.suspects.add(from);
    this.recoverSoon();
  }

  /** Resolves once the recoveries queued so far ran (tests, graceful stop). */
  async settled(): Promise<void> {
    await this.recovering;
  }

  /**
   * One recovery at a time; gains during a run are covered by a run after it. A run first asks each node it took
   * expired leases from whether it still runs: one that does not answer SIP is dead (killed, its host gone), and
   * its calls are closed now rather than at the 45 s heartbeat bound, so recovery can resume its agents. A node
   * that answers only missed its renewals (a stall, the store unreachable): its calls are its own to finish.
   */
  private recoverSoon(): void {
    if (this.queued) return;
    this.queued = true;
    const run = async (): Promise<void> => {
      this.queued = false;
      const suspects = [...this.suspects];
      this.suspects.clear();
      try {
        for (const node of suspects) await this.closeIfDead(node);
        await this.d.hooks.recover();
      } catch (err) {
        this.d.logger.warn({ err }, 'recovery after taking tenants failed');
      }
    };
    this.recovering = (this.recovering ?? Promise.resolve()).then(run);
  }

  private async closeIfDead(node: string): Promise<void> {
    const row = await this.d.db
      .selectFrom('telephony_nodes')
      .select('sip_address')
      .where('id', '=', node)
      .executeTakeFirst();
    // No row: it stopped gracefully (its calls ended) or was already found dead; closing finds nothing or the rest.
    const alive = row?.sip_address ? await (this.d.answers ?? sipAnswers)(row.sip_address) : false;
    if (alive) {
      this.d.logger.info({ node }, 'previous owner still answers: its calls stay its own');
      return;
    }
    const closed = await this.d.hooks.ownerDied(node);
    this.d.logger.warn({ node, closed }, 'previous owner is dead: its calls closed');
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
