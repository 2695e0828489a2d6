// Test support for invariants.test.ts: a shadow model that replays the ACD's decisions and fails
// on the first broken invariant of issue 6.
import assert from 'node:assert/strict';
import type { AcdDecision, AgentSelector, Presence, QueueConfig, SkillRequirement } from './types.js';

/** Strategies allowed to ring several agents for one call. */
export const MULTI: readonly (AgentSelector | null)[] = ['ring-all', 'ring-progressively'];

/** What the shadow knows of a call not yet answered. */
export interface ShadowCall {
  queueId: number;
  key: string;
  seq: number;
  ringing: Set<number>;
  offered: boolean;
  enteredAt: number;
  /** The queue's requirements at entry with the branch's added (the branch wins for a skill in both). */
  reqs: SkillRequirement[];
}

/** The minimum a requirement asks for after `waitMs` of waiting (0 = dropped), computed from scratch. */
export function levelAfter(r: SkillRequirement, waitMs: number): number {
  let level = r.minProficiency;
  let reached = -1;
  for (const step of r.relax ?? []) {
    const at = step.afterSec * 1000;
    if (step.afterSec > 0 && at <= waitMs && at >= reached) {
      reached = at;
      level = step.minProficiency;
    }
  }
  return level;
}

/** The requirements of a call: the queue's, replaced skill by skill by the branch's. */
export function mergeReqs(
  queue: SkillRequirement[] = [],
  branch: SkillRequirement[] = [],
): SkillRequirement[] {
  const out = queue.filter((q) => !branch.some((b) => b.skillId === q.skillId));
  return [...out, ...branch];
}

/** The shadow's view of an agent's engagement; `ending` = call_ended sent, wrap-up not yet seen. */
export type Engagement =
  { state: 'idle' } | { state: 'offered' | 'talking' | 'ending' | 'wrapup'; callId: string };

/** Replays decisions and fails on the first broken invariant. */
export class Shadow {
  presence = new Map<number, Presence>();
  eng = new Map<number, Engagement>();
  active = new Map<string, ShadowCall>();
  talking = new Map<string, number>();
  entered = new Set<string>();
  finished = new Map<string, number>();
  /** Agents who missed each call, and when the last miss was (the retry pause runs from it). */
  missed = new Map<string, { agents: Set<number>; at: number }>();
  /** agent → skill → proficiency, as last sent to the ACD. */
  skills = new Map<number, Map<number, number>>();
  seq = 0;
  now = () => 0;

  constructor(
    readonly queues: Map<number, QueueConfig>,
    agents: number[],
  ) {
    for (const a of agents) {
      this.presence.set(a, 'offline');
      this.eng.set(a, { state: 'idle' });
    }
  }

  engOf(a: number): Engagement {
    return this.eng.get(a) ?? { state: 'idle' };
  }

  offerable(a: number): boolean {
    return this.presence.get(a) === 'ready' && this.engOf(a).state === 'idle';
  }

  /** Whether agent `a` holds every requirement of the call at its level now. */
  eligible(c: ShadowCall, a: number): boolean {
    const mine = this.skills.get(a);
    return c.reqs.every((r) => {
      const level = levelAfter(r, this.now() - c.enteredAt);
      return level <= 0 || (mine?.get(r.skillId) ?? 0) >= level;
    });
  }

  /** How well agent `a` matches the call: the sum of their proficiencies in its required skills. */
  score(c: ShadowCall, a: number): number {
    const mine = this.skills.get(a);
    return c.reqs.reduce((n, r) => n + (mine?.get(r.skillId) ?? 0), 0);
  }

  apply(d: AcdDecision): void {
    switch (d.type) {
      case 'offer':
        return this.offer(d.callId, d.agentIds);
      case 'stop_offer': {
        const c = this.active.get(d.callId);
        assert.ok(c, `stop_offer for inactive ${d.callId}`);
        for (const a of d.agentIds) {
          assert.ok(c.ringing.delete(a), `stop_offer: ${a} was not ringing for ${d.callId}`);
          this.eng.set(a, { state: 'idle' });
          if (d.reason === 'timeout') this.miss(d.callId, a);
        }
        return;
      }
      case 'call_finished':
        return this.finish(d.callId, d.outcome, d.agentId);
      case 'agent_wrapup':
        assert.equal(this.engOf(d.agentId).state, 'ending');
        this.eng.set(d.agentId, { state: 'wrapup', callId: d.callId });
        return;
      case 'agent_released':
        assert.ok(['ending', 'wrapup'].includes(this.engOf(d.agentId).state), 'released from wrap-up only');
        this.eng.set(d.agentId, { state: 'idle' });
        return;
      case 'agent_not_ready':
        this.presence.set(d.agentId, 'not_ready');
        return;
      case 'announce':
      case 'overflow':
      case 'reject':
        assert.ok(this.active.has(d.callId), `${d.type} for inactive ${d.callId}`);
        return;
    }
  }

  private offer(callId: string, agentIds: number[]): void {
    const c = this.active.get(callId);
    assert.ok(c, `offer of inactive ${callId}`);
    const q = this.queues.get(c.queueId)!;
    for (const a of agentIds) {
      assert.ok(this.offerable(a), `agent ${a} offered while ${this.presence.get(a)}/${this.engOf(a).state}`);
      assert.ok(
        q.members.some((m) => m.agentId === a),
        `agent ${a} is not a member of ${c.queueId}`,
      );
      assert.ok(this.eligible(c, a), `agent ${a} lacks a skill ${callId} requires now`);
      this.eng.set(a, { state: 'offered', callId });
      c.ringing.add(a);
    }
    if (!MULTI.includes(q.selector))
      assert.ok(c.ringing.size <= 1, `${callId} rings ${c.ringing.size} agents`);
    if (!c.offered) {
      for (const [id, other] of this.active) {
        if (other.queueId === c.queueId && other.key === c.key && other.seq < c.seq && !other.offered) {
          // Skills may hold the earlier call back: it waits only for agents who could not take it anyway.
          const taker = agentIds.find((a) => this.eligible(other, a));
          assert.ok(taker === undefined, `${callId} offered to ${taker} before the earlier ${id}`);
        }
      }
    }
    c.offered = true;
  }

  private finish(callId: string, outcome: string, agentId: number | null): void {
    assert.ok(this.entered.has(callId), `finished ${callId} never entered`);
    this.finished.set(callId, (this.finished.get(callId) ?? 0) + 1);
    assert.equal(this.finished.get(callId), 1, `${callId} finished twice`);
    const c = this.active.get(callId);
    this.active.delete(callId);
    if (outcome !== 'answered') {
      assert.equal(c?.ringing.size ?? 0, 0, `${callId} finished while still ringing`);
      return;
    }
    assert.ok(c && agentId !== null && c.ringing.has(agentId), `${callId} answered by a non-ringing agent`);
    c.ringing.delete(agentId);
    assert.equal(c.ringing.size, 0, 'every other ringing agent was stopped');
    this.eng.set(agentId, { state: 'talking', callId });
    this.talking.set(callId, agentId);
  }

  miss(callId: string, agentId: number): void {
    const m = this.missed.get(callId) ?? { agents: new Set<number>(), at: 0 };
    m.agents.add(agentId);
    m.at = this.now();
    this.missed.set(callId, m);
  }

  /**
   * Nobody offerable sits next to a call nobody is ringing in the same queue, except an agent who
   * missed that call during the retry pause after its last miss.
   */
  checkAtRest(): void {
    for (const [id, c] of this.active) {
      if (c.ringing.size > 0) continue;
      const q = this.queues.get(c.queueId)!;
      const m = this.missed.get(id);
      const pausedUntil = (m?.at ?? 0) + (q.retrySec ?? 5) * 1000;
      const idle = q.members.find(
        (x) =>
          this.offerable(x.agentId) &&
          this.eligible(c, x.agentId) &&
          !(m?.agents.has(x.agentId) && this.now() < pausedUntil),
      );
      assert.ok(!idle, `${id} waits unrung while agent ${idle?.agentId} is free`);
    }
  }
}

/**
 * The agents a call that just entered may be offered first, from what the shadow knows before the input: the
 * eligible offerable members of the best tier that has one, keeping only the highest skill score (ring-all: every
 * eligible offerable member of every tier).
 */
export function firstChoice(s: Shadow, c: ShadowCall, q: QueueConfig): Set<number> {
  const free = q.members.filter((m) => s.offerable(m.agentId) && s.eligible(c, m.agentId));
  if (q.selector === 'ring-all') return new Set(free.map((m) => m.agentId));
  const tier = Math.min(...free.map((m) => m.priority));
  const inTier = free.filter((m) => m.priority === tier);
  const top = Math.max(...inTier.map((m) => s.score(c, m.agentId)));
  return new Set(inTier.filter((m) => s.score(c, m.agentId) === top).map((m) => m.agentId));
}
