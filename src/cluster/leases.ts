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
 * within LEASE_MS + RENEW_MS of its last renewal (10 s, well under the 15 s of issue #17), while a live owner may
 * miss three rounds in a row (a stalled event loop on a loaded machine) before it loses a tenant. */
export const LEASE_MS = 8_000;
export const RENEW_MS = 2_000;

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

/** `previous`: when the node took a lease that had expired, the node that held it (possibly itself). */
export type OwnershipListener = (
  tenantId: number,
  owned: boolean,
  lease: Lease | null,
  previous: string | null,
) => void;

/**
 * One node's side of tenant ownership, on the injected clock: every RENEW_MS it renews its leases and takes the
 * tenants whose lease is absent or expired (the first live node to see a dead owner's lease expire takes it).
 * A round costs the same few statements whatever the number of tenants (one read of the leases, one renewal of
 * all this node's leases); only taking an expired lease is a statement per tenant, and that is rare. Listeners
 * hear each gain and loss.
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
    let now: Lease[];
    let previous: Map<number, string | null>;
    try {
      ({ now, previous } = await this.round());
    } catch (err) {
      // The store is down: keep what we hold until it expires (owns() checks the expiry), retry next round.
      this.d.logger?.warn({ err }, 'tenant lease round failed');
      return;
    }
    const had = new Map(this.held);
    this.held.clear();
    for (const l of now) this.held.set(l.tenantId, l);
    for (const l of now) {
      const before = had.get(l.tenantId);
      if (before && before.token === l.token) continue;
      const prev = previous.get(l.tenantId) ?? null;
      for (const fn of this.listeners) fn(l.tenantId, true, l, prev);
    }
    for (const tenantId of had.keys()) {
      if (!this.held.has(tenantId)) for (const fn of this.listeners) fn(tenantId, false, null, null);
    }
  }

  /** The round's statements: the leases this node holds afterwards, and whom it took each expired one from. */
  private async round(): Promise<{ now: Lease[]; previous: Map<number, string | null> }> {
    const { db, clock, nodeId } = this.d;
    const at = clock.now();
    const expiresAt = at + LEASE_MS;
    const tenants = await this.d.tenants();
    const renewed = await db
      .updateTable('tenant_leases')
      .set({ expires_at: expiresAt })
      .where('node_id', '=', nodeId)
      .where('expires_at', '>', at)
      .returning(['tenant_id', 'node_id', 'token', 'expires_at'])
      .execute();
    const mine = new Set(renewed.map((r) => r.tenant_id));
    const now = renewed.map(toLease);
    const previous = new Map<number, string | null>();
    const leases = await db.selectFrom('tenant_leases').selectAll().execute();
    const known = new Map(leases.map((r) => [r.tenant_id, toLease(r)]));
    const absent = tenants.filter((t) => !known.has(t));
    for (let i = 0; i < absent.length; i += 500) {
      const rows = absent
        .slice(i, i + 500)
        .map((t) => ({ tenant_id: t, node_id: nodeId, token: 1, expires_at: expiresAt }));
      const inserted = await db
        .insertInto('tenant_leases')
        .values(rows)
        .onConflict((oc) => oc.column('tenant_id').doNothing())
        .returning(['tenant_id', 'node_id', 'token', 'expires_at'])
        .execute();
      for (const r of inserted) now.push(toLease(r));
    }
    const wanted = new Set(tenants);
    for (const l of known.values()) {
      if (mine.has(l.tenantId) || l.expiresAt > at || !wanted.has(l.tenantId)) continue;
      // Conditional on the token seen: of two nodes racing for the same expired lease, one wins.
      const taken = await db
        .updateTable('tenant_leases')
        .set((eb) => ({ node_id: nodeId, token: eb('token', '+', 1), expires_at: expiresAt }))
        .where('tenant_id', '=', l.tenantId)
        .where('token', '=', l.token)
        .where('expires_at', '<=', at)
        .returning(['tenant_id', 'node_id', 'token', 'expires_at'])
        .executeTakeFirst();
      if (!taken) continue;
      now.push(toLease(taken));
      previous.set(l.tenantId, l.nodeId);
    }
    return { now, previous };
  }

  /** Stop renewing; `release`: hand the leases back at once (graceful stop), in one statement. */
  async stop(release = true): Promise<void> {
    this.stopped = true;
    this.d.clock.clearTimeout(this.timer);
    if (release && this.held.size > 0) {
      await this.d.db
        .updateTable('tenant_leases')
        .set({ expires_at: this.d.clock.now() })
        .where('node_id', '=', this.d.nodeId)
        .execute();
    }
    this.held.clear();
  }
}
