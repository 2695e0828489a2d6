// Matching calls with agents. The engine keeps one invariant between inputs ("at rest"): no queue
// has a call that can take another agent and an offerable member who has not declined it. Every
// change that can break it (an agent freed, a call returned or widened) ends with `settle`, which
// only ever creates offers, so it cannot cascade.
import { arm, capacity, servedBefore, refreshOfferable } from './model.js';
import type { AgentRec, CallRec, Core, QueueRec } from './model.js';
import { pickAgents, skillsAdmit } from './select.js';
import type { StopReason } from './types.js';

const DEFAULT_PROGRESSIVE_STEP_SEC = 10;

/** Restores the at-rest invariant after `agents` became offerable and/or `calls` can take agents. */
export function settle(core: Core, agents: readonly AgentRec[], calls: readonly CallRec[]): void {
  // Freed agents first pick among calls they have not declined (longest waiting across their
  // queues), then returned calls pick among agents, and only then may an agent retake a call it
  // declined: a declined call goes to someone else whenever someone else is free.
  for (const a of agents) dispatchAgent(core, a, true);
  for (const c of calls) if (core.calls.get(c.id) === c) dispatchCall(core, c);
  for (const a of agents) dispatchAgent(core, a, false);
}

/** Every call of the queue, best first, gets the agents it can take. */
export function settleQueue(core: Core, q: QueueRec): void {
  settle(core, [], [...q.queued]);
}

function dispatchCall(core: Core, c: CallRec): void {
  const want = capacity(c);
  if (want <= 0) return;
  let picks = pickAgents(core, c, want, true);
  if (picks.length === 0 && newRound(core, c)) {
    picks = pickAgents(core, c, want, false);
    if (picks.length > 0) c.declined.clear();
  }
  if (picks.length > 0) offer(core, c, picks);
}

function dispatchAgent(core: Core, a: AgentRec, strict: boolean): void {
  if (!a.offerable) return;
  let best: CallRec | null = null;
  for (const qid of a.queues.keys()) {
    const q = core.queues.get(qid);
    const c = q ? firstCandidate(core, q, a, strict) : null;
    if (c && (!best || servedBefore(c, best))) best = c;
  }
  if (!best) return;
  if (best.declined.has(a.id)) best.declined.clear();
  offer(core, best, [a]);
}

/** The first call of the queue this agent may be offered (skills permitting). */
function firstCandidate(core: Core, q: QueueRec, a: AgentRec, strict: boolean): CallRec | null {
  for (const c of q.queued) {
    if (capacity(c) <= 0) continue;
    if (c.declined.has(a.id) && (strict || !newRound(core, c))) continue;
    if (skillsAdmit(core, c, a)) return c;
  }
  return null;
}

/** May agents who declined `c` be rung for it again: nobody rings it and the retry pause is over. */
function newRound(core: Core, c: CallRec): boolean {
  return c.ringing.size === 0 && core.now >= c.roundAt;
}

/** Starts ringing `agents` for `c`. */
export function offer(core: Core, c: CallRec, agents: readonly AgentRec[]): void {
  const q = c.queue;
  const ringSec = Math.max(1, q.cfg.ringTimeoutSec);
  for (const a of agents) {
    a.engagement = 'offered';
    a.callId = c.id;
    refreshOfferable(core, a);
    c.ringing.set(a.id, arm(core, 'ring', core.now + ringSec * 1000, c.id, a.id));
    q.rrLast = q.memberIndex.get(a.id) ?? q.rrLast;
  }
  if (q.cfg.selector === 'ring-progressively' && c.widenToken === 0) armWiden(core, c);
  core.out.push({
    type: 'offer',
    tenantId: c.tenantId,
    callId: c.id,
    queueId: q.id,
    agentIds: agents.map((a) => a.id),
    ringTimeoutSec: ringSec,
  });
}

/** Arms the next ring-progressively step of `c`. */
export function armWiden(core: Core, c: CallRec): void {
  const step = Math.max(1, c.queue.cfg.progressiveStepSec ?? DEFAULT_PROGRESSIVE_STEP_SEC);
  c.widenToken = arm(core, 'widen', core.now + step * 1000, c.id);
}

/** Stops ringing `agentIds` for `c` and frees them; `emit` tells the call engine (not needed when it told us). */
export function withdraw(
  core: Core,
  c: CallRec,
  agentIds: readonly number[],
  reason: StopReason,
  emit = true,
): AgentRec[] {
  const freed: AgentRec[] = [];
  for (const id of agentIds) {
    if (!c.ringing.delete(id)) continue;
    const a = core.agents.get(id);
    if (!a || a.callId !== c.id || a.engagement !== 'offered') continue;
    a.engagement = 'idle';
    a.callId = null;
    refreshOfferable(core, a);
    freed.push(a);
  }
  if (emit && freed.length > 0) {
    core.out.push({
      type: 'stop_offer',
      tenantId: c.tenantId,
      callId: c.id,
      agentIds: freed.map((a) => a.id),
      reason,
    });
  }
  return freed;
}
