import type { Clock } from '../clock.js';
import type { Executor } from '../store/db.js';
import type { OutboxRow } from '../store/schema.js';

/** One claimed job as a handler sees it. */
export interface OutboxJob<P = unknown> {
  id: number;
  tenantId: number;
  kind: string;
  payload: P;
  /** 1 on the first try; counts claims, including ones a crash interrupted. */
  attempt: number;
  dedupeKey: string | null;
  createdAt: number;
}

export interface EnqueueOptions {
  /** A job with the same key is enqueued only once (the first wins); scope it yourself (tenant, kind…). */
  dedupeKey?: string;
  /** Earliest time to run, on the injected clock; default now. */
  runAt?: number;
}

/**
 * Add a job to the durable outbox. Call it inside the transaction that makes the change the job reacts to,
 * so the change and the job commit together or not at all. Returns the job id (the existing one on dedupe).
 */
export async function enqueue(
  tx: Executor,
  clock: Clock,
  tenantId: number,
  kind: string,
  payload: unknown,
  opts: EnqueueOptions = {},
): Promise<number> {
  const now = clock.now();
  const dedupe = opts.dedupeKey ?? null;
  if (dedupe !== null) {
    const existing = await tx
      .selectFrom('outbox')
      .select('id')
      .where('dedupe_key', '=', dedupe)
      .executeTakeFirst();
    if (existing) return existing.id;
  }
  const row = await tx
    .insertInto('outbox')
    .values({
      tenant_id: tenantId,
      kind,
      payload: JSON.stringify(payload),
      next_attempt_at: opts.runAt ?? now,
      locked_until: null,
      last_error: null,
      dedupe_key: dedupe,
      created_at: now,
      updated_at: now,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return row.id;
}

/** Jobs of these kinds due now whose lease (if any) has expired, oldest first. */
export function findDue(db: Executor, now: number, limit: number, kinds: string[]): Promise<OutboxRow[]> {
  // Guard against running an invalid query when no kind is registered.
  if (kinds.length === 0) return Promise.resolve([]);
  return db
    .selectFrom('outbox')
    .selectAll()
    .where('status', '=', 'pending')
    .where('kind', 'in', kinds)
    .where('next_attempt_at', '<=', now)
    .where((eb) => eb.or([eb('locked_until', 'is', null), eb('locked_until', '<=', now)]))
    .orderBy('next_attempt_at')
    .orderBy('id')
    .limit(limit)
    .execute();
}

/**
 * Take the lease on a job with a compare-and-set on its attempt counter, so of several workers (or nodes)
 * exactly one wins. The new attempt number is the fencing token every later write must present.
 */
export async function claim(
  db: Executor,
  row: OutboxRow,
  now: number,
  leaseMs: number,
  owner: string | null = null,
): Promise<boolean> {
  const res = await db
    .updateTable('outbox')
    .set({ attempts: row.attempts + 1, locked_until: now + leaseMs, locked_by: owner, updated_at: now })
    .where('id', '=', row.id)
    .where('status', '=', 'pending')
    .where('attempts', '=', row.attempts)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/**
 * At a node's start: release the leases its previous run still holds. No live process shares a node id, so
 * whatever held them died; the jobs are due again now rather than when the leases expire. Returns how many.
 */
export async function releaseOwnLeases(db: Executor, owner: string, now: number): Promise<number> {
  const res = await db
    .updateTable('outbox')
    .set({ locked_until: null, locked_by: null, updated_at: now })
    .where('status', '=', 'pending')
    .where('locked_by', '=', owner)
    .where('locked_until', '>', now)
    .executeTakeFirst();
  return Number(res.numUpdatedRows);
}

/** Finish a job; false when the lease was lost (another worker re-claimed it after it expired). */
export async function markDone(db: Executor, id: number, attempt: number, now: number): Promise<boolean> {
  const res = await db
    .updateTable('outbox')
    .set({ status: 'done', locked_until: null, last_error: null, updated_at: now })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('attempts', '=', attempt)
    .executeTakeFirst();
  return Number(res.numUpdatedRows) === 1;
}

/** Record a failed attempt: try again at `retryAt`, or give up (`retryAt` null) with status failed. */
export async function markFailedAttempt(
  db: Executor,
  id: number,
  attempt: number,
  now: number,
  error: string,
  retryAt: number | null,
): Promise<void> {
  await db
    .updateTable('outbox')
    .set({
      status: retryAt === null ? 'failed' : 'pending',
      next_attempt_at: retryAt ?? now,
      locked_until: null,
      last_error: error.slice(0, 1000),
      updated_at: now,
    })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .where('attempts', '=', attempt)
    .execute();
}

export function toJob(row: OutboxRow, attempt: number): OutboxJob {
  let payload: unknown;
  try {
    payload = JSON.parse(row.payload);
  } catch {
    payload = null;
  }
  return {
    id: row.id,
    tenantId: row.tenant_id,
    kind: row.kind,
    payload,
    attempt,
    dedupeKey: row.dedupe_key,
    createdAt: row.created_at,
  };
}
