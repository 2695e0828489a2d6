import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { Acd } from '../acd/index.js';
import type { Call } from '../calls/call.js';
import { Q850_CODES } from '../calls/q850.js';
import { COUNT_KEYS, type CallbackCounts, callbackCountsByTenant, noCallbacks } from '../domain/callbacks.js';
import type { EventBus } from '../domain/events.js';
import type { Db } from '../store/db.js';
import { type TenantLabels, bump, sharedRead } from './tenants.js';

export interface CallMetricsDeps {
  register: Registry;
  bus: EventBus;
  db: Db;
  /** This node's live calls (the call engine's table). */
  calls: ReadonlyMap<string, Call>;
  acd: Acd;
  tenants: TenantLabels;
}

const causeLabel = (c: string | null) => (c && c in Q850_CODES ? c : c ? 'other' : 'unknown');

/**
 * Calls started, answered and ended (by cause) from the domain events, and the live gauges (active calls, queue
 * waiting and oldest wait) read from the call engine and the ACD at each scrape. Returns the unsubscribe function.
 */
export function callMetrics(d: CallMetricsDeps): () => void {
  const { register } = d;
  const started = new Counter({
    name: 'tongdai_calls_started_total',
    help: 'Calls started (call records created, refused calls included), by direction',
    labelNames: ['direction'] as const,
    registers: [register],
  });
  const answered = new Counter({
    name: 'tongdai_calls_answered_total',
    help: 'Calls answered, by direction',
    labelNames: ['direction'] as const,
    registers: [register],
  });
  const ended = new Counter({
    name: 'tongdai_calls_ended_total',
    help: 'Calls ended, by direction and Q.850 hangup cause',
    labelNames: ['direction', 'cause'] as const,
    registers: [register],
  });
  const duration = new Histogram({
    name: 'tongdai_call_duration_seconds',
    help: 'Talk time of answered calls, from answer to hang-up',
    buckets: [5, 15, 30, 60, 120, 300, 600, 1800, 3600],
    registers: [register],
  });
  new Gauge({
    name: 'tongdai_calls_active',
    help: 'Calls up on this node now, by tenant (see docs/operations.md for the tenant-label rule)',
    labelNames: ['tenant'] as const,
    registers: [register],
    collect() {
      this.reset();
      const byTenant = new Map<string, number>();
      for (const c of d.calls.values()) bump(byTenant, d.tenants.label(c.tenantId));
      for (const [tenant, n] of byTenant) this.set({ tenant }, n);
    },
  });
  const queues = sharedRead(async () => {
    const rows = await d.db.selectFrom('inbound_queues').select('id').execute();
    const count = new Map<string, number>();
    const oldest = new Map<string, number>();
    for (const { id } of rows) {
      const q = d.acd.queueStats(id);
      if (!q) continue;
      const tenant = d.tenants.label(q.tenantId);
      bump(count, tenant, q.waiting);
      const wait = q.waiting > 0 ? q.longestWaitingSec : 0;
      oldest.set(tenant, Math.max(oldest.get(tenant) ?? 0, wait));
    }
    return { count, oldest };
  });
  new Gauge({
    name: 'tongdai_queue_calls_waiting',
    help: 'Calls waiting in inbound queues (not yet answered) on this node, by tenant',
    labelNames: ['tenant'] as const,
    registers: [register],
    async collect() {
      const { count } = await queues();
      this.reset();
      for (const [tenant, n] of count) this.set({ tenant }, n);
    },
  });
  new Gauge({
    name: 'tongdai_queue_oldest_wait_seconds',
    help: "How long the longest-waiting queued call of the tenant's queues has waited, in seconds",
    labelNames: ['tenant'] as const,
    registers: [register],
    async collect() {
      const { oldest } = await queues();
      this.reset();
      for (const [tenant, s] of oldest) this.set({ tenant }, s);
    },
  });
  new Gauge({
    name: 'tongdai_queue_callbacks',
    help:
      'Queued callbacks of the tenant since the rows began, from the database (so a restart changes nothing): ' +
      'offered (requested), completed (customer connected to the agent), failed (given up), open',
    labelNames: ['tenant', 'count'] as const,
    registers: [register],
    async collect() {
      const byTenant = await callbackCountsByTenant(d.db);
      const sums = new Map<string, CallbackCounts>();
      for (const [tenantId, c] of byTenant) {
        const tenant = d.tenants.label(tenantId);
        const s = sums.get(tenant) ?? noCallbacks();
        for (const k of COUNT_KEYS) s[k] += c[k];
        sums.set(tenant, s);
      }
      this.reset();
      for (const [tenant, s] of sums) for (const k of COUNT_KEYS) this.set({ tenant, count: k }, s[k]);
    },
  });
  const offs = [
    d.bus.on('call.created', (_t, p) => started.inc({ direction: p.direction })),
    d.bus.on('call.answered', (_t, p) => answered.inc({ direction: p.direction })),
    d.bus.on('call.ended', (_t, p) => {
      ended.inc({ direction: p.direction, cause: causeLabel(p.hangupCause) });
      if (p.answeredAt !== null && p.endedAt !== null)
        duration.observe(Math.max(0, p.endedAt - p.answeredAt) / 1000);
    }),
  ];
  return () => offs.forEach((off) => off());
}
