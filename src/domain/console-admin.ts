import { invalid, notFound } from '../errors.js';
import { type Executor, inTransaction, type Db } from '../store/db.js';
import type { Call } from '../store/schema.js';
import { bumpRevision } from './tenants.js';

/** Switch one agent's membership of one inbound queue on or off (other memberships are untouched). */
export async function setQueueMembership(
  db: Db,
  tenantId: number,
  agentId: number,
  queueId: number,
  member: boolean,
): Promise<void> {
  await inTransaction(db, async (tx) => {
    const [agent, queue] = await Promise.all([
      tx
        .selectFrom('agents')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', agentId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst(),
      tx
        .selectFrom('inbound_queues')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', queueId)
        .executeTakeFirst(),
    ]);
    if (!agent) throw notFound(`agent ${agentId}`);
    if (!queue) throw notFound(`queue ${queueId}`);
    await tx
      .deleteFrom('queue_members')
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', agentId)
      .where('queue_id', '=', queueId)
      .execute();
    if (member) {
      await tx
        .insertInto('queue_members')
        .values({ tenant_id: tenantId, queue_id: queueId, agent_id: agentId })
        .execute();
    }
    await bumpRevision(tx, tenantId);
  });
}

/** The tenant's agents with their queue memberships, for the agents screen. */
export async function listConsoleAgents(db: Executor, tenantId: number) {
  const [agents, members] = await Promise.all([
    db
      .selectFrom('agents')
      .select([
        'id',
        'name',
        'email',
        'extension',
        'status',
        'status_changed_at',
        'is_active',
        'console_role',
        'role_id',
        'phone',
        'recording_enabled',
      ])
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .orderBy('name')
      .execute(),
    db
      .selectFrom('queue_members')
      .select(['agent_id', 'queue_id', 'priority'])
      .where('tenant_id', '=', tenantId)
      .execute(),
  ]);
  const byAgent = new Map<number, { queue_id: number; priority: number }[]>();
  for (const m of members) {
    let list = byAgent.get(m.agent_id);
    if (!list) byAgent.set(m.agent_id, (list = []));
    list.push({ queue_id: m.queue_id, priority: m.priority });
  }
  return agents.map((a) => {
    const memberships = byAgent.get(a.id) ?? [];
    return { ...a, memberships, queueIds: memberships.map((m) => m.queue_id) };
  });
}

export interface CallSearch {
  fromMs: number;
  toMs: number;
  /** Digits anywhere in the caller or callee number. */
  number?: string;
  direction?: 'inbound' | 'outbound' | 'internal';
  outcome?: 'answered' | 'missed';
  queueId?: number;
  /** Only this agent's calls (the agent workspace). */
  agentId?: number;
  limit: number;
  offset: number;
}

export const CALL_SEARCH_MAX_SPAN_MS = 92 * 86_400_000;

/** Check a call search's window and number filter. */
export function checkCallSearch(s: CallSearch): void {
  if (!Number.isFinite(s.fromMs) || !Number.isFinite(s.toMs)) throw invalid('from and to must be dates');
  if (s.toMs < s.fromMs) throw invalid('"to" must not be before "from"');
  if (s.toMs - s.fromMs > CALL_SEARCH_MAX_SPAN_MS) throw invalid('the window is at most 92 days');
  if (s.number !== undefined && !/^[0-9+*#]{1,32}$/.test(s.number))
    throw invalid('the number filter takes digits (and + * #) only');
}

/** The tenant's calls matching a search, newest first, with the total. */
export async function searchCalls(
  db: Executor,
  tenantId: number,
  s: CallSearch,
): Promise<{ total: number; calls: Call[] }> {
  checkCallSearch(s);
  let q = db
    .selectFrom('calls')
    .where('tenant_id', '=', tenantId)
    .where('created_at', '>=', s.fromMs)
    .where('created_at', '<=', s.toMs);
  if (s.number) {
    const like = `%${s.number}%`;
    q = q.where((eb) => eb.or([eb('caller_number', 'like', like), eb('callee_number', 'like', like)]));
  }
  if (s.direction) q = q.where('direction', '=', s.direction);
  if (s.outcome === 'answered') q = q.where('answered_at', 'is not', null);
  if (s.outcome === 'missed') q = q.where('answered_at', 'is', null).where('ended_at', 'is not', null);
  if (s.queueId !== undefined) q = q.where('queue_id', '=', s.queueId);
  if (s.agentId !== undefined) {
    const id = s.agentId;
    q = q.where((eb) =>
      eb.or([eb('agent_id', '=', id), eb('caller_agent_id', '=', id), eb('callee_agent_id', '=', id)]),
    );
  }
  const [{ n }, calls] = await Promise.all([
    q.select((eb) => eb.fn.countAll().as('n')).executeTakeFirstOrThrow(),
    q
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(s.limit)
      .offset(s.offset)
      .execute(),
  ]);
  return { total: Number(n), calls };
}

/** A recording's file name for a call of the tenant, or null. */
export async function recordingNameOf(
  db: Executor,
  tenantId: number,
  callId: string,
): Promise<string | null> {
  const r = await db
    .selectFrom('calls')
    .innerJoin('recordings', 'recordings.id', 'calls.recording_id')
    .select('recordings.name')
    .where('calls.tenant_id', '=', tenantId)
    .where('recordings.tenant_id', '=', tenantId)
    .where('calls.call_id', '=', callId)
    .where('recordings.deleted_at', 'is', null)
    .executeTakeFirst();
  return r?.name ?? null;
}

/** One CSV field (RFC 4180), with a leading quote on formula-looking text so spreadsheets do not run it. */
export function csvField(v: string | number | null): string {
  if (v === null) return '';
  let s = String(v);
  if (typeof v === 'string' && /^[=+\-@\t\r]/.test(s) && !/^\+?[0-9]+$/.test(s)) s = `'${s}`;
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** What the queues screen may change on an inbound queue; absent fields stay as they are. */
export interface ConsoleQueueEdit {
  strategy?: string | null;
  maxWaitSec?: number | null;
  announcePosition?: boolean;
  wrapUpSec?: number;
  ringTimeoutSec?: number;
  serviceLevelSec?: number;
  overflow?: string | null;
  moh?: string | null;
  /** The queue's whole member list with priorities (others leave the queue). */
  members?: { agentId: number; priority: number }[];
}

function bounded(name: string, v: number, min: number, max: number): number {
  if (!Number.isInteger(v) || v < min || v > max)
    throw invalid(`${name} must be an integer from ${min} to ${max}`);
  return v;
}

/** Change a queue's settings and/or members in one transaction; a hold-music name must be the tenant's file. */
export async function editConsoleQueue(
  db: Db,
  now: number,
  tenantId: number,
  queueId: number,
  e: ConsoleQueueEdit,
  strategies: readonly string[],
): Promise<void> {
  if (e.strategy != null && !strategies.includes(e.strategy))
    throw invalid(`strategy must be one of ${strategies.join(', ')}`);
  if (e.overflow != null && e.overflow.length > 100) throw invalid('overflow must be at most 100 characters');
  const set = {
    ...(e.strategy !== undefined ? { agent_selector: e.strategy } : {}),
    ...(e.maxWaitSec !== undefined
      ? { max_wait_sec: e.maxWaitSec === null ? null : bounded('max_wait_sec', e.maxWaitSec, 1, 86_400) }
      : {}),
    ...(e.announcePosition !== undefined ? { announce_position: e.announcePosition ? 1 : 0 } : {}),
    ...(e.wrapUpSec !== undefined ? { wrapup_sec: bounded('wrap_up_sec', e.wrapUpSec, 0, 3600) } : {}),
    ...(e.ringTimeoutSec !== undefined
      ? { ring_timeout_sec: bounded('ring_timeout_sec', e.ringTimeoutSec, 5, 300) }
      : {}),
    ...(e.serviceLevelSec !== undefined
      ? { service_level_sec: bounded('service_level_sec', e.serviceLevelSec, 1, 3600) }
      : {}),
    ...(e.overflow !== undefined ? { overflow_target: e.overflow?.trim() || null } : {}),
    ...(e.moh !== undefined ? { moh_file: e.moh } : {}),
  };
  await inTransaction(db, async (tx) => {
    const q = await tx
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', queueId)
      .executeTakeFirst();
    if (!q) throw notFound(`queue ${queueId}`);
    if (e.moh) {
      const f = await tx
        .selectFrom('media_files')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', 'moh')
        .where('name', '=', e.moh)
        .executeTakeFirst();
      if (!f) throw invalid(`"${e.moh}" is not a music-on-hold file of this tenant`);
    }
    await tx
      .updateTable('inbound_queues')
      .set({ ...set, updated_at: now })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', queueId)
      .execute();
    if (e.members) await replaceQueueMembers(tx, tenantId, queueId, e.members);
    await bumpRevision(tx, tenantId);
  });
}

async function replaceQueueMembers(
  tx: Executor,
  tenantId: number,
  queueId: number,
  members: { agentId: number; priority: number }[],
) {
  const ids = [...new Set(members.map((m) => m.agentId))];
  if (ids.length !== members.length) throw invalid('an agent is listed twice');
  for (const m of members) bounded('priority', m.priority, 1, 100);
  if (ids.length) {
    const found = await tx
      .selectFrom('agents')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', ids)
      .where('deleted_at', 'is', null)
      .execute();
    const have = new Set(found.map((r) => r.id));
    const missing = ids.find((id) => !have.has(id));
    if (missing !== undefined) throw notFound(`agent ${missing}`);
  }
  await tx
    .deleteFrom('queue_members')
    .where('tenant_id', '=', tenantId)
    .where('queue_id', '=', queueId)
    .execute();
  if (members.length)
    await tx
      .insertInto('queue_members')
      .values(
        members.map((m) => ({
          tenant_id: tenantId,
          queue_id: queueId,
          agent_id: m.agentId,
          priority: m.priority,
        })),
      )
      .execute();
}
