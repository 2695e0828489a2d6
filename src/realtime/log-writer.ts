import type { Logger } from 'pino';
import type { Executor } from '../store/db.js';
import { type EventRow, appendNumbered } from './event-log.js';

/** Rows per insert: well under both dialects' bound-parameter limits (5 a row). */
const MAX_ROWS = 1000;

interface TenantQueue<T> {
  rows: (EventRow & { item: T })[];
  writing: Promise<void> | null;
}

/**
 * Persists a tenant's numbered events behind their delivery: one insert in flight per tenant, in id order, the
 * rows that arrive meanwhile going in the next one. `persisted` runs after each insert with its items, in order
 * (the gateway relays them to other nodes only then, so every relayed event is in the log a resume reads). A
 * failed insert is logged and its events stay delivered but not replayable (docs/decisions.md).
 */
export class EventLogWriter<T> {
  private readonly queues = new Map<number, TenantQueue<T>>();
  /** Inserts, rows, ms spent in inserts, failed inserts (benches read them). */
  readonly stats = { inserts: 0, rows: 0, ms: 0, failures: 0 };

  constructor(
    private readonly db: Executor,
    private readonly logger: Logger,
    private readonly persisted: (tenantId: number, items: T[]) => void,
  ) {}

  append(tenantId: number, rows: (EventRow & { item: T })[]): void {
    let q = this.queues.get(tenantId);
    if (!q) this.queues.set(tenantId, (q = { rows: [], writing: null }));
    q.rows.push(...rows);
    q.writing ??= this.drain(tenantId, q);
  }

  /** Events delivered and not yet in the event log (the crash window, docs/decisions.md). */
  backlog(): number {
    let n = 0;
    for (const q of this.queues.values()) n += q.rows.length;
    return n;
  }

  /** Resolves once every row appended for the tenant so far is written (or failed). */
  async settled(tenantId: number): Promise<void> {
    for (let q = this.queues.get(tenantId); q?.writing; q = this.queues.get(tenantId)) await q.writing;
  }

  /** Resolves once every row appended so far is written (before the database closes). */
  async close(): Promise<void> {
    await Promise.all([...this.queues.keys()].map((t) => this.settled(t)));
  }

  private async drain(tenantId: number, q: TenantQueue<T>): Promise<void> {
    while (q.rows.length > 0) {
      const rows = q.rows.splice(0, MAX_ROWS);
      const start = performance.now();
      try {
        await appendNumbered(this.db, tenantId, rows);
        this.stats.inserts++;
        this.stats.rows += rows.length;
      } catch (err) {
        this.stats.failures++;
        this.logger.error({ err, tenantId, events: rows.length }, 'event log write failed');
      }
      this.stats.ms += performance.now() - start;
      this.persisted(
        tenantId,
        rows.map((r) => r.item),
      );
    }
    q.writing = null;
    if (this.queues.get(tenantId) === q) this.queues.delete(tenantId);
  }
}
