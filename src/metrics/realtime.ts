import { Gauge, type Registry } from 'prom-client';
import type { RealtimeTotals } from '../realtime/gateway.js';
import { runningTotal, runningTotals } from './tenants.js';

/**
 * The realtime side (Socket.IO events): connections, what the tenants' event chains spent waiting and running (by
 * task kind, a closed set: call, agent-status, callback, voicemail, dtmf, leg, relayed, flush, take-over, resume),
 * socket writes and deliveries, and the event log behind delivery. Read from the gateway's totals at each scrape.
 */
export function realtimeMetrics(register: Registry, totals: () => RealtimeTotals): void {
  new Gauge({
    name: 'tongdai_realtime_sockets',
    help: 'Socket.IO (Engine.IO) connections open now, authenticated or not',
    registers: [register],
    collect() {
      this.set(totals().sockets);
    },
  });
  const byKind = (name: string, help: string, pick: (t: RealtimeTotals['chain'][string]) => number) =>
    runningTotals(register, name, help, 'kind', () =>
      Promise.resolve(Object.entries(totals().chain).map(([kind, t]) => [kind, pick(t)] as [string, number])),
    );
  byKind(
    'tongdai_realtime_chain_tasks_total',
    'Tasks run in the tenants’ event chains, by kind',
    (t) => t.tasks,
  );
  byKind(
    'tongdai_realtime_chain_wait_seconds_total',
    'Time chain tasks waited behind earlier tasks of their tenant, by kind',
    (t) => t.waitMs / 1000,
  );
  byKind('tongdai_realtime_chain_run_seconds_total', 'Time chain tasks ran, by kind', (t) => t.runMs / 1000);
  const total = (name: string, help: string, pick: (t: RealtimeTotals) => number) =>
    runningTotal(register, name, help, () => Promise.resolve(pick(totals())));
  total(
    'tongdai_realtime_batches_total',
    'Event batches sent to subscribed sockets',
    (t) => t.fanOut.batches,
  );
  total(
    'tongdai_realtime_socket_writes_total',
    'Socket writes made for event batches',
    (t) => t.fanOut.writes,
  );
  total(
    'tongdai_realtime_deliveries_total',
    'Events delivered, counted once per receiving socket',
    (t) => t.fanOut.deliveries,
  );
  total('tongdai_event_log_rows_total', 'Events written to the event log (for resume)', (t) => t.log.rows);
  total('tongdai_event_log_failures_total', 'Event log inserts that failed', (t) => t.log.failures);
  new Gauge({
    name: 'tongdai_event_log_backlog',
    help: 'Events delivered and not yet written to the event log',
    registers: [register],
    collect() {
      this.set(totals().logBacklog);
    },
  });
}
