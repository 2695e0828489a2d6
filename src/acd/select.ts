// Agent selection: which offerable members of a queue get the call, per the queue's strategy.
// Every strategy with an order looks at the best priority tier that has an eligible agent before
// any other tier; within a tier a call with skill requirements prefers the higher skill score
// (skills.ts), then each strategy decides among equal scores, and ties go by idle order (the Set order).
import type { AgentRec, CallRec, Core, QueueRec } from './model.js';
import { type CallSkills, qualifies, refresh, skillScore } from './skills.js';
import type { AgentSelector } from './types.js';

/** The default strategy when a queue has none configured. */
export const DEFAULT_SELECTOR: AgentSelector = 'longest-idle';

type Eligible = (a: AgentRec) => boolean;
/** The skill score of an agent for the call (higher first), or null when the call requires no skill. */
type Rank = ((a: AgentRec) => number) | null;

/**
 * Up to `n` agents to offer `c` to. With `strict`, agents who declined the call this round are
 * skipped; without it they are eligible again (the caller starts a new round). Agents who lack a
 * required skill at its current (relaxed) minimum are never eligible.
 */
export function pickAgents(core: Core, c: CallRec, n: number, strict: boolean): AgentRec[] {
  const q = c.queue;
  const cs = c.skills;
  if (cs) refresh(cs, core.now);
  const eligible = eligibleFor(c, cs, strict);
  const rank: Rank = cs ? (a) => skillScore(cs, a) : null;
  const top = cs?.maxScore ?? 0;
  const selector = q.cfg.selector ?? DEFAULT_SELECTOR;
  switch (selector) {
    case 'ring-all':
      return inOrder(q, eligible, Infinity, null, top);
    case 'ring-progressively':
    case 'longest-idle':
      return inOrder(q, eligible, n, rank, top);
    case 'top-down':
      return best(q, eligible, rank, (a) => q.memberIndex.get(a.id) ?? 0);
    case 'round-robin':
      return roundRobin(q, eligible, rank);
    case 'fewest-calls':
      return best(q, eligible, rank, (a) => a.answered);
    case 'least-talk-time':
      return best(q, eligible, rank, (a) => a.talkMs);
    case 'random':
      return random(core, q, eligible, rank);
  }
}

function eligibleFor(c: CallRec, cs: CallSkills | null, strict: boolean): Eligible {
  if (!cs) return strict ? (a) => !c.declined.has(a.id) : () => true;
  return strict ? (a) => !c.declined.has(a.id) && qualifies(cs, a) : (a) => qualifies(cs, a);
}

/** Whether agent `a` may be offered call `c` as far as skills go (now). */
export function skillsAdmit(core: Core, c: CallRec, a: AgentRec): boolean {
  const cs = c.skills;
  if (!cs) return true;
  refresh(cs, core.now);
  return qualifies(cs, a);
}

/**
 * The first `n` eligible agents, tier by tier; within a tier by skill score (higher first) and then
 * idle order. One agent is a linear scan that stops at a perfect score; several are sorted.
 */
function inOrder(q: QueueRec, eligible: Eligible, n: number, rank: Rank, top: number): AgentRec[] {
  const out: AgentRec[] = [];
  for (const tier of q.tiers) {
    if (out.length >= n) return out;
    if (!rank) {
      for (const a of tier.ready) {
        if (out.length >= n) return out;
        if (eligible(a)) out.push(a);
      }
    } else if (n - out.length === 1) {
      const pick = bestScored(tier.ready, eligible, rank, top);
      if (pick) out.push(pick);
    } else {
      const scored: [AgentRec, number][] = [];
      for (const a of tier.ready) if (eligible(a)) scored.push([a, rank(a)]);
      // Array.prototype.sort is stable: equal scores keep idle order.
      scored.sort((x, y) => y[1] - x[1]);
      for (const [a] of scored) {
        if (out.length >= n) return out;
        out.push(a);
      }
    }
  }
  return out;
}

/** The eligible agent with the highest score, first in idle order on ties. */
function bestScored(ready: Set<AgentRec>, eligible: Eligible, rank: (a: AgentRec) => number, top: number) {
  let pick: AgentRec | null = null;
  let high = -1;
  for (const a of ready) {
    if (!eligible(a)) continue;
    const s = rank(a);
    if (s > high) {
      high = s;
      pick = a;
      if (s >= top) break;
    }
  }
  return pick;
}

/**
 * The eligible agent of the best tier with the highest skill score, then the lowest strategy score
 * (first in idle order on ties).
 */
function best(q: QueueRec, eligible: Eligible, rank: Rank, score: (a: AgentRec) => number): AgentRec[] {
  for (const tier of q.tiers) {
    let pick: AgentRec | null = null;
    let high = -1;
    let low = Infinity;
    for (const a of tier.ready) {
      if (!eligible(a)) continue;
      const r = rank ? rank(a) : 0;
      if (r < high) continue;
      const s = score(a);
      if (r > high || s < low) {
        high = r;
        low = s;
        pick = a;
      }
    }
    if (pick) return [pick];
  }
  return [];
}

/** The next eligible member after the last one offered, in member-list order, best tier first. */
function roundRobin(q: QueueRec, eligible: Eligible, rank: Rank): AgentRec[] {
  const size = Math.max(1, q.memberIndex.size);
  return best(q, eligible, rank, (a) => {
    const idx = q.memberIndex.get(a.id) ?? 0;
    return (((idx - q.rrLast - 1) % size) + size) % size;
  });
}

/** A uniformly random eligible agent among the highest skill score of the best tier that has one. */
function random(core: Core, q: QueueRec, eligible: Eligible, rank: Rank): AgentRec[] {
  for (const tier of q.tiers) {
    let pool: AgentRec[] = [];
    let high = -1;
    for (const a of tier.ready) {
      if (!eligible(a)) continue;
      const r = rank ? rank(a) : 0;
      if (r > high) {
        high = r;
        pool = [a];
      } else if (r === high) pool.push(a);
    }
    if (pool.length > 0) {
      const i = Math.min(pool.length - 1, Math.floor(core.random() * pool.length));
      return [pool[i]!];
    }
  }
  return [];
}
