import { systemStatusOf } from './status-rules.js';
import type { Executor } from '../store/db.js';
import { parseQueueStats, queueFigures } from './call-history.js';
import { antbuddyState, presenceOf } from './statuses.js';

/** Seconds between 0000-01-01 and 1970-01-01 (UTC): Kazoo/Erlang Gregorian seconds = unix + this. */
export const GREGORIAN_OFFSET = 62167219200;

export const gregorianSeconds = (ms: number): number => Math.floor(ms / 1000) + GREGORIAN_OFFSET;

type AbState = ReturnType<typeof antbuddyState>;

export interface AgentStatusDetail {
  agentUid: string;
  username: string;
  name: string;
  state: AbState;
  /** When the agent entered the current status (ms). */
  since: number;
  /** When the agent last became free to take calls: the later of its last call's end and `since` (ms). */
  idleSince: number;
}

export interface AgentBoard {
  counts: Record<AbState | 'logged_in', number>;
  /** Logged-in agents only: an agent not listed is logged out. */
  details: AgentStatusDetail[];
}

/** Whether a custom status takes calls; null for an unknown name (system statuses never need it). */
export async function statusIsReady(db: Executor, tenantId: number, name: string): Promise<number | null> {
  // System statuses are never rows of the tenant's catalog (custom statuses cannot take their names).
  if (systemStatusOf(name)) return null;
  const s = await db
    .selectFrom('statuses')
    .select('is_ready')
    .where('tenant_id', '=', tenantId)
    .where('name_key', '=', name.toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return s?.is_ready ?? null;
}

/** Every live agent's AntBuddy state (a projection of the one status model) and the counts by state. */
export async function agentBoard(db: Executor, tenantId: number, now: number): Promise<AgentBoard> {
  const [agents, statuses] = await Promise.all([
    db
      .selectFrom('agents')
      .select(['id', 'uid', 'username', 'extension', 'name', 'status', 'status_changed_at', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .where('is_active', '=', 1)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('statuses')
      .select(['name_key', 'is_ready'])
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .execute(),
  ]);
  const ready = new Map(statuses.map((s) => [s.name_key, s.is_ready]));
  const lastEnd = await lastCallEnds(db, tenantId);
  const counts = { ready: 0, logged_out: 0, wrapup: 0, logged_in: 0, connected: 0, paused: 0 };
  const details: AgentStatusDetail[] = [];
  for (const a of agents) {
    const state = antbuddyState(presenceOf(a.status, ready.get(a.status.toLowerCase())));
    counts[state]++;
    if (state === 'logged_out') continue;
    counts.logged_in++;
    const since = Math.min(a.status_changed_at ?? a.created_at, now);
    details.push({
      agentUid: a.uid,
      username: a.username ?? a.extension,
      name: a.name,
      state,
      since,
      idleSince: Math.max(since, lastEnd.get(a.id) ?? 0),
    });
  }
  return { counts, details };
}

async function lastCallEnds(db: Executor, tenantId: number): Promise<Map<number, number>> {
  const rows = await db
    .selectFrom('calls')
    .select(['agent_id', (eb) => eb.fn.max('ended_at').as('ended')])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', 'is not', null)
    .groupBy('agent_id')
    .execute();
  return new Map(rows.map((r) => [Number(r.agent_id), Number(r.ended ?? 0)]));
}

export interface WaitingCall {
  callId: string;
  callerNumber: string;
  queueId: number;
  enteredAt: number;
}

export interface QueueTotals {
  received: number;
  offered: number;
  handled: number;
  abandoned: number;
  /** Abandoned calls by `end_call_reason` (or `hung_up_by`) from the queue statistics. */
  abandonedDetail: Record<string, number>;
  /** Abandoned calls where the caller hung up while waiting (the rest timed out or overflowed). */
  abandonedByCaller: number;
  avgWaitingSec: number;
  maxWaitingSec: number;
  avgTalkingSec: number;
}

export interface QueueBoard {
  totals: QueueTotals;
  perQueue: { queueId: number; name: string; totals: QueueTotals; waiting: number }[];
  waiting: WaitingCall[];
}

type QueueCallRow = {
  call_id: string;
  caller_number: string;
  queue_id: number | null;
  created_at: number;
  answered_at: number | null;
  ended_at: number | null;
  billing_sec: number | null;
  queue_stat: string | null;
};

function waitOf(c: QueueCallRow, waitSec: number | null, now: number): number {
  if (waitSec !== null) return waitSec;
  const end = c.answered_at ?? c.ended_at ?? now;
  return Math.max(0, Math.round((end - c.created_at) / 1000));
}

/** Aggregate queue calls the way the AntBuddy dashboard reports them. */
export function totalsOf(calls: QueueCallRow[], now: number): QueueTotals {
  const t: QueueTotals = {
    received: calls.length,
    offered: 0,
    handled: 0,
    abandoned: 0,
    abandonedDetail: {},
    abandonedByCaller: 0,
    avgWaitingSec: 0,
    maxWaitingSec: 0,
    avgTalkingSec: 0,
  };
  let waitSum = 0;
  let talkSum = 0;
  for (const c of calls) {
    const f = queueFigures(parseQueueStats(c.queue_stat)[0]);
    const wait = waitOf(c, f.waitSec, now);
    waitSum += wait;
    t.maxWaitingSec = Math.max(t.maxWaitingSec, wait);
    if (c.ended_at !== null || c.answered_at !== null) t.offered++;
    if (c.answered_at !== null) {
      t.handled++;
      talkSum += f.talkSec ?? c.billing_sec ?? 0;
    } else if (c.ended_at !== null) {
      t.abandoned++;
      const reason = f.endReason ?? f.hungUpBy ?? 'unknown';
      t.abandonedDetail[reason] = (t.abandonedDetail[reason] ?? 0) + 1;
      if (f.hungUpBy === 'caller' || f.hungUpBy === null) t.abandonedByCaller++;
    }
  }
  t.avgWaitingSec = calls.length ? Math.round(waitSum / calls.length) : 0;
  t.avgTalkingSec = t.handled ? Math.round(talkSum / t.handled) : 0;
  return t;
}

/** Today's (UTC) queue statistics, computed from the call records the call engine and ACD write. */
export async function queueBoard(db: Executor, tenantId: number, now: number): Promise<QueueBoard> {
  const dayStart = Math.floor(now / 86_400_000) * 86_400_000;
  const [calls, queues] = await Promise.all([
    db
      .selectFrom('calls')
      .select([
        'call_id',
        'caller_number',
        'queue_id',
        'created_at',
        'answered_at',
        'ended_at',
        'billing_sec',
        'queue_stat',
      ])
      .where('tenant_id', '=', tenantId)
      .where('queue_id', 'is not', null)
      .where('created_at', '>=', dayStart)
      .orderBy('created_at')
      .execute(),
    db
      .selectFrom('inbound_queues')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute(),
  ]);
  const live = (c: QueueCallRow) => c.answered_at === null && c.ended_at === null;
  return {
    totals: totalsOf(calls, now),
    perQueue: queues.map((q) => {
      const mine = calls.filter((c) => c.queue_id === q.id);
      return { queueId: q.id, name: q.name, totals: totalsOf(mine, now), waiting: mine.filter(live).length };
    }),
    waiting: calls.filter(live).map((c) => ({
      callId: c.call_id,
      callerNumber: c.caller_number,
      queueId: Number(c.queue_id),
      enteredAt: c.created_at,
    })),
  };
}

/** The tenant's inbound queues with their members' 32-hex user ids. */
export async function queuesWithMembers(
  db: Executor,
  tenantId: number,
): Promise<{ id: number; name: string; agentUids: string[] }[]> {
  const [queues, members] = await Promise.all([
    db
      .selectFrom('inbound_queues')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('queue_members')
      .innerJoin('agents', 'agents.id', 'queue_members.agent_id')
      .select(['queue_members.queue_id', 'agents.uid'])
      .where('queue_members.tenant_id', '=', tenantId)
      .where('agents.tenant_id', '=', tenantId)
      .where('agents.deleted_at', 'is', null)
      .orderBy('queue_members.priority')
      .orderBy('agents.id')
      .execute(),
  ]);
  return queues.map((q) => ({
    id: q.id,
    name: q.name,
    agentUids: members.filter((m) => m.queue_id === q.id).map((m) => m.uid),
  }));
}

/** The tenant's live agents as a directory (uid, username, name, extension). */
export async function agentDirectory(db: Executor, tenantId: number) {
  const rows = await db
    .selectFrom('agents')
    .select(['uid', 'username', 'name', 'extension', 'email'])
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, username: r.username ?? r.extension }));
}

/** A live agent of the tenant by email (case-insensitive), or undefined. */
export async function findAgentByEmail(db: Executor, tenantId: number, email: string) {
  return db
    .selectFrom('agents')
    .select(['id', 'uid'])
    .where('tenant_id', '=', tenantId)
    .where('email', '=', email.trim().toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** The agent whose SIP user (extension) this is, with its sealed SIP password; another tenant's is undefined. */
export async function findSipDevice(db: Executor, tenantId: number, sipUser: string) {
  return db
    .selectFrom('agents')
    .select(['id', 'uid', 'extension', 'sip_password_enc', 'is_active'])
    .where('tenant_id', '=', tenantId)
    .where('extension', '=', sipUser)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** Whether the agent has a SIP registration that has not expired. */
export async function isDeviceRegistered(
  db: Executor,
  tenantId: number,
  agentId: number,
  now: number,
): Promise<boolean> {
  const r = await db
    .selectFrom('sip_registrations')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .where('expires_at', '>', now)
    .executeTakeFirst();
  return r !== undefined;
}
