import type { Db, Tx } from '../store/db.js';
import { readCommitted } from '../store/db.js';
import { chunks } from './status-writer.js';

/** One agent's committed status; `stamp` is the tenant's status version that set it (it only grows). */
export interface LiveStatus {
  status: string;
  statusId: number | null;
  stamp: number;
}

/** Status changes one transaction committed, with the tenant's status version before and after it. */
export interface LiveStatusCommit {
  before: number;
  after: number;
  changes: readonly { agentId: number; status: string; statusId: number | null }[];
}

/** What the status service tells either store's live statuses of a status transaction (this file, pg-live-statuses). */
export interface LiveStatusTracker {
  /** Inside the transaction, before its writes: what `changed` needs (SQLite: the tenant's status version). */
  mark(tx: Tx, tenantId: number): Promise<number>;
  /** Inside the transaction, after its writes to `agentIds`: what to apply once it has committed. */
  changed(tx: Tx, tenantId: number, mark: number, agentIds: number[]): Promise<() => void>;
}

interface TenantState {
  /** The `tenants.status_version` this state is current with. */
  version: number;
  agents: Map<number, LiveStatus>;
}

const MAX_TENANTS = 1024;

/** Keep `t` as `tenantId`'s statuses, most recent last, dropping the least recently loaded tenant past the cap. */
export function keepTenant<T>(tenants: Map<number, T>, tenantId: number, t: T): T {
  tenants.delete(tenantId);
  tenants.set(tenantId, t);
  if (tenants.size > MAX_TENANTS) {
    const oldest = tenants.keys().next().value;
    if (oldest !== undefined) tenants.delete(oldest);
  }
  return t;
}

const LOAD_SQL = `select t.status_version as version, a.id, a.status, a.status_id
  from tenants t left join agents a on a.tenant_id = t.id and a.deleted_at is null where t.id = ?`;

interface LoadRow {
  version: number;
  id: number | null;
  status: string | null;
  status_id: number | null;
}

/**
 * Every agent's committed status, held in memory per tenant on the embedded store, so the agent list needs no
 * per-agent read. A trigger counts every status change of a tenant in `tenants.status_version`, whoever writes it
 * (migration 0018). The status service reports each commit with the version before and after it, and a report
 * that continues the held version is applied in place; the list reads the version with the tenant's revision (one
 * row) and, when it is not the held one (the CLI, another process, plain SQL wrote), reloads the tenant in one
 * statement. So the state is exactly the database's on every read, and calls committing all the time cost the list
 * nothing but that row.
 */
export class LiveStatuses implements LiveStatusTracker {
  private readonly tenants = new Map<number, TenantState>();

  constructor(private readonly db: Db) {}

  /** Apply a commit of the status service (right after it committed). */
  mark(tx: Tx, tenantId: number): Promise<number> {
    return statusVersion(tx, tenantId);
  }

  async changed(tx: Tx, tenantId: number, before: number, agentIds: number[]): Promise<() => void> {
    const c = await committedRows(tx, tenantId, before, agentIds);
    return () => this.apply(tenantId, c);
  }

  apply(tenantId: number, c: LiveStatusCommit): void {
    const t = this.tenants.get(tenantId);
    if (!t || c.after <= t.version) return; // not held, or already in what was loaded
    if (c.before !== t.version) {
      // Someone else wrote in between: the next read reloads.
      this.tenants.delete(tenantId);
      return;
    }
    for (const ch of c.changes)
      t.agents.set(ch.agentId, { status: ch.status, statusId: ch.statusId, stamp: c.after });
    t.version = c.after;
  }

  /** Drop what is held of the tenant (its directory changed: agents may have come or gone). */
  forget(tenantId: number): void {
    this.tenants.delete(tenantId);
  }

  /** The tenant's statuses as of `version` (what the caller just read), reloaded when that is not the held one. */
  async at(tenantId: number, version: number): Promise<ReadonlyMap<number, LiveStatus>> {
    let t = this.tenants.get(tenantId);
    if (!t || t.version !== version) t = await this.load(tenantId);
    return t.agents;
  }

  private async load(tenantId: number): Promise<TenantState> {
    const rows = await readCommitted<LoadRow>(this.db, LOAD_SQL, [tenantId]);
    const version = rows[0]?.version ?? 0;
    const agents = new Map<number, LiveStatus>();
    for (const r of rows) {
      if (r.id !== null && r.status !== null)
        agents.set(r.id, { status: r.status, statusId: r.status_id, stamp: version });
    }
    return keepTenant(this.tenants, tenantId, { version, agents });
  }
}

/** The tenant's status version (counted by migration 0018's trigger on the embedded store). */
async function statusVersion(tx: Tx, tenantId: number): Promise<number> {
  const row = await tx
    .selectFrom('tenants')
    .select('status_version')
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return row?.status_version ?? 0;
}

/** What the transaction wrote, as the live state takes it: the agents' new statuses and the version range. */
async function committedRows(
  tx: Tx,
  tenantId: number,
  before: number,
  ids: number[],
): Promise<LiveStatusCommit> {
  const changes: LiveStatusCommit['changes'][number][] = [];
  for (const part of chunks(ids)) {
    const rows = await tx
      .selectFrom('agents')
      .select(['id', 'status', 'status_id'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', part)
      .execute();
    for (const r of rows) changes.push({ agentId: r.id, status: r.status, statusId: r.status_id });
  }
  return { before, after: await statusVersion(tx, tenantId), changes };
}
