// Inputs that change the world around calls: queue configuration and membership, agent presence,
// the tenants' VIP lists and blacklists.
import { noAgents, refuse } from './lifecycle.js';
import { agentFor, normalizeNumber, refreshOfferable } from './model.js';
import type { AgentRec, Core, QueueRec, Tier } from './model.js';
import { settle, settleQueue, withdraw } from './routing.js';
import { skillMap } from './skills.js';
import { StatsBook } from './stats.js';
import type { AcdInput, QueueConfig } from './types.js';

/** Creates or replaces one queue's configuration and membership. */
export function applyQueueConfig(core: Core, cfg: QueueConfig): void {
  let q = core.queues.get(cfg.id);
  if (q && q.tenantId !== cfg.tenantId) return;
  if (!q) {
    q = {
      id: cfg.id,
      tenantId: cfg.tenantId,
      cfg,
      memberIndex: new Map(),
      tiers: [],
      tierOf: new Map(),
      queued: [],
      loggedIn: 0,
      rrLast: -1,
      stats: new StatsBook(),
    };
    core.queues.set(cfg.id, q);
  }
  detachMembers(core, q);
  q.cfg = cfg;
  attachMembers(core, q);
  // Calls already waiting follow the new strategy's ring width; agents already ringing keep ringing.
  for (const c of q.queued) {
    if (cfg.selector === 'ring-all') c.width = Infinity;
    else if (cfg.selector !== 'ring-progressively' || c.width === Infinity) c.width = 1;
  }
  if (q.loggedIn === 0) evictAll(core, q);
  else settleQueue(core, q);
}

/** The queue is gone: its members leave it and its unanswered calls are hung up `queue_removed`. */
export function removeQueue(core: Core, queueId: number): void {
  const q = core.queues.get(queueId);
  if (!q) return;
  // Detach first so agents freed by the hang-ups are not offered this queue's other calls.
  detachMembers(core, q);
  for (const c of [...q.queued]) refuse(core, c, 'queue_removed');
  core.queues.delete(queueId);
}

function detachMembers(core: Core, q: QueueRec): void {
  for (const id of q.memberIndex.keys()) core.agents.get(id)?.queues.delete(q.id);
  q.memberIndex.clear();
  q.tiers = [];
  q.tierOf.clear();
  q.loggedIn = 0;
}

function attachMembers(core: Core, q: QueueRec): void {
  const ready: AgentRec[] = [];
  for (const m of q.cfg.members) {
    if (q.memberIndex.has(m.agentId)) continue;
    const a = agentFor(core, q.tenantId, m.agentId);
    if (!a) continue;
    const priority = Number.isFinite(m.priority) ? m.priority : 0;
    q.memberIndex.set(a.id, q.memberIndex.size);
    a.queues.set(q.id, priority);
    if (!q.tierOf.has(priority)) {
      const tier: Tier = { priority, ready: new Set() };
      q.tierOf.set(priority, tier);
      q.tiers.push(tier);
    }
    if (a.presence !== 'offline') q.loggedIn++;
    if (a.offerable) ready.push(a);
  }
  q.tiers.sort((x, y) => x.priority - y.priority);
  // Tier Sets must stay in idle order for longest-idle to be their first element.
  ready.sort((x, y) => x.idleSeq - y.idleSeq);
  for (const a of ready) q.tierOf.get(a.queues.get(q.id)!)!.ready.add(a);
}

/** Every unanswered call of a queue without logged-in members leaves it (overflow or no_agents). */
function evictAll(core: Core, q: QueueRec): void {
  for (const c of [...q.queued]) noAgents(core, c);
}

type Availability = Extract<AcdInput, { type: 'agent_availability' }>;

/** Applies the agent's presence from the status model. */
export function setPresence(core: Core, input: Availability): void {
  const a = agentFor(core, input.tenantId, input.agentId);
  if (!a) return;
  const p = input.presence;
  // Ringing / In-call / Wrap-up of a call the ACD routed are the platform echoing the ACD's own state.
  if ((p === 'ringing' || p === 'in_call' || p === 'wrapup') && a.engagement !== 'idle') return;
  const wasIn = a.presence !== 'offline';
  const isIn = p !== 'offline';
  a.presence = p;
  if (wasIn !== isIn) {
    for (const qid of a.queues.keys()) {
      const q = core.queues.get(qid);
      if (q) q.loggedIn += isIn ? 1 : -1;
    }
  }
  refreshOfferable(core, a);
  if (a.engagement === 'offered' && p !== 'ready' && a.callId) {
    const c = core.calls.get(a.callId);
    if (c) {
      withdraw(core, c, [a.id], 'agent_unavailable');
      settle(core, [], [c]);
    }
  }
  if (wasIn && !isIn) {
    for (const qid of a.queues.keys()) {
      const q = core.queues.get(qid);
      if (q && q.loggedIn === 0) evictAll(core, q);
    }
  }
  if (a.offerable) settle(core, [a], []);
}

/** Replaces a tenant's VIP list and blacklist; calls already waiting keep their rank. */
export function setCallerLists(core: Core, tenantId: number, vip: string[], blacklist: string[]): void {
  core.vip.set(tenantId, new Set(vip.map(normalizeNumber)));
  core.blacklist.set(tenantId, new Set(blacklist.map(normalizeNumber)));
}

type AgentSkills = Extract<AcdInput, { type: 'agent_skills' }>;

/** Replaces the agent's skills; calls waiting for a skill they now hold are offered to them. */
export function setAgentSkills(core: Core, input: AgentSkills): void {
  const a = agentFor(core, input.tenantId, input.agentId);
  if (!a) return;
  // An agent ringing for a call keeps ringing: like a changed queue, new skills apply to the next offer.
  a.skills = skillMap(input.skills);
  if (a.offerable) settle(core, [a], []);
}
