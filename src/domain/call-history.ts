import { invalid } from '../errors.js';
import { countAll, type Executor } from '../store/db.js';
import type { Call } from '../store/schema.js';

/** The widest window a history query may span (the AntBuddy document: 31 days). */
export const MAX_HISTORY_SPAN_MS = 31 * 24 * 3600_000;
export const HISTORY_DEFAULT_LIMIT = 20;
export const HISTORY_MAX_LIMIT = 100;

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const EPOCH_DIGITS = /^\d{1,16}$/;
// An ISO-8601 date-time: Date.parse accepts many loose formats, so the shape is checked first.
const ISO_DATETIME =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(:(\d{2})(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?$/i;
/** Epoch numbers from here up are milliseconds (1e11 s is the year 5138; 1e11 ms is 1973). */
const MS_FROM = 1e11;

/** Whether year-month-day names a real day (Date.parse turns 2026-02-31 into March 3rd). */
function realDay(y: string, m: string, d: string): boolean {
  const t = new Date(Date.UTC(Number(y), Number(m) - 1, Number(d)));
  return (
    t.getUTCFullYear() === Number(y) && t.getUTCMonth() === Number(m) - 1 && t.getUTCDate() === Number(d)
  );
}

/**
 * A history bound in epoch ms: unix seconds or milliseconds, an ISO date (UTC; a `to` date means the end of that
 * day) or an ISO date-time (no offset means UTC). Anything else, or a day that does not exist, is INVALID_INPUT.
 */
export function parseHistoryTime(raw: string, field: string, endOfDay: boolean): number {
  const s = raw.trim();
  let ms = NaN;
  const date = DATE_ONLY.exec(s);
  const dt = ISO_DATETIME.exec(s);
  if (EPOCH_DIGITS.test(s)) {
    const n = Number(s);
    ms = n >= MS_FROM ? n : n * 1000;
  } else if (date && realDay(date[1]!, date[2]!, date[3]!)) {
    ms = Date.parse(`${s}T00:00:00Z`) + (endOfDay ? 24 * 3600_000 - 1 : 0);
  } else if (dt && realDay(dt[1]!, dt[2]!, dt[3]!)) {
    const iso = s.replace(' ', 'T');
    ms = Date.parse(/(Z|[+-]\d{2}:?\d{2})$/i.test(iso) ? iso : `${iso}Z`);
  }
  if (!Number.isFinite(ms) || ms > 8.64e15) {
    throw invalid(
      `${field} must be unix seconds or milliseconds, an ISO date (YYYY-MM-DD) or an ISO 8601 date-time, got "${clipValue(raw)}"`,
    );
  }
  return ms;
}

const clipValue = (v: string): string => {
  const clean = v.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 60 ? `${clean.slice(0, 60)}…` : clean;
};

export interface HistoryQuery {
  fromMs: number;
  toMs: number;
  limit: number;
  page: number;
}

/** Check the window and paging rules; returns the query with defaults applied. */
export function historyQuery(input: {
  from: string;
  to: string;
  limit?: number | undefined;
  page?: number | undefined;
}): HistoryQuery {
  const fromMs = parseHistoryTime(input.from, 'created_from', false);
  const toMs = parseHistoryTime(input.to, 'created_to', true);
  if (toMs < fromMs) throw invalid('created_to must not be before created_from');
  if (toMs - fromMs > MAX_HISTORY_SPAN_MS)
    throw invalid('created_from and created_to are more than 31 days apart');
  const limit = input.limit ?? HISTORY_DEFAULT_LIMIT;
  const page = input.page ?? 1;
  if (!Number.isInteger(limit) || limit < 1 || limit > HISTORY_MAX_LIMIT)
    throw invalid(`limit must be an integer from 1 to ${HISTORY_MAX_LIMIT}`);
  if (!Number.isInteger(page) || page < 1 || page > 1_000_000)
    throw invalid('page must be an integer from 1');
  return { fromMs, toMs, limit, page };
}

/** A party of a call: an agent of the tenant (with username) or a plain number. */
export interface HistoryParty {
  number: string;
  agent: { uid: string; username: string; extension: string } | null;
}

export interface HistoryEntry {
  call: Call;
  caller: HistoryParty;
  callee: HistoryParty;
  /** The agent who handled the call (queue calls), if any. */
  agent: HistoryParty['agent'];
  /** The recording's file name, or null when the call has none (or it was deleted). */
  recordingName: string | null;
  /** The ACD's per-queue statistics for the call, always as a list. */
  queueStats: Record<string, unknown>[];
  /** Offers of the call that agents did not answer, oldest first (see historyMisses). */
  misses: HistoryMiss[];
}

/** One offer an agent did not take: who (when the engine recorded it), when, and why. */
export interface HistoryMiss {
  agent: HistoryParty['agent'];
  /** Epoch ms of the miss, when recorded. */
  at: number | null;
  /** `no_answer`, `rejected` or `cancelled` (the call went to another agent or ended), when recorded. */
  reason: string | null;
}

type AgentLite = { id: number; uid: string; username: string | null; extension: string };

function party(number: string, agentId: number | null, agents: Map<number, AgentLite>): HistoryParty {
  const a = agentId === null ? undefined : agents.get(agentId);
  if (!a) return { number, agent: null };
  return { number, agent: { uid: a.uid, username: a.username ?? a.extension, extension: a.extension } };
}

/** `calls.queue_stat` holds one object or a list; anything unparsable reads as "no queue". */
export function parseQueueStats(raw: string | null): Record<string, unknown>[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    if (Array.isArray(v)) return v.filter((x): x is Record<string, unknown> => !!x && typeof x === 'object');
    return v && typeof v === 'object' ? [v as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}

/** A call's queue figures, whichever writer's keys the stored statistics use (the call engine's or the seed's). */
export interface QueueFigures {
  waitSec: number | null;
  talkSec: number | null;
  hungUpBy: string | null;
  endReason: string | null;
}

const numOf = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strOf = (v: unknown): string | null => (typeof v === 'string' && v !== '' ? v : null);

export function queueFigures(stat: Record<string, unknown> | undefined): QueueFigures {
  const outcome = strOf(stat?.outcome);
  return {
    waitSec: numOf(stat?.wait_time) ?? numOf(stat?.wait_sec),
    talkSec: numOf(stat?.talk_time) ?? numOf(stat?.talk_sec),
    hungUpBy: strOf(stat?.hung_up_by) ?? strOf(stat?.hangup_by),
    endReason:
      strOf(stat?.end_call_reason) ?? strOf(stat?.reason) ?? (outcome === 'answered' ? null : outcome),
  };
}

type StoredMiss = { agentId: number | null; at: number | null; reason: string | null };

/**
 * The misses a call's stored statistics hold, in either form an engine wrote: a list of `{agent_id, at, reason}`
 * (internal agent id, epoch ms) or, from engines that only counted, a number — that many misses of unknown agent.
 */
function storedMisses(stats: Record<string, unknown>[]): StoredMiss[] {
  const out: StoredMiss[] = [];
  for (const stat of stats) {
    const m = stat.misses;
    if (typeof m === 'number' && Number.isInteger(m) && m > 0) {
      for (let i = 0; i < Math.min(m, 1000); i++) out.push({ agentId: null, at: null, reason: null });
    } else if (Array.isArray(m)) {
      for (const x of m) {
        const o = x && typeof x === 'object' ? (x as Record<string, unknown>) : {};
        const id = numOf(o.agent_id);
        out.push({
          agentId: id !== null && Number.isInteger(id) ? id : null,
          at: numOf(o.at),
          reason: strOf(o.reason),
        });
      }
    }
  }
  return out;
}

/** One page of the tenant's calls created inside the window, newest first, with the total count. */
export async function listCallHistory(
  db: Executor,
  tenantId: number,
  q: HistoryQuery,
): Promise<{ total: number; entries: HistoryEntry[] }> {
  const base = db
    .selectFrom('calls')
    .where('tenant_id', '=', tenantId)
    .where('created_at', '>=', q.fromMs)
    .where('created_at', '<=', q.toMs);
  const [{ n }, calls] = await Promise.all([
    base.select(countAll().as('n')).executeTakeFirstOrThrow(),
    base
      .selectAll()
      .orderBy('created_at', 'desc')
      .orderBy('id', 'desc')
      .limit(q.limit)
      .offset((q.page - 1) * q.limit)
      .execute(),
  ]);
  return { total: Number(n), entries: await enrich(db, tenantId, calls) };
}

/** Attach the agents and recording names a page of calls refers to (two queries, whatever the page size). */
async function enrich(db: Executor, tenantId: number, calls: Call[]): Promise<HistoryEntry[]> {
  const stats = new Map(calls.map((c) => [c.id, parseQueueStats(c.queue_stat)]));
  const misses = new Map(calls.map((c) => [c.id, storedMisses(stats.get(c.id)!)]));
  const agentIds = [
    ...new Set(
      calls
        .flatMap((c) => [
          c.caller_agent_id,
          c.callee_agent_id,
          c.agent_id,
          ...misses.get(c.id)!.map((m) => m.agentId),
        ])
        .filter((x) => x !== null),
    ),
  ];
  const recIds = [...new Set(calls.map((c) => c.recording_id).filter((x) => x !== null))];
  // Guard against running invalid `in ()` queries when a page has no agents or recordings.
  const agents = agentIds.length
    ? await db
        .selectFrom('agents')
        .select(['id', 'uid', 'username', 'extension'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', agentIds)
        .execute()
    : [];
  const recs = recIds.length
    ? await db
        .selectFrom('recordings')
        .select(['id', 'name'])
        .where('tenant_id', '=', tenantId)
        .where('id', 'in', recIds)
        .where('deleted_at', 'is', null)
        .execute()
    : [];
  const byId = new Map(agents.map((a) => [a.id, a]));
  const recName = new Map(recs.map((r) => [r.id, r.name]));
  return calls.map((c) => {
    const agent = party('', c.agent_id, byId).agent;
    // An answered inbound call was received by the agent who answered it, not by the hotline it was dialled on.
    const answeredBy = c.direction === 'inbound' && c.answered_at !== null && agent !== null;
    return {
      call: c,
      caller: party(c.caller_number, c.caller_agent_id, byId),
      callee: answeredBy
        ? { number: agent.extension, agent }
        : party(c.callee_number, c.callee_agent_id, byId),
      agent,
      recordingName: c.recording_id === null ? null : (recName.get(c.recording_id) ?? null),
      queueStats: stats.get(c.id)!,
      misses: misses.get(c.id)!.map((m) => ({
        agent: m.agentId === null ? null : party('', m.agentId, byId).agent,
        at: m.at,
        reason: m.reason,
      })),
    };
  });
}

/** What a finished or live call record holds: the one way a `calls` row is created (call engine, tests, imports). */
export interface CallRecordInput {
  callId: string;
  /** The telephony node running the call (see src/calls/nodes.ts); absent for records nobody runs. */
  nodeId?: string | null;
  direction: 'inbound' | 'outbound' | 'internal';
  callerNumber: string;
  calleeNumber: string;
  callerAgentId?: number | null;
  calleeAgentId?: number | null;
  didNumber?: string | null;
  queueId?: number | null;
  agentId?: number | null;
  createdAt: number;
  answeredAt?: number | null;
  endedAt?: number | null;
  durationSec?: number | null;
  billingSec?: number | null;
  hangupCause?: string | null;
  hangupBy?: string | null;
  statusDetail?: string | null;
  sipCode?: number | null;
  reason?: string | null;
  queueStat?: Record<string, unknown> | Record<string, unknown>[] | null;
  recordingId?: number | null;
}

/** The `calls` row of a new record, every column given (null when absent): one compiled statement fits every call. */
export function newCallRow(tenantId: number, c: CallRecordInput) {
  return {
    tenant_id: tenantId,
    call_id: c.callId,
    direction: c.direction,
    caller_number: c.callerNumber,
    caller_agent_id: c.callerAgentId ?? null,
    callee_number: c.calleeNumber,
    callee_agent_id: c.calleeAgentId ?? null,
    did_number: c.didNumber ?? null,
    queue_id: c.queueId ?? null,
    agent_id: c.agentId ?? null,
    created_at: c.createdAt,
    answered_at: c.answeredAt ?? null,
    ended_at: c.endedAt ?? null,
    duration_sec: c.durationSec ?? null,
    billing_sec: c.billingSec ?? null,
    hangup_cause: c.hangupCause ?? null,
    hangup_by: c.hangupBy ?? null,
    status_detail: c.statusDetail ?? null,
    sip_code: c.sipCode ?? null,
    reason: c.reason ?? null,
    queue_stat: c.queueStat ? JSON.stringify(c.queueStat) : null,
    recording_id: c.recordingId ?? null,
    node_id: c.nodeId ?? null,
  };
}

export async function insertCallRecord(db: Executor, tenantId: number, c: CallRecordInput): Promise<Call> {
  return db.insertInto('calls').values(newCallRow(tenantId, c)).returningAll().executeTakeFirstOrThrow();
}
