import { Registry, collectDefaultMetrics } from 'prom-client';
import type { Logger } from 'pino';
import type { Telephony } from '../calls/index.js';
import type { Clock } from '../clock.js';
import type { EventBus } from '../domain/events.js';
import type { RealtimeTotals } from '../realtime/gateway.js';
import type { Store } from '../store/db.js';
import { callMetrics } from './calls.js';
import { mediaMetrics } from './media.js';
import { realtimeMetrics } from './realtime.js';
import { sipMetrics } from './sip.js';
import { storeMetrics } from './store.js';
import { TenantLabels } from './tenants.js';

export interface MetricsDeps {
  store: Store;
  clock: Clock;
  bus: EventBus;
  logger: Logger;
  telephony: Telephony;
  /** How many tenants get their own `tenant` label before the rest are folded into "other" (docs/operations.md). */
  tenantLabelLimit?: number;
}

/** One process's metrics: its own prom-client registry (no global one, so tests can build several servers). */
export interface Metrics {
  readonly register: Registry;
  readonly contentType: string;
  /** The Prometheus text exposition of every metric; rejects when a collector fails (answered 503). */
  render(): Promise<string>;
  /** The realtime series, once the Socket.IO gateway exists (it is built after the HTTP server). */
  addRealtime(totals: () => RealtimeTotals): void;
  close(): void;
}

export const DEFAULT_TENANT_LABEL_LIMIT = 100;

export function createMetrics(d: MetricsDeps): Metrics {
  const register = new Registry();
  // Process CPU, memory, GC, handles and the event-loop delay histogram (nodejs_eventloop_lag_*), by their usual names.
  collectDefaultMetrics({ register, eventLoopMonitoringPrecision: 10 });
  const tenants = new TenantLabels(d.tenantLabelLimit ?? DEFAULT_TENANT_LABEL_LIMIT);
  const transport = d.telephony.sip.stack.transport;
  transport.tap = sipMetrics(register);
  const unsubscribe = callMetrics({
    register,
    bus: d.bus,
    db: d.store.db,
    calls: d.telephony.core.calls,
    acd: d.telephony.acd.acd,
    tenants,
  });
  mediaMetrics(register, d.telephony.media.totals);
  storeMetrics(register, d.store, d.clock, tenants);
  return {
    register,
    contentType: register.contentType,
    render: () => register.metrics(),
    addRealtime: (totals) => realtimeMetrics(register, totals),
    close() {
      unsubscribe();
      transport.tap = null;
    },
  };
}
