import type { Executor } from '../store/db.js';
import { type CallbackCounts, callbackCountsByQueue, noCallbacks } from './callbacks.js';
import { parseQueueStats, queueFigures } from './call-history.js';
import { type QueueTotals, queueBoard } from './dashboard.js';
import { type Thresholds, getThresholds } from './console-settings.js';
import { type Presence, presenceOf } from './statuses.js';

/** "% answered within N s": N is the queue's `service_level_sec`, this when unset. */
export const SERVICE_LEVEL_SEC = 20;
const INTERVAL_MS = 15 * 60_000;

export type AgentCounts = Record<
  'available' | 'on_call' | 'ringing' | 'wrapup' | 'paused' | 'offline',
  number
>;

const COUNT_OF: Record<Presence, keyof AgentCounts> = {
  ready: 'available',
  in_call: 'on_call',
  ringing: 'ringing',
  wrapup: 'wrapup',
  not_ready: 'paused',
  offline: 'offline',
};

export interface QueueTile {
  queueId: number;
  name: string;
  waiting: number;
  oldestWaitSec: number;
  agents: AgentCounts;
  offered: number;
  answered: number;
  abandoned: number;
  /** Null until a call was offered today. */
  serviceLevelPct: number | null;
  serviceLevelSec: number;
  asaSec: number;
  ahtSec: number;
  abandonRatePct: number | null;
  /** Queued callbacks requested today and what became of them (docs/ivr.md, from the callback rows). */
  callbacks: CallbackCounts;
}

export interface AgentTile {
  agentId: number;
  name: string;
  extension: string;
  status: string;
  presence: Presence;
  since: number;
  queueIds: number[];
  teamIds: number[];
  callsToday: number;
  /** Offers that rang this agent today and were not answered by them (Ringing → anything but In-call). */
  missedToday: number;
  talkSecToday: number;
  currentCall: { callId: string; caller: string; queueId: number | null; since: number } | null;
}

export interface Wallboard {
  at: number;
  queues: QueueTile[];
  agents: AgentTile[];
  waiting: { callId: string; callerNumber: string; queueId: number; enteredAt: number; position: number }[];
  /** Queue calls per 15 minutes since midnight UTC. */
  intervals: number[];
  /** The tenant's tile thresholds (src/domain/console-settings.ts). */
  thresholds: Thresholds;
  /** The tenant's teams, for the agent grid's team filter. */
  teams: { teamId: number; name: string }[];
}

const pct = (n: number, d: number) => (d === 0 ? null : Math.round((n * 1000) / d) / 10);

/** Service level and ASA over today's answered queue calls, from the statistics the ACD stored with them. */
function answerFigures(rows: QueueRow[], queueId: number, slSec: number) {
  const mine = rows.filter((r) => r.queue_id === queueId);
  let within = 0;
  let waitSum = 0;
  let answered = 0;
  let offered = 0;
  for (const r of mine) {
    if (r.answered_at === null && r.ended_at === null) continue;
    offered++;
    if (r.answered_at === null) continue;
    answered++;
    const wait =
      queueFigures(parseQueueStats(r.queue_stat)[0]).waitSec ?? (r.answered_at - r.created_at) / 1000;
    waitSum += wait;
    if (wait <= slSec) within++;
  }
  return { serviceLevelPct: pct(within, offered), asaSec: answered ? Math.round(waitSum / answered) : 0 };
}

type QueueRow = {
  queue_id: number | null;
  created_at: number;
  answered_at: number | null;
  ended_at: number | null;
  queue_stat: string | null;
};

function tileOf(
  q: { queueId: number; name: string; totals: QueueTotals; waiting: number },
  rows: QueueRow[],
  waitingSince: number[],
  agents: AgentCounts,
  now: number,
  slSec: number,
  callbacks: CallbackCounts,
): QueueTile {
  const t = q.totals;
  const oldest = waitingSince.length ? Math.min(...waitingSince) : now;
  return {
    queueId: q.queueId,
    name: q.name,
    waiting: q.waiting,
    oldestWaitSec: Math.max(0, Math.floor((now - oldest) / 1000)),
    agents,
    offered: t.offered,
    answered: t.handled,
    abandoned: t.abandoned,
    ...answerFigures(rows, q.queueId, slSec),
    serviceLevelSec: slSec,
    ahtSec: t.avgTalkingSec,
    abandonRatePct: pct(t.abandoned, t.offered),
    callbacks,
  };
}

/**
 * The supervisor's wallboard. Queue figures come from `queueBoard` and agent states from the same status model,
 * exactly what `GET /oapi/v1/call/dashboard` reports for the same moment; the console only adds per-queue agent
 * counts, service level, ASA and the 15-minute histogram.
 */
export async function wallboard(db: Executor, tenantId: number, now: number): Promise<Wallboard> {
  const dayStart = Math.floor(now / 86_400_000) * 86_400_000;
  const [thresholds, teamRows, missed, callbacks] = await Promise.all([
    getThresholds(db, tenantId),
    db.selectFrom('teams').select(['id', 'name']).where('tenant_id', '=', tenantId).orderBy('name').execute(),
    db
      .selectFrom('status_history')
      .select(['agent_id', (eb) => eb.fn.countAll().as('n')])
      .where('tenant_id', '=', tenantId)
      .where('created_at', '>=', dayStart)
      .where('previous_status', '=', 'Ringing')
      .where('new_status', '!=', 'In-call')
      .groupBy('agent_id')
      .execute(),
    callbackCountsByQueue(db, tenantId, { from: dayStart }),
  ]);
  const missedOf = new Map(missed.map((r) => [Number(r.agent_id), Number(r.n)]));
  const [board, queueRows, agents, statuses, members, teams, rows, openCalls, today] = await Promise.all([
    queueBoard(db, tenantId, now),
    db
      .selectFrom('inbound_queues')
      .select(['id', 'service_level_sec'])
      .where('tenant_id', '=', tenantId)
      .execute(),
    db
      .selectFrom('agents')
      .select(['id', 'name', 'extension', 'status', 'status_changed_at', 'created_at'])
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .where('is_active', '=', 1)
      .orderBy('name')
      .execute(),
    db
      .selectFrom('statuses')
      .select(['name_key', 'is_ready'])
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .execute(),
    db
      .selectFrom('queue_members')
      .select(['queue_id', 'agent_id'])
      .where('tenant_id', '=', tenantId)
      .execute(),
    db
      .selectFrom('team_members')
      .innerJoin('teams', 'teams.id', 'team_members.team_id')
      .select(['team_members.team_id', 'team_members.agent_id'])
      .where('teams.tenant_id', '=', tenantId)
      .execute(),
    db
      .selectFrom('calls')
      .select(['queue_id', 'created_at', 'answered_at', 'ended_at', 'queue_stat'])
      .where('tenant_id', '=', tenantId)
      .where('queue_id', 'is not', null)
      .where('created_at', '>=', dayStart)
      .execute(),
    db
      .selectFrom('calls')
      .select(['call_id', 'caller_number', 'queue_id', 'agent_id', 'created_at', 'answered_at'])
      .where('tenant_id', '=', tenantId)
      .where('ended_at', 'is', null)
      .where('agent_id', 'is not', null)
      .execute(),
    db
      .selectFrom('calls')
      .select(['agent_id', (eb) => eb.fn.countAll().as('n'), (eb) => eb.fn.sum('billing_sec').as('talk')])
      .where('tenant_id', '=', tenantId)
      .where('agent_id', 'is not', null)
      .where('answered_at', 'is not', null)
      .where('created_at', '>=', dayStart)
      .groupBy('agent_id')
      .execute(),
  ]);
  const slOf = new Map(queueRows.map((q) => [q.id, q.service_level_sec]));
  const ready = new Map(statuses.map((s) => [s.name_key, s.is_ready]));
  const perAgent = new Map(today.map((r) => [Number(r.agent_id), r]));
  const tiles: AgentTile[] = agents.map((a) => {
    const call = openCalls.find((c) => c.agent_id === a.id);
    const stats = perAgent.get(a.id);
    return {
      agentId: a.id,
      name: a.name,
      extension: a.extension,
      status: a.status,
      presence: presenceOf(a.status, ready.get(a.status.toLowerCase())),
      since: Math.min(a.status_changed_at ?? a.created_at, now),
      queueIds: members.filter((m) => m.agent_id === a.id).map((m) => m.queue_id),
      teamIds: teams.filter((m) => m.agent_id === a.id).map((m) => m.team_id),
      callsToday: Number(stats?.n ?? 0),
      missedToday: missedOf.get(a.id) ?? 0,
      talkSecToday: Number(stats?.talk ?? 0),
      currentCall: call
        ? {
            callId: call.call_id,
            caller: call.caller_number,
            queueId: call.queue_id,
            since: call.answered_at ?? call.created_at,
          }
        : null,
    };
  });
  const queues = board.perQueue.map((q) => {
    const counts: AgentCounts = { available: 0, on_call: 0, ringing: 0, wrapup: 0, paused: 0, offline: 0 };
    for (const a of tiles) if (a.queueIds.includes(q.queueId)) counts[COUNT_OF[a.presence]]++;
    const since = board.waiting.filter((w) => w.queueId === q.queueId).map((w) => w.enteredAt);
    const sl = slOf.get(q.queueId) || SERVICE_LEVEL_SEC;
    return tileOf(q, rows, since, counts, now, sl, callbacks.get(q.queueId) ?? noCallbacks());
  });
  const intervals = new Array<number>(96).fill(0);
  for (const r of rows) intervals[Math.min(95, Math.floor((r.created_at - dayStart) / INTERVAL_MS))]!++;
  const position = new Map<number, number>();
  const waiting = board.waiting.map((w) => {
    const p = (position.get(w.queueId) ?? 0) + 1;
    position.set(w.queueId, p);
    return { ...w, position: p };
  });
  return {
    at: now,
    queues,
    agents: tiles,
    waiting,
    intervals,
    thresholds,
    teams: teamRows.map((t) => ({ teamId: t.id, name: t.name })),
  };
}
