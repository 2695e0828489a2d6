import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.js';
import type { Executor } from '../store/db.js';

/**
 * Tenant ownership across nodes (docs/cluster.md): one row per tenant in `tenant_leases` (0014_cluster) naming the
 * node that runs the tenant's live call state until `expires_at`. A lease changes hands only once it has expired,
 * and every change bumps `token`: the fencing token. A node that was paused past its lease (GC, a stalled disk)
 * still believes it owns the tenant; `holdsLease` with its token is false as soon as another node took over, so
 * its late writes can be refused.
 */

export interface Lease {
  tenantId: number;
  nodeId: string;
  token: number;
  expiresAt: number;
}

/** How long a lease lasts without renewal, and how often its owner renews it: a dead owner's tenants move
 * within LEASE_MS + RENEW_MS (13 s, under the 15 s of issue #17). */
export const LEASE_MS = 10_000;
export const RENEW_MS = 3_000;

const toLease = (r: {
  tenant_id: number;
  node_id: string;
  token: number | string;
  expires_at: number | string;
}) => ({
  tenantId: r.tenant_id,
  nodeId: r.node_id,
  token: Number(r.token),
  expiresAt: Number(r.expires_at),
});

export async function readLease(db: Executor, tenantId: number): Promise<Lease | null> {
  const r = await db
    .selectFrom('tenant_leases')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return r ? toLease(r) : null;
}

/**
 * Take or renew `tenantId` for `nodeId`: renews a lease the node holds, takes one that is absent or expired
 * (token + 1), and leaves a live lease of another node alone. Each step is one conditional statement, so two
 * nodes racing for an expired lease cannot both win. Returns the lease the node now holds, or null.
 */
export async function acquireLease(
  db: Executor,
  tenantId: number,
  nodeId: string,
  now: number,
  ttlMs = LEASE_MS,
): Promise<Lease | null> {
  const expiresAt = now + ttlMs;
  await db
    .insertInto('tenant_leases')
    .values({ tenant_id: tenantId, node_id: nodeId, token: 1, expires_at: expiresAt })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  const renewed = await db
    .updateTable('tenant_leases')
    .set({ expires_at: expiresAt })
    .where('tenant_id', '=', tenantId)
    .where('node_id', '=', nodeId)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  if (Number(renewed.numUpdatedRows) === 0) {
    await db
      .updateTable('tenant_leases')
      .set((eb) => ({ node_id: nodeId, token: eb('token', '+', 1), expires_at: expiresAt }))
      .where('tenant_id', '=', tenantId)
      .where('expires_at', '<=', now)
      .execute();
  }
  const lease = await readLease(db, tenantId);
  return lease && lease.nodeId === nodeId && lease.expiresAt > now ? lease : null;
}

/** The fencing check: does `nodeId` still hold `tenantId` under `token` at `now`? */
export async function holdsLease(
  db: Executor,
  tenantId: number,
  nodeId: string,
  token: number,
  now: number,
): Promise<boolean> {
  const lease = await readLease(db, tenantId);
  return !!lease && lease.nodeId === nodeId && lease.token === token && lease.expiresAt > now;
}

/** Give a lease up at once (graceful stop), so another node need not wait for it to expire. */
export async function releaseLease(
  db: Executor,
  tenantId: number,
  nodeId: string,
  now: number,
): Promise<void> {
  await db
    .updateTable('tenant_leases')
    .set({ expires_at: now })
    .where('tenant_id', '=', tenantId)
    .where('node_id', '=', nodeId)
    .execute();
}

export type OwnershipListener = (tenantId: number, owned: boolean, lease: Lease | null) => void;

/**
 * One node's side of tenant ownership, on the injected clock: every RENEW_MS it renews its leases and takes the
 * tenants whose lease is absent or expired (the first live node to see a dead owner's lease expire takes it).
 * Listeners hear each gain and loss.
 */
export class TenantLeases {
  private readonly held = new Map<number, Lease>();
  private readonly listeners: OwnershipListener[] = [];
  private timer?: Timer;
  private stopped = false;

  constructor(
    private readonly d: {
      db: Executor;
      clock: Clock;
      nodeId: string;
      /** The tenants to run (all active tenants, read each round). */
      tenants: () => Promise<number[]>;
      logger?: Logger;
    },
  ) {}

  onChange(l: OwnershipListener): void {
    this.listeners.push(l);
  }

  owns(tenantId: number): Lease | null {
    const l = this.held.get(tenantId);
    return l && l.expiresAt > this.d.clock.now() ? l : null;
  }

  start(): void {
    this.stopped = false;
    const loop = () => {
      void this.tick().finally(() => {
        if (!this.stopped) this.timer = this.d.clock.setTimeout(loop, RENEW_MS);
      });
    };
    loop();
  }

  /** One round: renew, take what is free, report changes. */
  async tick(): Promise<void> {
    const { db, clock, nodeId } = this.d;
    try {
      for (const tenantId of await this.d.tenants()) {
        const lease = await acquireLease(db, tenantId, nodeId, clock.now());
        const had = this.held.get(tenantId);
        if (lease) this.held.set(tenantId, lease);
        else this.held.delete(tenantId);
        const gained = !!lease && (!had || had.token !== lease.token);
        const lost = !lease && !!had;
        if (gained || lost) for (const l of this.listeners) l(tenantId, !!lease, lease);
      }
    } catch (err) {
      // The store is down: keep what we hold until it expires (owns() checks the expiry), retry next round.
      this.d.logger?.warn({ err }, 'tenant lease round failed');
    }
  }

  /** Stop renewing; `release`: hand the leases back at once (graceful stop). */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    this.d.clock.clearTimeout(this.timer);
    if (release) {
      for (const tenantId of this.held.keys())
        await releaseLease(this.d.db, tenantId, this.d.nodeId, this.d.clock.now());
    }
    this.held.clear();
  }
}
