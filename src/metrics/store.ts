import { Gauge, type Registry } from 'prom-client';
import { sql } from 'kysely';
import type { Clock } from '../clock.js';
import type { Store } from '../store/db.js';
import { type TenantLabels, bump, sharedRead } from './tenants.js';

/** An agent's status as a bounded label: the four system statuses by name, custom ones by whether they take calls. */
function stateOf(status: string, ready: number | null): string {
  switch (status) {
    case 'Offline':
      return 'offline';
    case 'Ringing':
      return 'ringing';
    case 'In-call':
      return 'in_call';
    case 'Wrap-up':
      return 'wrapup';
    default:
      return ready === 1 ? 'available' : 'not_ready';
  }
}

/** Gauges read from the database at each scrape: agents by state, registrations, the outbox, the pool. */
export function storeMetrics(register: Registry, store: Store, clock: Clock, tenants: TenantLabels): void {
  const db = store.db;
  new Gauge({
    name: 'tongdai_agents',
    help: 'Agents (not deleted) by tenant and state: offline, ringing, in_call, wrapup, available, not_ready',
    labelNames: ['tenant', 'state'] as const,
    registers: [register],
    async collect() {
      const rows = await db
        .selectFrom('agents as a')
        .leftJoin('statuses as s', 's.id', 'a.status_id')
        .select(['a.tenant_id', 'a.status', 's.is_ready', sql<number>`count(*)`.as('n')])
        .where('a.deleted_at', 'is', null)
        .groupBy(['a.tenant_id', 'a.status', 's.is_ready'])
        .execute();
      const counts = new Map<string, number>();
      for (const r of rows) {
        bump(counts, `${tenants.label(r.tenant_id)}\u0000${stateOf(r.status, r.is_ready)}`, Number(r.n));
      }
      this.reset();
      for (const [k, n] of counts) {
        const [tenant, state] = k.split('\u0000') as [string, string];
        this.set({ tenant, state }, n);
      }
    },
  });
  new Gauge({
    name: 'tongdai_sip_registrations',
    help: 'Unexpired SIP contact bindings in the shared location table',
    registers: [register],
    async collect() {
      const r = await db
        .selectFrom('sip_registrations')
        .select(sql<number>`count(*)`.as('n'))
        .where('expires_at', '>', clock.now())
        .executeTakeFirst();
      this.set(Number(r?.n ?? 0));
    },
  });
  const outbox = sharedRead(() =>
    db
      .selectFrom('outbox')
      .select([
        'kind',
        'status',
        sql<number>`count(*)`.as('n'),
        sql<number | null>`min(next_attempt_at)`.as('due'),
      ])
      .where('status', 'in', ['pending', 'failed'])
      .groupBy(['kind', 'status'])
      .execute(),
  );
  new Gauge({
    name: 'tongdai_outbox_jobs',
    help: 'Durable outbox jobs (webhook deliveries and other retried jobs) pending or failed, by kind',
    labelNames: ['kind', 'status'] as const,
    registers: [register],
    async collect() {
      const rows = await outbox();
      this.reset();
      for (const r of rows) this.set({ kind: r.kind, status: r.status }, Number(r.n));
    },
  });
  new Gauge({
    name: 'tongdai_outbox_lag_seconds',
    help: 'How long the oldest pending job that is due has been waiting past its due time, by kind',
    labelNames: ['kind'] as const,
    registers: [register],
    async collect() {
      const rows = await outbox();
      const now = clock.now();
      this.reset();
      for (const r of rows) {
        if (r.status !== 'pending') continue;
        this.set({ kind: r.kind }, r.due === null ? 0 : Math.max(0, now - Number(r.due)) / 1000);
      }
    },
  });
  new Gauge({
    name: 'tongdai_db_pool_connections',
    help: 'Database connections by state (PostgreSQL pool: total, idle, max, waiting callers; SQLite: one writer)',
    labelNames: ['state'] as const,
    registers: [register],
    collect() {
      const p = store.poolStats?.();
      if (!p) {
        this.set({ state: 'total' }, 1);
        this.set({ state: 'max' }, 1);
        return;
      }
      this.set({ state: 'total' }, p.total);
      this.set({ state: 'idle' }, p.idle);
      this.set({ state: 'max' }, p.max);
      this.set({ state: 'waiting' }, p.waiting);
    },
  });
  new Gauge({
    name: 'tongdai_db_ping_seconds',
    help: 'Round trip of `select 1` to the database, measured at this scrape',
    registers: [register],
    async collect() {
      const t0 = performance.now();
      await sql`select 1`.execute(db);
      this.set((performance.now() - t0) / 1000);
    },
  });
}
