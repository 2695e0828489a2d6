import type { Clock } from '../clock.js';
import { DomainError, conflict } from '../errors.js';
import type { Db, Tx } from '../store/db.js';
import type { Dialect } from '../store/migrations/helpers.js';
import type { DomainEvents } from './events.js';
import type { AgentState, Decision } from './status-rules.js';
import type { FoundOutcome, StatusOutcome } from './status-service.js';

/** The write path of the status service: row locks, conditional updates, history, retries. */

export type TxRunner = <T>(fn: (tx: Tx) => Promise<T>) => Promise<T>;
export type StatusChanged = DomainEvents['agent.status_changed'];

export interface LockedAgent {
  id: number;
  uid: string;
  extension: string;
  name: string;
  email: string;
  status: string;
  status_id: number | null;
}

// Well under SQLite's and PostgreSQL's bound-parameter limits, whatever the row width.
const CHUNK = 500;
const MAX_DB_ID = 2_147_483_647;

export function chunks<T>(items: readonly T[], size = CHUNK): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

/** Ids that can name a row: anything else is simply "not found" (and must never reach PostgreSQL's int4). */
export function storableIds(ids: readonly number[]): number[] {
  return [...new Set(ids)].filter((n) => Number.isSafeInteger(n) && n > 0 && n <= MAX_DB_ID);
}

/**
 * Read (and on PostgreSQL lock, in id order so concurrent bulk updates never deadlock each other) the tenant's
 * live agents among `ids`. Another tenant's agent is simply absent.
 */
export async function lockAgents(
  tx: Tx,
  dialect: Dialect,
  tenantId: number,
  ids: readonly number[],
): Promise<LockedAgent[]> {
  const sorted = storableIds(ids).sort((a, b) => a - b);
  const out: LockedAgent[] = [];
  for (const part of chunks(sorted)) {
    const q = tx
      .selectFrom('agents')
      .select(['id', 'uid', 'extension', 'name', 'email', 'status', 'status_id'])
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', part)
      .where('deleted_at', 'is', null)
      .orderBy('id');
    out.push(...(await (dialect === 'postgres' ? q.forUpdate() : q).execute()));
  }
  return out;
}

/** A row changed between our read and our write (another process on SQLite): the transaction is retried. */
class StaleRowsError extends Error {}

interface Group {
  from: AgentState;
  to: AgentState;
  ids: number[];
}

/**
 * Decide each locked agent's transition, then write: one conditional UPDATE per (from, to) group, where the
 * condition is the status we read, and one history row per change. Returns the outcomes and the events to
 * publish once the transaction has committed.
 */
export async function applyDecisions(
  tx: Tx,
  clock: Clock,
  tenantId: number,
  locked: readonly LockedAgent[],
  decide: (a: AgentState) => Decision,
  by: string,
  /** Written on each history row (e.g. why the platform moved the agent); none for ordinary changes. */
  reason: string | null = null,
): Promise<{ outcomes: Map<number, StatusOutcome>; events: StatusChanged[] }> {
  const now = clock.now();
  const outcomes = new Map<number, StatusOutcome>();
  const events: StatusChanged[] = [];
  const groups = new Map<string, Group>();
  for (const a of locked) {
    const from = { status: a.status, statusId: a.status_id };
    const d = decide(from);
    if (d.kind !== 'change') {
      outcomes.set(a.id, outcomeWithoutChange(a, d));
      continue;
    }
    const agent = { id: a.id, uid: a.uid, extension: a.extension, name: a.name, email: a.email };
    const key = JSON.stringify([from.status, from.statusId, d.to.status, d.to.statusId]);
    const g = groups.get(key) ?? { from, to: d.to, ids: [] };
    g.ids.push(a.id);
    groups.set(key, g);
    outcomes.set(a.id, { agentId: a.id, result: 'changed', agent, previous: a.status, current: d.to.status });
    events.push({
      agentId: a.id,
      agentUid: a.uid,
      extension: a.extension,
      previous: a.status,
      current: d.to.status,
      changedBy: by,
      at: now,
    });
  }
  for (const g of groups.values()) await writeGroup(tx, tenantId, g, now);
  const history = events.map((e) => ({
    tenant_id: tenantId,
    agent_id: e.agentId,
    previous_status: e.previous,
    new_status: e.current,
    changed_by: by,
    reason,
    created_at: now,
  }));
  for (const part of chunks(history)) await tx.insertInto('status_history').values(part).execute();
  return { outcomes, events };
}

/** The outcome of a decision that writes nothing; an invalid transition throws (rolling back its transaction). */
export function outcomeWithoutChange(a: LockedAgent, d: Exclude<Decision, { kind: 'change' }>): FoundOutcome {
  if (d.kind === 'invalid') throw conflict(d.message, 'invalid_transition');
  return {
    agentId: a.id,
    result: 'unchanged',
    agent: { id: a.id, uid: a.uid, extension: a.extension, name: a.name, email: a.email },
    previous: a.status,
    current: a.status,
    reason: d.reason,
    message: d.message,
  };
}

async function writeGroup(tx: Tx, tenantId: number, g: Group, now: number): Promise<void> {
  for (const part of chunks(g.ids)) {
    let q = tx
      .updateTable('agents')
      .set({ status: g.to.status, status_id: g.to.statusId, status_changed_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', part)
      .where('status', '=', g.from.status);
    q =
      g.from.statusId === null
        ? q.where('status_id', 'is', null)
        : q.where('status_id', '=', g.from.statusId);
    const res = await q.executeTakeFirst();
    if (Number(res.numUpdatedRows) !== part.length) throw new StaleRowsError();
  }
}

// Deadlock and serialization failures (PostgreSQL), a busy or stale snapshot (SQLite with another process).
const RETRYABLE = new Set(['40P01', '40001', 'SQLITE_BUSY', 'SQLITE_BUSY_SNAPSHOT', 'SQLITE_LOCKED']);
const ATTEMPTS = 10;

function retryable(e: unknown): boolean {
  if (e instanceof StaleRowsError) return true;
  const code = (e as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE.has(code);
}

/** Run `fn` in a transaction, retrying it whole when the database says it lost a race. */
export async function runWithRetry<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction().execute(fn);
    } catch (e) {
      if (!retryable(e)) throw e;
      if (attempt >= ATTEMPTS)
        throw new DomainError('UNAVAILABLE', 'agent statuses are changing too fast right now; try again');
      const backoff = Math.min(200, 5 * 2 ** attempt) * (0.5 + Math.random());
      await new Promise((r) => setTimeout(r, backoff));
    }
  }
}
