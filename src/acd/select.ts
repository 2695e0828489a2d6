// Agent selection: which offerable members of a queue get the call, per the queue's strategy.
// Every strategy with an order looks at the best priority tier that has an eligible agent before
// any other tier; within a tier each strategy breaks ties by idle order (the Set order).
import type { AgentRec, CallRec, Core, QueueRec } from './model.js';
import type { AgentSelector } from './types.js';

/** The default strategy when a queue has none configured. */
export const DEFAULT_SELECTOR: AgentSelector = 'longest-idle';

/**
 * Up to `n` agents to offer `c` to. With `strict`, agents who declined the call this round are
 * skipped; without it they are eligible again (the caller starts a new round).
 */
export function pickAgents(core: Core, c: CallRec, n: number, strict: boolean): AgentRec[] {
  const q = c.queue;
  const eligible = (a: AgentRec) => !(strict && c.declined.has(a.id));
  const selector = q.cfg.selector ?? DEFAULT_SELECTOR;
  switch (selector) {
    case 'ring-all':
      return inOrder(q, eligible, Infinity);
    case 'ring-progressively':
    case 'longest-idle':
      return inOrder(q, eligible, n);
    case 'top-down':
      return best(q, eligible, (a) => q.memberIndex.get(a.id) ?? 0);
    case 'round-robin':
      return roundRobin(q, eligible);
    case 'fewest-calls':
      return best(q, eligible, (a) => a.answered);
    case 'least-talk-time':
      return best(q, eligible, (a) => a.talkMs);
    case 'random':
      return random(core, q, eligible);
  }
}

/** The first `n` eligible agents, tier by tier, each tier in idle order. */
function inOrder(q: QueueRec, eligible: (a: AgentRec) => boolean, n: number): AgentRec[] {
  const out: AgentRec[] = [];
  for (const tier of q.tiers) {
    for (const a of tier.ready) {
      if (out.length >= n) return out;
      if (eligible(a)) out.push(a);
    }
  }
  return out;
}

/** The eligible agent of the best tier with the lowest score (first in idle order on ties). */
function best(q: QueueRec, eligible: (a: AgentRec) => boolean, score: (a: AgentRec) => number): AgentRec[] {
  for (const tier of q.tiers) {
    let pick: AgentRec | null = null;
    let low = Infinity;
    for (const a of tier.ready) {
      if (!eligible(a)) continue;
      const s = score(a);
      if (s < low) {
        low = s;
        pick = a;
      }
    }
    if (pick) return [pick];
  }
  return [];
}

/** The next eligible member after the last one offered, in member-list order, best tier first. */
function roundRobin(q: QueueRec, eligible: (a: AgentRec) => boolean): AgentRec[] {
  const size = Math.max(1, q.memberIndex.size);
  return best(q, eligible, (a) => {
    const idx = q.memberIndex.get(a.id) ?? 0;
    return (((idx - q.rrLast - 1) % size) + size) % size;
  });
}

/** A uniformly random eligible agent of the best tier that has one. */
function random(core: Core, q: QueueRec, eligible: (a: AgentRec) => boolean): AgentRec[] {
  for (const tier of q.tiers) {
    const pool: AgentRec[] = [];
    for (const a of tier.ready) if (eligible(a)) pool.push(a);
    if (pool.length > 0) {
      const i = Math.min(pool.length - 1, Math.floor(core.random() * pool.length));
      return [pool[i]!];
    }
  }
  return [];
}
