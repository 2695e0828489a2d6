/**
 * Queued callbacks (docs/ivr.md "Queued callback"): a waiting caller's request to be called back, kept in the
 * database so it outlives the call and a restart. The call engine changes a row only through these functions.
 */
import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import type { Db, Executor } from '../store/db.js';
import type { CallbackTable } from '../store/schema.js';
import { bumpRevision } from './tenants.js';

/** Where a callback stands. `waiting` (in the queue), `offered` (an agent rings), `dialing` (the customer rings),
 * `retry_wait` (a missed attempt, the next one armed), then `completed` or `failed`. */
export type CallbackState = 'waiting' | 'offered' | 'dialing' | 'retry_wait' | 'completed' | 'failed';
export const OPEN_CALLBACK_STATES: readonly CallbackState[] = ['waiting', 'offered', 'dialing', 'retry_wait'];

export interface Callback {
  id: number;
  tenantId: number;
  queueId: number;
  number: string;
  callId: string;
  enteredAt: number;
  /** The number the customer sees. */
  callerId: string;
  state: CallbackState;
  attempts: number;
  nextAttemptAt: number | null;
  agentId: number | null;
  outcome: string | null;
  createdAt: number;
  updatedAt: number;
}

type Row = {
  [K in keyof CallbackTable]: CallbackTable[K] extends { __select__: infer S } ? S : CallbackTable[K];
};

function toCallback(r: Row): Callback {
  return {
    id: Number(r.id),
    tenantId: r.tenant_id,
    queueId: r.queue_id,
    number: r.number,
    callId: r.call_id,
    enteredAt: Number(r.entered_at),
    callerId: r.caller_id,
    state: r.state as CallbackState,
    attempts: Number(r.attempts),
    nextAttemptAt: r.next_attempt_at === null ? null : Number(r.next_attempt_at),
    agentId: r.agent_id,
    outcome: r.outcome,
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
  };
}

/**
 * Where a callback stands in its queue (the ACD's `queuedAt`): the time its last retry was due, else when the
 * caller took their place (the queue entry for the key, the key press for an IVR branch). A restart keeps it.
 */
export function callbackPlace(cb: Pick<Callback, 'enteredAt' | 'nextAttemptAt'>): number {
  return cb.nextAttemptAt ?? cb.enteredAt;
}

export async function createCallback(
  db: Executor,
  now: number,
  c: {
    tenantId: number;
    queueId: number;
    number: string;
    callId: string;
    enteredAt: number;
    callerId: string;
  },
): Promise<Callback> {
  const row = await db
    .insertInto('callbacks')
    .values({
      tenant_id: c.tenantId,
      queue_id: c.queueId,
      number: c.number,
      call_id: c.callId,
      entered_at: c.enteredAt,
      caller_id: c.callerId,
      state: 'waiting',
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  return toCallback(row as Row);
}

/** What a transition changes on a callback. */
export interface CallbackChange {
  state: CallbackState;
  attempts?: number;
  nextAttemptAt?: number | null;
  agentId?: number | null;
  outcome?: string | null;
}

export async function updateCallback(
  db: Executor,
  now: number,
  tenantId: number,
  id: number,
  ch: CallbackChange,
): Promise<void> {
  await db
    .updateTable('callbacks')
    .set({
      state: ch.state,
      updated_at: now,
      ...(ch.attempts !== undefined ? { attempts: ch.attempts } : {}),
      ...(ch.nextAttemptAt !== undefined ? { next_attempt_at: ch.nextAttemptAt } : {}),
      ...(ch.agentId !== undefined ? { agent_id: ch.agentId } : {}),
      ...(ch.outcome !== undefined ? { outcome: ch.outcome } : {}),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
}

/** A tenant's callbacks, newest first, optionally of one queue and/or only the open ones. */
export async function listCallbacks(
  db: Executor,
  tenantId: number,
  f: { queueId?: number; open?: boolean; limit?: number } = {},
): Promise<Callback[]> {
  let q = db.selectFrom('callbacks').selectAll().where('tenant_id', '=', tenantId);
  if (f.queueId !== undefined) q = q.where('queue_id', '=', f.queueId);
  if (f.open) q = q.where('state', 'in', [...OPEN_CALLBACK_STATES]);
  const rows = await q
    .orderBy('id', 'desc')
    .limit(f.limit ?? 500)
    .execute();
  return rows.map((r) => toCallback(r as Row));
}

/** Every open callback of every tenant, oldest place first (a restart puts them back in their queues). */
export async function openCallbacks(db: Executor): Promise<Callback[]> {
  const rows = await db
    .selectFrom('callbacks')
    .selectAll()
    .where('state', 'in', [...OPEN_CALLBACK_STATES])
    .orderBy('entered_at')
    .orderBy('id')
    .execute();
  return rows.map((r) => toCallback(r as Row));
}

/**
 * Callback counts (docs/ivr.md "Callbacks in the queue statistics"), read from the rows so they hold across a
 * restart. Counted by request time, like the ACD's cohorts: of the callbacks requested in the window, `offered` is
 * all of them (a caller pressed the key, or took an IVR callback branch, and the number was accepted: a refused
 * number writes no row), `completed` those whose customer answered and was connected to the agent, `failed`
 * those given up (attempts exhausted, taken out of the queue by a reject or overflow, or the number barred when
 * it was dialled), and `open` the rest (still waiting, ringing or between retries): offered = completed + failed + open.
 */
export interface CallbackCounts {
  offered: number;
  completed: number;
  failed: number;
  open: number;
}

/** A window of request times, [from, to) in ms; either end may be left open. */
export interface CountWindow {
  from?: number;
  to?: number;
}

export const noCallbacks = (): CallbackCounts => ({ offered: 0, completed: 0, failed: 0, open: 0 });
export const COUNT_KEYS = ['offered', 'completed', 'failed', 'open'] as const;

function tally(c: CallbackCounts, state: string, n: number): void {
  c.offered += n;
  if (state === 'completed') c.completed += n;
  else if (state === 'failed') c.failed += n;
  else c.open += n;
}

/** A tenant's callback counts per queue (only queues with a callback in the window are present). */
export async function callbackCountsByQueue(
  db: Executor,
  tenantId: number,
  w: CountWindow & { queueId?: number } = {},
): Promise<Map<number, CallbackCounts>> {
  let q = db
    .selectFrom('callbacks')
    .select(['queue_id', 'state', (eb) => eb.fn.countAll().as('n')])
    .where('tenant_id', '=', tenantId);
  if (w.queueId !== undefined) q = q.where('queue_id', '=', w.queueId);
  if (w.from !== undefined) q = q.where('created_at', '>=', w.from);
  if (w.to !== undefined) q = q.where('created_at', '<', w.to);
  const out = new Map<number, CallbackCounts>();
  for (const r of await q.groupBy(['queue_id', 'state']).execute()) {
    let c = out.get(r.queue_id);
    if (!c) out.set(r.queue_id, (c = noCallbacks()));
    tally(c, r.state, Number(r.n));
  }
  return out;
}

/** One queue's callback counts. */
export async function callbackCounts(
  db: Executor,
  tenantId: number,
  queueId: number,
  w: CountWindow = {},
): Promise<CallbackCounts> {
  return (await callbackCountsByQueue(db, tenantId, { ...w, queueId })).get(queueId) ?? noCallbacks();
}

/**
 * Every queue of the tenant with its callback counts in the window (zeros for a queue without callbacks), and the
 * tenant's totals (which also count the callbacks of queues deleted since).
 */
export async function queueCallbackCounts(
  db: Executor,
  tenantId: number,
  w: CountWindow = {},
): Promise<{ totals: CallbackCounts; queues: { queueId: number; name: string; counts: CallbackCounts }[] }> {
  const [queues, byQueue] = await Promise.all([
    db
      .selectFrom('inbound_queues')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute(),
    callbackCountsByQueue(db, tenantId, w),
  ]);
  const totals = noCallbacks();
  for (const c of byQueue.values()) for (const k of COUNT_KEYS) totals[k] += c[k];
  return {
    totals,
    queues: queues.map((q) => ({ queueId: q.id, name: q.name, counts: byQueue.get(q.id) ?? noCallbacks() })),
  };
}

/** Every tenant's callback counts since the rows began (the metrics endpoint). */
export async function callbackCountsByTenant(db: Executor): Promise<Map<number, CallbackCounts>> {
  const rows = await db
    .selectFrom('callbacks')
    .select(['tenant_id', 'state', (eb) => eb.fn.countAll().as('n')])
    .groupBy(['tenant_id', 'state'])
    .execute();
  const out = new Map<number, CallbackCounts>();
  for (const r of rows) {
    let c = out.get(r.tenant_id);
    if (!c) out.set(r.tenant_id, (c = noCallbacks()));
    tally(c, r.state, Number(r.n));
  }
  return out;
}

/** The callback writes the call engine makes (src/calls/callback-flow.ts), bound to one database. */
export interface CallbackStore {
  create(c: Parameters<typeof createCallback>[2]): Promise<Callback>;
  update(tenantId: number, id: number, ch: CallbackChange): Promise<void>;
  open(): Promise<Callback[]>;
}

export function createCallbackStore(db: Db, clock: Pick<Clock, 'now'>): CallbackStore {
  return {
    create: (c) => createCallback(db, clock.now(), c),
    update: (tenantId, id, ch) => updateCallback(db, clock.now(), tenantId, id, ch),
    open: () => openCallbacks(db),
  };
}

/** A queue's caller-side settings (announcements and callback), as the native API reads and writes them. */
export interface QueueCallerOptions {
  announcePosition: boolean;
  announceIntervalSec: number;
  announceLanguage: 'vi' | 'en';
  callbackEnabled: boolean;
  callbackKey: string;
  callbackMaxAttempts: number;
  callbackRetrySec: number;
  callbackCallerId: string | null;
}

export async function getQueueCallerOptions(
  db: Executor,
  tenantId: number,
  queueId: number,
): Promise<QueueCallerOptions> {
  const q = await db
    .selectFrom('inbound_queues')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', queueId)
    .executeTakeFirst();
  if (!q) throw notFound(`queue ${queueId}`);
  return {
    announcePosition: q.announce_position === 1,
    announceIntervalSec: q.announce_interval_sec,
    announceLanguage: q.announce_language === 'en' ? 'en' : 'vi',
    callbackEnabled: q.callback_enabled === 1,
    callbackKey: q.callback_key,
    callbackMaxAttempts: q.callback_max_attempts,
    callbackRetrySec: q.callback_retry_sec,
    callbackCallerId: q.callback_caller_id,
  };
}

/** Change some caller options of a queue; the ACD reloads the tenant at its next call (revision bump). */
export async function setQueueCallerOptions(
  db: Executor,
  clock: Pick<Clock, 'now'>,
  tenantId: number,
  queueId: number,
  o: Partial<QueueCallerOptions>,
): Promise<QueueCallerOptions> {
  if (o.callbackKey !== undefined && !/^[0-9*#]$/.test(o.callbackKey))
    throw invalid(`callback key must be one of 0-9, * or #, got "${o.callbackKey}"`);
  await getQueueCallerOptions(db, tenantId, queueId);
  const set = {
    ...(o.announcePosition !== undefined ? { announce_position: o.announcePosition ? 1 : 0 } : {}),
    ...(o.announceIntervalSec !== undefined ? { announce_interval_sec: o.announceIntervalSec } : {}),
    ...(o.announceLanguage !== undefined ? { announce_language: o.announceLanguage } : {}),
    ...(o.callbackEnabled !== undefined ? { callback_enabled: o.callbackEnabled ? 1 : 0 } : {}),
    ...(o.callbackKey !== undefined ? { callback_key: o.callbackKey } : {}),
    ...(o.callbackMaxAttempts !== undefined ? { callback_max_attempts: o.callbackMaxAttempts } : {}),
    ...(o.callbackRetrySec !== undefined ? { callback_retry_sec: o.callbackRetrySec } : {}),
    ...(o.callbackCallerId !== undefined ? { callback_caller_id: o.callbackCallerId } : {}),
  };
  if (Object.keys(set).length > 0) {
    await db
      .updateTable('inbound_queues')
      .set({ ...set, updated_at: clock.now() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', queueId)
      .execute();
    await bumpRevision(db, tenantId);
  }
  return getQueueCallerOptions(db, tenantId, queueId);
}
