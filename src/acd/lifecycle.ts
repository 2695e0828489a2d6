// The life of a call in a queue: entry rules (management types, no agents), answer, misses,
// abandon, max wait, announcements, end of the call and wrap-up.
import { arm, dequeue, enqueue, next, normalizeNumber, positionOf, refreshOfferable } from './model.js';
import type { AgentRec, CallRec, Core, QueueRec } from './model.js';
import { armWiden, settle, withdraw } from './routing.js';
import { compileSkills, nextRelaxAt } from './skills.js';
import type { AcdDecision, AcdInput, CallOutcome, RejectReason } from './types.js';

const VIP_RANK = 1e9;
const MAX_PRIORITY = 1e6;
const DEFAULT_SHORT_ABANDON_SEC = 5;
const DEFAULT_RETRY_SEC = 5;
/** Expected handle time used for announcements until the queue has history. */
const DEFAULT_HANDLE_SEC = 120;

type CallEntered = Extract<AcdInput, { type: 'call_entered' }>;

/** A call joins a queue: refused, diverted, or queued and dispatched. */
export function enter(core: Core, input: CallEntered): void {
  const { callId, tenantId } = input;
  if (core.calls.has(callId) || core.talking.has(callId)) return;
  const q = core.queues.get(input.queueId);
  if (!q || q.tenantId !== tenantId) {
    core.out.push({ type: 'reject', tenantId, callId, reason: 'unknown_queue' });
    core.out.push(finishedDecision(tenantId, callId, input.queueId, 'rejected', null, 0, 'unknown_queue'));
    return;
  }
  const c = newCall(core, q, input);
  const rule = entryRule(core, q, input.callerNumber);
  if (rule.kind === 'refuse') return refuse(core, c, rule.reason);
  if (rule.kind === 'divert') {
    return finish(core, c, 'overflowed', null, 'divert', {
      type: 'overflow',
      tenantId,
      callId,
      target: rule.target,
      reason: 'divert',
    });
  }
  if (rule.kind === 'no_agents') return noAgents(core, c);
  const number = normalizeNumber(input.callerNumber);
  if (q.cfg.managementType === 2 && core.vip.get(tenantId)?.has(number)) {
    c.vip = true;
    c.rank += VIP_RANK;
  }
  enqueue(c);
  core.calls.set(callId, c);
  if (q.cfg.maxWaitSec && !input.noMaxWait)
    c.maxWaitToken = arm(core, 'max_wait', core.now + q.cfg.maxWaitSec * 1000, callId);
  armRelax(core, c);
  settle(core, [], [c]);
  if (q.cfg.announcePosition && core.calls.get(callId) === c) {
    if (c.ringing.size === 0) announce(core, c);
    armAnnounce(core, c);
  }
}

/** What a queue's entry rules do with a caller now (management type, blacklist, logged-in members). */
export type EntryRule =
  | { kind: 'refuse'; reason: RejectReason }
  | { kind: 'divert'; target: string }
  | { kind: 'no_agents' }
  | { kind: 'queue' };

export function entryRule(core: Core, q: QueueRec, callerNumber: string): EntryRule {
  const mt = q.cfg.managementType;
  if (mt === 99) return { kind: 'refuse', reason: 'closed' };
  if (mt === 4) {
    const target = q.cfg.divertTarget;
    return target ? { kind: 'divert', target } : { kind: 'refuse', reason: 'no_target' };
  }
  if (mt === 3 && core.blacklist.get(q.tenantId)?.has(normalizeNumber(callerNumber))) {
    return { kind: 'refuse', reason: 'blacklisted' };
  }
  return q.loggedIn === 0 ? { kind: 'no_agents' } : { kind: 'queue' };
}

/**
 * Why the queue would turn a caller away on entry right now (closed, no divert target, blacklisted, nobody logged
 * in and no overflow target), or null when it takes them (queues, diverts or overflows them by its own rules).
 */
export function entryRefusal(
  core: Core,
  tenantId: number,
  queueId: number,
  callerNumber: string,
): RejectReason | null {
  const q = core.queues.get(queueId);
  if (!q || q.tenantId !== tenantId) return 'unknown_queue';
  const rule = entryRule(core, q, callerNumber);
  if (rule.kind === 'refuse') return rule.reason;
  if (rule.kind === 'no_agents' && !q.cfg.overflowTarget) return 'no_agents';
  return null;
}

function newCall(core: Core, q: QueueRec, input: CallEntered): CallRec {
  const given = Number.isFinite(input.priority) ? Math.trunc(input.priority!) : 0;
  const priority = Math.max(-MAX_PRIORITY, Math.min(MAX_PRIORITY, given));
  return {
    id: input.callId,
    tenantId: input.tenantId,
    queue: q,
    callerNumber: input.callerNumber,
    vip: false,
    priority,
    rank: priority,
    seq: next(core),
    enteredAt: Number.isFinite(input.queuedAt) ? Math.min(input.queuedAt!, core.now) : core.now,
    bucket: q.stats.entered(core.now),
    ringing: new Map(),
    width: q.cfg.selector === 'ring-all' ? Infinity : 1,
    declined: new Set(),
    skills: compileSkills(q.cfg.skills, input.skills, core.now),
    relaxToken: 0,
    relaxAt: 0,
    maxWaitToken: 0,
    announceToken: 0,
    widenToken: 0,
    roundAt: 0,
    retryToken: 0,
  };
}

/** Refuses or hangs up the call with `reason`. */
export function refuse(
  core: Core,
  c: CallRec,
  reason: RejectReason,
  outcome: CallOutcome = 'rejected',
): void {
  finish(core, c, outcome, null, reason, { type: 'reject', tenantId: c.tenantId, callId: c.id, reason });
}

/** No member is logged in: overflow when the queue has a target, otherwise hang up `no_agents`. */
export function noAgents(core: Core, c: CallRec): void {
  const target = c.queue.cfg.overflowTarget;
  if (!target) return refuse(core, c, 'no_agents');
  const exit: AcdDecision = {
    type: 'overflow',
    tenantId: c.tenantId,
    callId: c.id,
    target,
    reason: 'no_agents',
  };
  finish(core, c, 'overflowed', null, 'no_agents', exit);
}

/**
 * Ends the queue visit of `c` exactly once: stops any ringing, carries out `exit` (overflow or
 * reject), records statistics, reports call_finished, then lets the agents it freed take other calls.
 */
export function finish(
  core: Core,
  c: CallRec,
  outcome: CallOutcome,
  agentId: number | null,
  reason?: RejectReason | 'divert',
  exit?: AcdDecision,
): void {
  dequeue(c);
  if (core.calls.get(c.id) === c) core.calls.delete(c.id);
  const others = [...c.ringing.keys()].filter((id) => id !== agentId);
  const freed = withdraw(core, c, others, outcome === 'answered' ? 'answered_elsewhere' : 'call_finished');
  if (exit) core.out.push(exit);
  const waitMs = core.now - c.enteredAt;
  const cfg = c.queue.cfg;
  c.queue.stats.finished(c.bucket, outcome, waitMs, {
    serviceLevelMs: cfg.serviceLevelSec * 1000,
    shortAbandonMs: (cfg.shortAbandonSec ?? DEFAULT_SHORT_ABANDON_SEC) * 1000,
  });
  core.out.push(finishedDecision(c.tenantId, c.id, c.queue.id, outcome, agentId, waitMs, reason));
  settle(core, freed, []);
}

function finishedDecision(
  tenantId: number,
  callId: string,
  queueId: number,
  outcome: CallOutcome,
  agentId: number | null,
  waitMs: number,
  reason?: RejectReason | 'divert',
): AcdDecision {
  return {
    type: 'call_finished',
    tenantId,
    callId,
    queueId,
    outcome,
    agentId,
    waitMs,
    ...(reason ? { reason } : {}),
  };
}

/** An agent ringing for the call picked it up. */
export function answer(core: Core, callId: string, agentId: number): void {
  const c = core.calls.get(callId);
  const a = core.agents.get(agentId);
  if (!c || !a || !c.ringing.has(agentId) || a.callId !== callId) return;
  c.ringing.delete(agentId);
  a.engagement = 'talking';
  a.misses = 0;
  a.answered++;
  const q = c.queue;
  core.talking.set(callId, {
    tenantId: c.tenantId,
    agentId,
    answeredAt: core.now,
    book: q.stats,
    bucket: c.bucket,
    wrapupSec: q.cfg.wrapupSec,
  });
  finish(core, c, 'answered', agentId);
}

/** The agent did not take the offer (rejected, no answer, or the ring timer ran out). */
export function miss(core: Core, callId: string, agentId: number, timedOut: boolean): void {
  const c = core.calls.get(callId);
  if (!c || !c.ringing.has(agentId)) return;
  const [a] = withdraw(core, c, [agentId], 'timeout', timedOut);
  if (!a) return;
  c.declined.add(agentId);
  const retryMs = Math.max(0, c.queue.cfg.retrySec ?? DEFAULT_RETRY_SEC) * 1000;
  c.roundAt = core.now + retryMs;
  // Without a pause, an agent whose phone fails at once would be re-offered the call in a loop.
  if (retryMs > 0) c.retryToken = arm(core, 'retry', c.roundAt, c.id);
  a.misses++;
  const limit = c.queue.cfg.maxNoAnswer;
  if (limit > 0 && a.misses >= limit) {
    a.misses = 0;
    a.presence = 'not_ready';
    refreshOfferable(core, a);
    core.out.push({ type: 'agent_not_ready', tenantId: a.tenantId, agentId, reason: 'no_answer' });
  }
  settle(core, a.offerable ? [a] : [], [c]);
}

/** The caller hung up before an agent answered. */
export function abandon(core: Core, callId: string): void {
  const c = core.calls.get(callId);
  if (c) finish(core, c, 'abandoned', null);
}

/** A call answered through the ACD is over: count the talk, start the agent's wrap-up. */
export function ended(core: Core, callId: string): void {
  const t = core.talking.get(callId);
  if (!t) return;
  core.talking.delete(callId);
  const talkMs = core.now - t.answeredAt;
  t.book.talked(t.bucket, talkMs);
  const a = core.agents.get(t.agentId);
  if (!a || a.callId !== callId) return;
  a.talkMs += talkMs;
  a.wrap = { book: t.book, bucket: t.bucket, talkMs, startedAt: core.now };
  a.engagement = 'wrapup';
  if (t.wrapupSec <= 0) return release(core, a);
  const endsAt = core.now + t.wrapupSec * 1000;
  a.wrapToken = arm(core, 'wrapup', endsAt, callId, a.id);
  core.out.push({ type: 'agent_wrapup', tenantId: a.tenantId, agentId: a.id, callId, endsAt });
}

/** Wrap-up is over (timer or early end): the agent may take calls again. */
export function release(core: Core, a: AgentRec): void {
  if (a.engagement !== 'wrapup') return;
  if (a.wrap) a.wrap.book.handled(a.wrap.bucket, a.wrap.talkMs + (core.now - a.wrap.startedAt));
  a.wrap = null;
  a.wrapToken = 0;
  a.engagement = 'idle';
  a.callId = null;
  refreshOfferable(core, a);
  core.out.push({ type: 'agent_released', tenantId: a.tenantId, agentId: a.id });
  settle(core, [a], []);
}

/** The call became a queued callback: its max-wait timer is disarmed (a timer fires only with its live token). */
export function liftMaxWait(core: Core, callId: string): void {
  const c = core.calls.get(callId);
  if (c) c.maxWaitToken = 0;
}

/** Max wait reached: overflow when the queue has a target, otherwise hang up `max_wait`. */
export function maxWait(core: Core, c: CallRec): void {
  const target = c.queue.cfg.overflowTarget;
  if (!target) return refuse(core, c, 'max_wait', 'timed_out');
  const exit: AcdDecision = {
    type: 'overflow',
    tenantId: c.tenantId,
    callId: c.id,
    target,
    reason: 'max_wait',
  };
  finish(core, c, 'overflowed', null, 'max_wait', exit);
}

/** Tells the caller their position and an estimate of the wait. */
export function announce(core: Core, c: CallRec): void {
  const q = c.queue;
  const t = q.stats.totals;
  const handleSec = t.handleCount > 0 ? t.handleSumMs / t.handleCount / 1000 : DEFAULT_HANDLE_SEC;
  const position = positionOf(c);
  const expectedWaitSec = Math.ceil((position * handleSec) / Math.max(1, q.loggedIn));
  core.out.push({ type: 'announce', tenantId: c.tenantId, callId: c.id, position, expectedWaitSec });
}

/** Arms the next position announcement of `c`. */
export function armAnnounce(core: Core, c: CallRec): void {
  // An interval of 0 means "announce on entry only".
  if (c.queue.cfg.announceIntervalSec <= 0) return;
  const every = c.queue.cfg.announceIntervalSec;
  c.announceToken = arm(core, 'announce', core.now + every * 1000, c.id);
}

/** Arms the timer of the call's next requirement step, if it has one. */
export function armRelax(core: Core, c: CallRec): void {
  const at = c.skills ? nextRelaxAt(c.skills, core.now) : null;
  c.relaxAt = at ?? 0;
  c.relaxToken = at === null ? 0 : arm(core, 'relax', at, c.id);
}

/**
 * A requirement of `c` relaxed: more agents may take it. Calls ahead of it in its queue whose own step falls due
 * at this very moment (their timers have not fired yet) are dispatched first, in queue order; the others' minimums
 * have not changed since the queue was last at rest.
 */
export function relax(core: Core, c: CallRec): void {
  const due: CallRec[] = [];
  for (const x of c.queue.queued) {
    if (x === c) break;
    if (x.relaxToken !== 0 && x.relaxAt <= core.now) due.push(x);
  }
  due.push(c);
  settle(core, [], due);
  if (core.calls.get(c.id) === c) armRelax(core, c);
}

/** ring-progressively: one more agent may ring for the call. */
export function widen(core: Core, c: CallRec): void {
  if (c.queue.cfg.selector !== 'ring-progressively') {
    c.widenToken = 0; // re-armed by the next offer if the queue goes back to ring-progressively
    return;
  }
  c.width++;
  if (c.width < c.queue.memberIndex.size) armWiden(core, c);
  settle(core, [], [c]);
}

/** The agent (never mind why) is in wrap-up for a call and asks to end it now. */
export function endWrapupEarly(core: Core, agentId: number): void {
  const a = core.agents.get(agentId);
  if (a && a.engagement === 'wrapup') release(core, a);
}
