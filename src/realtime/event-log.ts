import { sql } from 'kysely';
import type { Db, Executor } from '../store/db.js';
import type { Dialect } from '../store/migrations/helpers.js';

/** How long pushed events stay replayable (reconnects within two minutes must find theirs, with margin). */
export const EVENT_LOG_RETENTION_MS = 10 * 60_000;
/** Rows per replay page (a resume reads page after page until it has caught up). */
export const REPLAY_LIMIT = 1000;

export interface LoggedEvent {
  id: number;
  type: string;
  payload: string;
  created_at: number;
}

/** Persist one pushed event; its id is the offset clients resume from. */
export async function appendEvent(
  db: Executor,
  tenantId: number,
  type: string,
  payload: string,
  at: number,
): Promise<number> {
  const row = await db
    .insertInto('event_log')
    .values({ tenant_id: tenantId, type, payload, created_at: at })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** One numbered event as the log keeps it (`payload` is the JSON of `{ key, wire }`). */
export interface EventRow {
  id: number;
  type: string;
  payload: string;
  at: number;
}

/**
 * Persist events numbered in memory (ids from `claimEventIds`), in one statement: one round trip per batch on
 * PostgreSQL. Nothing waits on it to deliver them (src/realtime/log-writer.ts).
 */
export async function appendNumbered(
  db: Executor,
  tenantId: number,
  rows: readonly EventRow[],
): Promise<void> {
  if (rows.length === 0) return;
  await db
    .insertInto('event_log')
    .values(
      rows.map((r) => ({
        id: r.id,
        tenant_id: tenantId,
        type: r.type,
        payload: r.payload,
        created_at: r.at,
      })),
    )
    .execute();
}

/**
 * Reserve `n` ids of the log's own id sequence, ascending, for events numbered in memory. The reservation is
 * committed before an id is used, so an id handed out once is never handed out again, across restarts and nodes
 * alike, and a row inserted without an id (SQL by hand) lands above every reserved one.
 */
export async function claimEventIds(db: Db, dialect: Dialect, n: number): Promise<number[]> {
  if (dialect === 'postgres') {
    const { rows } = await sql<{ id: number }>`
      select nextval(pg_get_serial_sequence('event_log', 'id')) as id from generate_series(1, ${n})`.execute(
      db,
    );
    return rows.map((r) => Number(r.id)).sort((a, b) => a - b);
  }
  // AUTOINCREMENT never gives out an id at or below sqlite_sequence's, so raising it reserves the block.
  return db.transaction().execute(async (tx) => {
    await sql`
      insert into sqlite_sequence (name, seq)
      select 'event_log', coalesce((select max(id) from event_log), 0)
      where not exists (select 1 from sqlite_sequence where name = 'event_log')`.execute(tx);
    const { rows } = await sql<{ seq: number }>`
      update sqlite_sequence set seq = seq + ${n} where name = 'event_log' returning seq`.execute(tx);
    const top = Number(rows[0]!.seq);
    return Array.from({ length: n }, (_, i) => top - n + 1 + i);
  });
}

/** The tenant's retained events after `afterId`, oldest first. */
export function eventsSince(
  db: Executor,
  tenantId: number,
  afterId: number,
  notBefore: number,
): Promise<LoggedEvent[]> {
  return db
    .selectFrom('event_log')
    .select(['id', 'type', 'payload', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('id', '>', afterId)
    .where('created_at', '>=', notBefore)
    .orderBy('id')
    .limit(REPLAY_LIMIT)
    .execute();
}

/** Drop events of these types nobody can resume to any more; returns how many went. */
export async function purgeEvents(
  db: Executor,
  types: readonly string[],
  olderThan: number,
): Promise<number> {
  const res = await db
    .deleteFrom('event_log')
    .where('created_at', '<', olderThan)
    .where('type', 'in', [...types])
    .executeTakeFirst();
  return Number(res.numDeletedRows);
}
