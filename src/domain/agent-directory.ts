import { sql } from 'kysely';
import { CommitMemo, type Db, type Executor, readCommitted } from '../store/db.js';
import type { LiveStatus, LiveStatuses } from './live-statuses.js';
import { PgLiveStatuses } from './pg-live-statuses.js';
import { type Presence, presenceOf } from './statuses.js';

/** One agent as the directory lists it: the shared model, before any family projects it onto its wire. */
export interface DirectoryAgent {
  id: number;
  extension: string;
  username: string | null;
  active: boolean;
  followMe: boolean;
  calloutQueue: { id: number; name: string } | null;
  /** Callin memberships in ascending queue id order. */
  callinQueues: readonly { id: number; name: string; priority: number }[];
}

export interface DirectoryFilter {
  active?: boolean | undefined;
  /** Only members of this inbound (callin) queue. */
  queueId?: number | undefined;
}

export interface DirectoryPage {
  tenantName: string;
  total: number;
  /** The snapshot's own agent objects (stable between writes, so callers may memoize per object) and presence. */
  agents: { agent: DirectoryAgent; presence: Presence }[];
}

/** The tenant's directory at one revision, with filtered views built on first use. */
interface Snapshot {
  revision: number;
  tenantName: string;
  agents: DirectoryAgent[];
  views: Map<string, DirectoryAgent[]>;
  /** Each custom status's ready flag (deleted ones too: an agent may still be in one); the catalog bumps the revision. */
  readyByStatusId: Map<number, number>;
}

const MAX_TENANTS = 256;

async function loadSnapshot(db: Executor, tenantId: number, revision: number, tenantName: string) {
  const [agents, outbound, members, statuses] = await Promise.all([
    db
      .selectFrom('agents')
      .select(['id', 'extension', 'username', 'is_active', 'follow_me', 'callout_queue_id'])
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .orderBy('id')
      .execute(),
    db.selectFrom('outbound_queues').select(['id', 'name']).where('tenant_id', '=', tenantId).execute(),
    db
      .selectFrom('queue_members as m')
      .innerJoin('inbound_queues as q', 'q.id', 'm.queue_id')
      .select(['m.agent_id', 'm.queue_id', 'm.priority', 'q.name'])
      .where('m.tenant_id', '=', tenantId)
      .where('q.tenant_id', '=', tenantId)
      .orderBy('m.queue_id')
      .execute(),
    db.selectFrom('statuses').select(['id', 'is_ready']).where('tenant_id', '=', tenantId).execute(),
  ]);
  const outboundNames = new Map(outbound.map((q) => [q.id, q.name]));
  const memberships = new Map<number, { id: number; name: string; priority: number }[]>();
  for (const m of members) {
    let list = memberships.get(m.agent_id);
    if (!list) memberships.set(m.agent_id, (list = []));
    list.push({ id: m.queue_id, name: m.name, priority: m.priority });
  }
  const list: DirectoryAgent[] = agents.map((a) => {
    const outName = a.callout_queue_id === null ? undefined : outboundNames.get(a.callout_queue_id);
    return {
      id: a.id,
      extension: a.extension,
      username: a.username,
      active: a.is_active === 1,
      followMe: a.follow_me === 1,
      calloutQueue:
        a.callout_queue_id !== null && outName !== undefined
          ? { id: a.callout_queue_id, name: outName }
          : null,
      callinQueues: memberships.get(a.id) ?? [],
    };
  });
  const readyByStatusId = new Map(statuses.map((st) => [st.id, st.is_ready]));
  return { revision, tenantName, agents: list, views: new Map(), readyByStatusId } satisfies Snapshot;
}

/** A built page and what it was built from: reused while none of that moved. */
interface BuiltPage {
  snap: Snapshot;
  /** The live state's map it was built from (a reload makes a new one). */
  held: ReadonlyMap<number, LiveStatus>;
  /** Sum and count of the page's agents' status stamps: stamps only grow, so any change moves the sum. */
  stampSum: number;
  stampCount: number;
  page: DirectoryPage;
}

const MAX_PAGES = 1000;

/**
 * The agent list the directory APIs page through. The directory part (names, queues, flags) is cached per tenant
 * and keyed by the tenant's `revision`, which every directory write bumps in its own transaction: each request
 * reads that one row, so a write made by the CLI or another node is seen on the very next request. Statuses
 * change without a revision bump (the platform moves agents many times a minute, and every call moves its
 * agent). On the embedded store they come from the in-memory `LiveStatuses`, which the status service keeps current
 * after each commit and which is checked against `tenants.status_version` (read in the same one-row query as the
 * revision), so calls committing all the time cost the list nothing and any other writer is still seen at once.
 * On PostgreSQL (one node or several) the directory snapshot is memoised until a commit to the tables it reads,
 * which the commit watch reports (src/store/pg-commits.ts), and the statuses come from `PgLiveStatuses`, kept
 * current by the status notifications every node gets (a status change is no such commit): a page costs no round
 * trip. While the watch is down the page's statuses are read with the revision in one round trip instead.
 */
export class AgentDirectory {
  private readonly snapshots = new Map<number, Snapshot>();
  private readonly loading = new Map<string, Promise<Snapshot>>();
  private readonly reader: StatusReader;
  private readonly built = new Map<string, BuiltPage>();
  private readonly pages: CommitMemo<DirectoryPage>;
  private readonly heads: CommitMemo<Snapshot | null>;

  constructor(
    private readonly db: Db,
    private readonly live?: LiveStatuses | PgLiveStatuses,
  ) {
    this.reader = new StatusReader(db);
    this.pages = new CommitMemo(db, 1000);
    this.heads = new CommitMemo(db, MAX_TENANTS);
  }

  /**
   * One page (0-based) of the tenant's live agents in id order, with their current presence. The same page object
   * is returned while neither the directory nor a listed agent's status changed, so callers may memoise what they
   * derive from it. While nothing at all commits (embedded storage; see `CommitMemo`) not even the tenant row is
   * read; `seenVersion`: the caller's `Principal.seenVersion`.
   */
  page(
    tenantId: number,
    filter: DirectoryFilter,
    page: number,
    size: number,
    seenVersion?: number,
  ): Promise<DirectoryPage> {
    const live = this.live;
    if (live instanceof PgLiveStatuses) return this.readPg(live, tenantId, filter, page, size, seenVersion);
    return this.pages.get(
      `${tenantId}|${filter.active ?? ''}|${filter.queueId ?? ''}|${page}|${size}`,
      live
        ? () => this.readLive(live, tenantId, filter, page, size)
        : () => this.read(tenantId, filter, page, size),
      seenVersion,
    );
  }

  private async readLive(
    live: LiveStatuses,
    tenantId: number,
    filter: DirectoryFilter,
    page: number,
    size: number,
  ): Promise<DirectoryPage> {
    const head = await this.reader.read(tenantId, []);
    if (!head) return { tenantName: '', total: 0, agents: [] };
    let snap = this.snapshots.get(tenantId);
    if (!snap || snap.revision !== head.revision || snap.tenantName !== head.tenantName) {
      snap = await this.load(tenantId, head.revision, head.tenantName);
      live.forget(tenantId);
    }
    const held = await live.at(tenantId, head.statusVersion);
    return this.compose(tenantId, snap, held, filter, page, size);
  }

  /** PostgreSQL: the memoised snapshot with the live statuses; the database's statuses while the watch is down. */
  private async readPg(
    live: PgLiveStatuses,
    tenantId: number,
    filter: DirectoryFilter,
    page: number,
    size: number,
    seenVersion: number | undefined,
  ): Promise<DirectoryPage> {
    if (!live.available()) return this.read(tenantId, filter, page, size);
    const snap = await this.heads.get(
      String(tenantId),
      () => this.currentSnapshot(live, tenantId),
      seenVersion,
    );
    if (!snap) return { tenantName: '', total: 0, agents: [] };
    const held = await live.at(tenantId);
    if (!held) return this.read(tenantId, filter, page, size);
    return this.compose(tenantId, snap, held, filter, page, size);
  }

  /** The snapshot at the tenant's current revision; a new one voids the live statuses (agents came or went). */
  private async currentSnapshot(live: PgLiveStatuses, tenantId: number): Promise<Snapshot | null> {
    const head = await this.reader.read(tenantId, []);
    if (!head) return null;
    const snap = this.snapshots.get(tenantId);
    if (snap && snap.revision === head.revision && snap.tenantName === head.tenantName) return snap;
    const fresh = await this.load(tenantId, head.revision, head.tenantName);
    live.forget(tenantId);
    return fresh;
  }

  /** The page of `snap` with the statuses `held`: the same object as last time while none of that moved. */
  private compose(
    tenantId: number,
    snap: Snapshot,
    held: ReadonlyMap<number, LiveStatus>,
    filter: DirectoryFilter,
    page: number,
    size: number,
  ): DirectoryPage {
    const view = this.view(snap, filter);
    const slice = view.slice(page * size, page * size + size);
    const statuses: (LiveStatus | undefined)[] = slice.map((a) => held.get(a.id));
    let stampSum = 0;
    let stampCount = 0;
    for (const st of statuses) {
      if (st) {
        stampSum += st.stamp;
        stampCount++;
      }
    }
    const key = `${tenantId}|${filter.active ?? ''}|${filter.queueId ?? ''}|${page}|${size}`;
    const hit = this.built.get(key);
    if (
      hit &&
      hit.snap === snap &&
      hit.held === held &&
      hit.stampSum === stampSum &&
      hit.stampCount === stampCount
    )
      return hit.page;
    const current = snap;
    const result: DirectoryPage = {
      tenantName: current.tenantName,
      total: view.length,
      agents: slice.map((agent, i) => {
        const st = statuses[i];
        const presence: Presence = st
          ? presenceOf(st.status, st.statusId === null ? null : current.readyByStatusId.get(st.statusId))
          : 'offline';
        return { agent, presence };
      }),
    };
    if (this.built.size >= MAX_PAGES) this.built.clear();
    this.built.set(key, { snap, held, stampSum, stampCount, page: result });
    return result;
  }

  private async read(
    tenantId: number,
    filter: DirectoryFilter,
    page: number,
    size: number,
  ): Promise<DirectoryPage> {
    let snap = this.snapshots.get(tenantId);
    // Optimistic: page through the cached snapshot and read the revision with the page's statuses in one round
    // trip; only when the revision moved is the snapshot reloaded (at the revision just read) and the page redone.
    for (let attempt = 0; ; attempt++) {
      const slice = snap ? this.view(snap, filter).slice(page * size, page * size + size) : [];
      const read = await this.reader.read(
        tenantId,
        slice.map((a) => a.id),
      );
      if (!read) return { tenantName: '', total: 0, agents: [] };
      if (
        snap &&
        ((snap.revision === read.revision && snap.tenantName === read.tenantName) || attempt >= 2)
      ) {
        const current = snap;
        const presence = (id: number): Presence => {
          const st = read.statuses.get(id);
          if (!st) return 'offline';
          return presenceOf(
            st.status,
            st.statusId === null ? null : current.readyByStatusId.get(st.statusId),
          );
        };
        return {
          tenantName: current.tenantName,
          total: this.view(current, filter).length,
          agents: slice.map((agent) => ({ agent, presence: presence(agent.id) })),
        };
      }
      snap = await this.load(tenantId, read.revision, read.tenantName);
    }
  }

  /** Load the snapshot at `revision`, which was read before the data: a write landing in between only costs a reload. */
  private async load(tenantId: number, revision: number, tenantName: string): Promise<Snapshot> {
    const key = `${tenantId}:${revision}:${tenantName}`;
    let pending = this.loading.get(key);
    if (!pending) {
      pending = loadSnapshot(this.db, tenantId, revision, tenantName).finally(() => this.loading.delete(key));
      this.loading.set(key, pending);
    }
    const snap = await pending;
    this.remember(tenantId, snap);
    return snap;
  }

  private remember(tenantId: number, snap: Snapshot): void {
    const cur = this.snapshots.get(tenantId);
    if (cur && cur.revision > snap.revision) return;
    this.snapshots.delete(tenantId);
    this.snapshots.set(tenantId, snap);
    if (this.snapshots.size > MAX_TENANTS) {
      const oldest = this.snapshots.keys().next().value;
      if (oldest !== undefined) this.snapshots.delete(oldest);
    }
  }

  private view(snap: Snapshot, f: DirectoryFilter): DirectoryAgent[] {
    if (f.active === undefined && f.queueId === undefined) return snap.agents;
    const key = `${f.active ?? ''}|${f.queueId ?? ''}`;
    let v = snap.views.get(key);
    if (!v) {
      v = snap.agents.filter(
        (a) =>
          (f.active === undefined || a.active === f.active) &&
          (f.queueId === undefined || a.callinQueues.some((q) => q.id === f.queueId)),
      );
      snap.views.set(key, v);
    }
    return v;
  }
}

interface StatusRead {
  revision: number;
  statusVersion: number;
  tenantName: string;
  statuses: Map<number, { status: string; statusId: number | null }>;
}

const TENANT_SLOT = -1;

/**
 * The tenant's revision and the current status of up to a page of its agents, in one round trip (the ready flag
 * of custom statuses comes from the snapshot: the status catalog bumps the revision). The SQL is
 * built with Kysely once per id count and then reused with fresh parameters: building and compiling a query costs
 * more than running it, and this one runs on every list request.
 */
class StatusReader {
  private readonly prepared = new Map<number, { sql: string; slots: number[] }>();

  constructor(private readonly db: Db) {}

  async read(tenantId: number, agentIds: readonly number[]): Promise<StatusRead | undefined> {
    const p = this.preparedFor(agentIds.length);
    const params = p.slots.map((slot) => (slot === TENANT_SLOT ? tenantId : agentIds[slot]));
    const rows = await readCommitted<StatusRow>(this.db, p.sql, params);
    const first = rows[0];
    if (!first) return undefined;
    const statuses: StatusRead['statuses'] = new Map();
    // The tenant is checked here rather than in SQL: with `a.tenant_id = ?` SQLite's planner (no ANALYZE
    // statistics) walks the tenant's whole agent index instead of doing a page of primary-key lookups.
    for (const r of rows) {
      if (r.id !== null && r.status !== null && r.tenant_id === tenantId)
        statuses.set(r.id, { status: r.status, statusId: r.status_id });
    }
    return {
      revision: first.revision,
      statusVersion: first.status_version,
      tenantName: first.name,
      statuses,
    };
  }

  /** Compile with sentinel values, then remember which parameter is the tenant and which each agent id. */
  private preparedFor(n: number): { sql: string; slots: number[] } {
    let p = this.prepared.get(n);
    if (!p) {
      const ids = Array.from({ length: n }, (_, i) => -(i + 2));
      const compiled = statusQuery(this.db, TENANT_SLOT, ids).compile();
      const slots = compiled.parameters.map((v) => (v === TENANT_SLOT ? TENANT_SLOT : -(v as number) - 2));
      p = { sql: compiled.sql, slots };
      this.prepared.set(n, p);
    }
    return p;
  }
}

interface StatusRow {
  revision: number;
  status_version: number;
  name: string;
  id: number | null;
  tenant_id: number | null;
  status: string | null;
  status_id: number | null;
}

function statusQuery(db: Db, tenantId: number, agentIds: number[]) {
  const base = db.selectFrom('tenants as t').where('t.id', '=', tenantId);
  if (agentIds.length === 0) {
    return base.select([
      't.revision',
      't.status_version',
      't.name',
      sql<null>`null`.as('id'),
      sql<null>`null`.as('tenant_id'),
      sql<null>`null`.as('status'),
      sql<null>`null`.as('status_id'),
    ]);
  }
  return base
    .leftJoin('agents as a', (j) => j.on('a.id', 'in', agentIds))
    .select(['t.revision', 't.status_version', 't.name', 'a.id', 'a.tenant_id', 'a.status', 'a.status_id']);
}
