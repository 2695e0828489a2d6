// The engine's in-memory state and the index operations on it. The two indexes that keep decisions
// cheap: each queue's unanswered calls in one sorted array (rank, then place, then arrival), and each queue's
// offerable members in priority tiers whose Sets are kept in idle order (an agent is appended when
// it becomes offerable), so longest-idle is the first element and nobody scans all agents.
import type { Presence } from '../domain/statuses.js';
import type { Timer, TimerHeap, TimerKind } from './heap.js';
import type { CallSkills } from './skills.js';
import type { StatsBook } from './stats.js';
import type { AcdDecision, QueueConfig } from './types.js';

/** An agent as the ACD tracks them. */
export interface AgentRec {
  id: number;
  tenantId: number;
  presence: Presence;
  engagement: 'idle' | 'offered' | 'talking' | 'wrapup';
  /** The call offered to / answered by / wrapped up by this agent. */
  callId: string | null;
  offerable: boolean;
  /** Grows each time the agent becomes offerable: smaller = idle for longer. */
  idleSeq: number;
  /** queueId → member priority. */
  queues: Map<number, number>;
  /** skillId → proficiency (1–5). */
  skills: Map<number, number>;
  misses: number;
  answered: number;
  talkMs: number;
  wrapToken: number;
  wrap: WrapRec | null;
}

/** What an agent in wrap-up still owes to the statistics of the call they took. */
export interface WrapRec {
  book: StatsBook;
  bucket: number;
  talkMs: number;
  startedAt: number;
}

/** One priority level of a queue's offerable members, in idle order. */
export interface Tier {
  priority: number;
  ready: Set<AgentRec>;
}

/** An inbound queue with its indexes. */
export interface QueueRec {
  id: number;
  tenantId: number;
  cfg: QueueConfig;
  /** agentId → position in the configured member list (top-down and round-robin order). */
  memberIndex: Map<number, number>;
  /** Ascending priority number: tiers[0] is offered first. */
  tiers: Tier[];
  tierOf: Map<number, Tier>;
  /** Unanswered calls, best first: higher rank, then earlier place (enteredAt), then earlier arrival. */
  queued: CallRec[];
  /** Members whose presence is not offline. */
  loggedIn: number;
  /** Member index of the agent round-robin offered last. */
  rrLast: number;
  stats: StatsBook;
}

/** A call waiting or ringing in a queue. */
export interface CallRec {
  id: string;
  tenantId: number;
  queue: QueueRec;
  callerNumber: string;
  vip: boolean;
  priority: number;
  /** Sort rank: VIP first, then priority (higher first). */
  rank: number;
  seq: number;
  enteredAt: number;
  bucket: number;
  /** agentId → token of that agent's ring timer. */
  ringing: Map<number, number>;
  /** How many agents may ring at once (1, Infinity for ring-all, growing for ring-progressively). */
  width: number;
  /** Agents who missed or rejected this call in the current round. */
  declined: Set<number>;
  /** Before this time (ms) no new round starts: agents who declined are not rung again. */
  roundAt: number;
  retryToken: number;
  /** What the call requires of agents (null: nothing), fixed at entry. */
  skills: CallSkills | null;
  relaxToken: number;
  /** When the call's relax timer is due (ms; meaningful while relaxToken is set). */
  relaxAt: number;
  maxWaitToken: number;
  announceToken: number;
  widenToken: number;
}

/** A call answered through the ACD, until it ends. */
export interface TalkRec {
  tenantId: number;
  agentId: number;
  answeredAt: number;
  book: StatsBook;
  bucket: number;
  wrapupSec: number;
}

/** Everything the engine knows; the functions of routing.ts / lifecycle.ts / config.ts work on it. */
export interface Core {
  now: number;
  random: () => number;
  agents: Map<number, AgentRec>;
  queues: Map<number, QueueRec>;
  calls: Map<string, CallRec>;
  talking: Map<string, TalkRec>;
  vip: Map<number, Set<string>>;
  blacklist: Map<number, Set<string>>;
  timers: TimerHeap;
  out: AcdDecision[];
  counter: number;
}

/** A fresh unique number (call order, idle order, timer tokens). */
export function next(core: Core): number {
  return ++core.counter;
}

/** Arms a timer and returns its token. */
export function arm(core: Core, kind: TimerKind, at: number, callId: string, agentId = 0): number {
  const token = next(core);
  const t: Timer = { at, seq: token, kind, callId, agentId, token };
  core.timers.push(t);
  return token;
}

/** The agent record, created offline on first mention; null when it belongs to another tenant. */
export function agentFor(core: Core, tenantId: number, agentId: number): AgentRec | null {
  let a = core.agents.get(agentId);
  if (!a) {
    a = {
      id: agentId,
      tenantId,
      presence: 'offline',
      engagement: 'idle',
      callId: null,
      offerable: false,
      idleSeq: 0,
      queues: new Map(),
      skills: new Map(),
      misses: 0,
      answered: 0,
      talkMs: 0,
      wrapToken: 0,
      wrap: null,
    };
    core.agents.set(agentId, a);
  }
  return a.tenantId === tenantId ? a : null;
}

/** Recomputes whether the agent can be offered a call and keeps the queue tiers in step. */
export function refreshOfferable(core: Core, a: AgentRec): void {
  const now = a.presence === 'ready' && a.engagement === 'idle';
  if (now === a.offerable) return;
  a.offerable = now;
  if (now) a.idleSeq = next(core);
  for (const [qid, priority] of a.queues) {
    const tier = core.queues.get(qid)?.tierOf.get(priority);
    if (!tier) continue;
    if (now) tier.ready.add(a);
    else tier.ready.delete(a);
  }
}

/** Negative when x goes before y in a queue: higher rank, then earlier place (enteredAt), then arrival order. */
function order(x: CallRec, y: CallRec): number {
  return y.rank - x.rank || x.enteredAt - y.enteredAt || x.seq - y.seq;
}

/** Index of `c` in the queue, or where it would go. */
function search(q: QueueRec, c: CallRec): number {
  let lo = 0;
  let hi = q.queued.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (order(q.queued[mid]!, c) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Puts a call at its place in its queue. */
export function enqueue(c: CallRec): void {
  c.queue.queued.splice(search(c.queue, c), 0, c);
}

/** Takes a call out of its queue. */
export function dequeue(c: CallRec): void {
  const i = search(c.queue, c);
  if (c.queue.queued[i] === c) c.queue.queued.splice(i, 1);
}

/** 1-based position of a call in its queue. */
export function positionOf(c: CallRec): number {
  return search(c.queue, c) + 1;
}

/** How many more agents may ring for this call now. */
export function capacity(c: CallRec): number {
  return c.width - c.ringing.size;
}

/** True when `x` should be served before `y` by an agent who could take either (across queues). */
export function servedBefore(x: CallRec, y: CallRec): boolean {
  if (x.rank !== y.rank) return x.rank > y.rank;
  if (x.enteredAt !== y.enteredAt) return x.enteredAt < y.enteredAt;
  return x.seq < y.seq;
}

/** Strips the formatting people put in phone numbers so lists match what SIP delivers. */
export function normalizeNumber(n: string): string {
  return n.replace(/[\s\-().]/g, '');
}
