// The Acd class: the one object the call engine holds. It owns the state (model.ts), runs due timers
// before each input so decisions always follow the clock, and exposes read-only views for stats.
import type { Clock } from '../clock.js';
import { applyQueueConfig, removeQueue, setAgentSkills, setCallerLists, setPresence } from './config.js';
import { TimerHeap } from './heap.js';
import type { Timer } from './heap.js';
import {
  abandon,
  announce,
  armAnnounce,
  answer,
  ended,
  endWrapupEarly,
  enter,
  entryRefusal,
  liftMaxWait,
  maxWait,
  miss,
  relax,
  release,
  widen,
} from './lifecycle.js';
import type { Core } from './model.js';
import { settle } from './routing.js';
import { toCounters } from './stats.js';
import type {
  AcdDecision,
  AcdInput,
  AgentView,
  QueueCounters,
  QueueStats,
  RejectReason,
  WaitingCall,
} from './types.js';

/** Options of the engine; `random` feeds the random strategy (defaults to Math.random). */
export interface AcdOptions {
  random?: () => number;
}

/** The routing engine: feed it inputs, carry out the decisions it returns, call tick() at nextDeadline(). */
export class Acd {
  private readonly core: Core;

  constructor(
    private readonly clock: Clock,
    opts: AcdOptions = {},
  ) {
    this.core = {
      now: clock.now(),
      random: opts.random ?? Math.random,
      agents: new Map(),
      queues: new Map(),
      calls: new Map(),
      talking: new Map(),
      vip: new Map(),
      blacklist: new Map(),
      timers: new TimerHeap(),
      out: [],
      counter: 0,
    };
  }

  /** Fires due timers, then applies one input; returns the decisions to carry out, in order. */
  handle(input: AcdInput): AcdDecision[] {
    const core = this.begin();
    this.fireDue();
    switch (input.type) {
      case 'queue_config':
        applyQueueConfig(core, input.queue);
        break;
      case 'queue_removed':
        removeQueue(core, input.queueId);
        break;
      case 'caller_lists':
        setCallerLists(core, input.tenantId, input.vip, input.blacklist);
        break;
      case 'agent_availability':
        setPresence(core, input);
        break;
      case 'agent_skills':
        setAgentSkills(core, input);
        break;
      case 'call_entered':
        enter(core, input);
        break;
      case 'max_wait_lifted':
        liftMaxWait(core, input.callId);
        break;
      case 'call_abandoned':
        abandon(core, input.callId);
        break;
      case 'agent_answered':
        answer(core, input.callId, input.agentId);
        break;
      case 'agent_rejected':
      case 'agent_no_answer':
        miss(core, input.callId, input.agentId, false);
        break;
      case 'call_ended':
        ended(core, input.callId);
        break;
      case 'wrapup_ended':
        endWrapupEarly(core, input.agentId);
        break;
    }
    return this.end();
  }

  /** Fires every timer due at clock.now() (ring timeouts, max wait, wrap-up end, announcements). */
  tick(): AcdDecision[] {
    this.begin();
    this.fireDue();
    return this.end();
  }

  /** When tick() next has work to do (ms since epoch), or null when no timer is pending. */
  nextDeadline(): number | null {
    const timers = this.core.timers;
    for (let t = timers.peek(); t; t = timers.peek()) {
      if (this.isLive(t)) return t.at;
      timers.pop();
    }
    return null;
  }

  /**
   * Why `queueId` would turn a caller away if they entered now (closed, nobody logged in, …), or null when it takes
   * them: a transfer checks this before it releases the agent who has the caller. Read-only.
   */
  entryRefusal(tenantId: number, queueId: number, callerNumber: string): RejectReason | null {
    return entryRefusal(this.core, tenantId, queueId, callerNumber);
  }

  /** Live statistics of one queue, or null if the queue is unknown. */
  queueStats(queueId: number): QueueStats | null {
    const q = this.core.queues.get(queueId);
    if (!q) return null;
    const now = this.clock.now();
    let ringing = 0;
    for (const c of q.queued) if (c.ringing.size > 0) ringing++;
    const oldest = q.queued.reduce((m, c) => Math.min(m, c.enteredAt), now);
    let available = 0;
    for (const tier of q.tiers) available += tier.ready.size;
    let talking = 0;
    for (const id of q.memberIndex.keys()) if (this.core.agents.get(id)?.engagement === 'talking') talking++;
    return {
      ...toCounters(q.stats.totals),
      queueId,
      tenantId: q.tenantId,
      waiting: q.queued.length,
      ringing,
      longestWaitingSec: Math.floor((now - oldest) / 1000),
      members: q.memberIndex.size,
      loggedIn: q.loggedIn,
      available,
      talking,
    };
  }

  /** Counters of the calls that entered the queue in [from, to) (ms), minute granularity, last 24 h. */
  intervalStats(queueId: number, from: number, to: number): QueueCounters | null {
    const q = this.core.queues.get(queueId);
    return q ? toCounters(q.stats.interval(from, to)) : null;
  }

  /** Calls of the queue not yet answered, in queue order. */
  waitingCalls(queueId: number): WaitingCall[] {
    const q = this.core.queues.get(queueId);
    if (!q) return [];
    const now = this.clock.now();
    return q.queued.map((c, i) => ({
      callId: c.id,
      callerNumber: c.callerNumber,
      enteredAt: c.enteredAt,
      waitSec: Math.floor((now - c.enteredAt) / 1000),
      position: i + 1,
      vip: c.vip,
      priority: c.priority,
      ringingAgentIds: [...c.ringing.keys()],
    }));
  }

  /** What the ACD knows about an agent, or null if it never heard of them. */
  agentState(agentId: number): AgentView | null {
    const a = this.core.agents.get(agentId);
    if (!a) return null;
    return {
      agentId,
      tenantId: a.tenantId,
      presence: a.presence,
      engagement: a.engagement,
      callId: a.callId,
      offerable: a.offerable,
      queueIds: [...a.queues.keys()],
      skills: [...a.skills].map(([skillId, proficiency]) => ({ skillId, proficiency })),
      consecutiveMisses: a.misses,
      callsAnswered: a.answered,
      talkSec: Math.round(a.talkMs / 1000),
    };
  }

  private begin(): Core {
    this.core.out = [];
    this.core.now = this.clock.now();
    return this.core;
  }

  private end(): AcdDecision[] {
    const out = this.core.out;
    this.core.out = [];
    return out;
  }

  private fireDue(): void {
    const { timers, now } = this.core;
    for (let t = timers.peek(); t && t.at <= now; t = timers.peek()) {
      timers.pop();
      if (this.isLive(t)) this.fire(t);
    }
  }

  private isLive(t: Timer): boolean {
    const core = this.core;
    if (t.kind === 'wrapup') {
      const a = core.agents.get(t.agentId);
      return !!a && a.engagement === 'wrapup' && a.wrapToken === t.token;
    }
    const c = core.calls.get(t.callId);
    if (!c) return false;
    switch (t.kind) {
      case 'ring':
        return c.ringing.get(t.agentId) === t.token;
      case 'max_wait':
        return c.maxWaitToken === t.token;
      case 'announce':
        return c.announceToken === t.token;
      case 'widen':
        return c.widenToken === t.token;
      case 'retry':
        return c.retryToken === t.token;
      case 'relax':
        return c.relaxToken === t.token;
    }
  }

  private fire(t: Timer): void {
    const core = this.core;
    const c = core.calls.get(t.callId);
    switch (t.kind) {
      case 'wrapup':
        return release(core, core.agents.get(t.agentId)!);
      case 'ring':
        return miss(core, t.callId, t.agentId, true);
      case 'max_wait':
        return maxWait(core, c!);
      case 'announce':
        // A caller whose call is ringing an agent is not interrupted; the next interval will tell.
        if (c!.ringing.size === 0) announce(core, c!);
        return armAnnounce(core, c!);
      case 'widen':
        return widen(core, c!);
      case 'retry':
        return settle(core, [], [c!]);
      case 'relax':
        return relax(core, c!);
    }
  }
}
