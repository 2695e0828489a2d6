import type { Executor } from '../store/db.js';

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

/**
 * Persist a batch of pushed events in one statement (one round trip on PostgreSQL, where a transaction of one
 * insert each was several per batch and let a busy tenant's chain fall seconds behind). Ids come from one sequence
 * in the order of the rows, so the sorted ids are the events' offsets in batch order.
 */
export async function appendEvents(
  db: Executor,
  tenantId: number,
  events: readonly { type: string; payload: string; at: number }[],
): Promise<number[]> {
  if (events.length === 0) return [];
  const rows = await db
    .insertInto('event_log')
    .values(events.map((e) => ({ tenant_id: tenantId, type: e.type, payload: e.payload, created_at: e.at })))
    .returning('id')
    .execute();
  return rows.map((r) => r.id).sort((a, b) => a - b);
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
