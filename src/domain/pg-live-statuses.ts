import type { Db, Tx } from '../store/db.js';
import { readCommitted } from '../store/db.js';
import { type LiveStatus, type LiveStatusTracker, keepTenant } from './live-statuses.js';
import type { StatusNote } from '../store/pg-commits.js';
import { chunks } from './status-writer.js';

export type { StatusNote };

/** The commit watch's status notifications (src/store/pg-commits.ts), as the live state uses them. */
export interface StatusFeed {
  /** Moves on every (re)connect of the listener; undefined while notifications may be missed. */
  listenSession(): number | undefined;
  /** Every status notification of this schema; `agents` undefined when it could only name the tenant. */
  onStatus(listener: (tenantId: number, agents: readonly StatusNote[] | undefined) => void): void;
}

interface TenantState {
  /** The listener session it was loaded in: another session may have missed notifications. */
  session: number;
  agents: Map<number, LiveStatus>;
  ready: Promise<void>;
}

const LOAD_SQL = `select id, status, status_id, status_seq from agents where tenant_id = $1 and deleted_at is null`;

interface LoadRow {
  id: number;
  status: string;
  status_id: number | null;
  status_seq: number;
}

/**
 * Every agent's committed status, held in memory per tenant on PostgreSQL, so the agent list needs no read per
 * request and a status change drops no memo. Each agent's `status_seq` counts its changes (a row trigger, migration
 * 0024), and each status-only commit to `agents`, whoever makes it, is notified with the agents it changed and their
 * new seq. A status is taken only when its seq is above the one held, so a notification arriving late, twice, or
 * after the load that already saw it changes nothing, and a load racing notifications keeps the newer of each.
 * The status service applies its own commits at once (so this node reads its own writes); its own notifications
 * then carry the seq already held and are no-ops. Another node's change is seen once its notification arrives.
 * A reconnect of the listener (notifications may have been missed) voids everything held: tenants reload on their
 * next read; while it is down `at` answers undefined and callers read the database.
 */
export class PgLiveStatuses implements LiveStatusTracker {
  private readonly tenants = new Map<number, TenantState>();

  constructor(
    private readonly db: Db,
    private readonly feed: StatusFeed,
  ) {
    feed.onStatus((tenantId, agents) => {
      if (agents) this.take(tenantId, agents);
      else this.tenants.delete(tenantId);
    });
  }

  /** Read, inside the status service's transaction, what it changed, to apply once it committed. */
  async capture(tx: Tx, tenantId: number, agentIds: readonly number[]): Promise<StatusNote[]> {
    const notes: StatusNote[] = [];
    for (const part of chunks([...agentIds])) {
      const rows = await tx
        .selectFrom('agents')
        .select(['id', 'status', 'status_id', 'status_seq'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', part)
        .execute();
      for (const r of rows) notes.push([r.id, r.status_seq, r.status, r.status_id]);
    }
    return notes;
  }

  /** Nothing to read before the writes: each agent's `status_seq` orders its changes. */
  mark(): Promise<number> {
    return Promise.resolve(0);
  }

  async changed(tx: Tx, tenantId: number, _mark: number, agentIds: number[]): Promise<() => void> {
    const notes = await this.capture(tx, tenantId, agentIds);
    return () => this.apply(tenantId, notes);
  }

  /** Apply a commit of the status service, right after it committed. */
  apply(tenantId: number, notes: readonly StatusNote[]): void {
    this.take(tenantId, notes);
  }

  /** Drop what is held of the tenant (its directory changed: agents may have come or gone). */
  forget(tenantId: number): void {
    this.tenants.delete(tenantId);
  }

  /** Whether statuses are held at all now (the listener is up). */
  available(): boolean {
    return this.feed.listenSession() !== undefined;
  }

  /** The tenant's committed statuses, or undefined while notifications may be missed (read the database then). */
  async at(tenantId: number): Promise<ReadonlyMap<number, LiveStatus> | undefined> {
    const session = this.feed.listenSession();
    if (session === undefined) return undefined;
    let t = this.tenants.get(tenantId);
    if (!t || t.session !== session) t = this.load(tenantId, session);
    try {
      await t.ready;
    } catch {
      return undefined;
    }
    return this.feed.listenSession() === t.session ? t.agents : undefined;
  }

  private take(tenantId: number, notes: readonly StatusNote[]): void {
    const t = this.tenants.get(tenantId);
    if (!t) return;
    for (const [id, seq, status, statusId] of notes) {
      const cur = t.agents.get(id);
      if (!cur || seq > cur.stamp) t.agents.set(id, { status, statusId, stamp: seq });
    }
  }

  /** Held at once (empty), so notifications arriving during the read are kept; the read fills in what is older. */
  private load(tenantId: number, session: number): TenantState {
    const agents = new Map<number, LiveStatus>();
    const t: TenantState = { session, agents, ready: Promise.resolve() };
    t.ready = readCommitted<LoadRow>(this.db, LOAD_SQL, [tenantId]).then(
      (rows) => {
        for (const r of rows) {
          const cur = agents.get(r.id);
          if (!cur || r.status_seq > cur.stamp)
            agents.set(r.id, { status: r.status, statusId: r.status_id, stamp: r.status_seq });
        }
      },
      (e: unknown) => {
        if (this.tenants.get(tenantId) === t) this.tenants.delete(tenantId);
        throw e;
      },
    );
    return keepTenant(this.tenants, tenantId, t);
  }
}
