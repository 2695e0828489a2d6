// Public types of the ACD: what the call engine feeds it (AcdInput) and what it answers (AcdDecision).
// Everything here is plain data so the engine stays pure and the call engine can log or replay it.
import type { AgentSelector } from '../domain/queues.js';
import type { Presence } from '../domain/statuses.js';

export type { AgentSelector, Presence };

/** AloHub management types (`strategy` on the wire): 1 normal, 2 VIP, 3 blacklist, 4 divert, 99 locked. */
export type ManagementType = 1 | 2 | 3 | 4 | 99;

/** One member of an inbound queue; a lower `priority` number is offered first (1 before 2). */
export interface QueueMember {
  agentId: number;
  priority: number;
}

/** One step of a requirement's relaxation: once the caller has waited `afterSec`, the minimum becomes `minProficiency`. */
export interface RelaxStep {
  afterSec: number;
  /** 0 drops the requirement (anyone may take the call as far as this skill goes). */
  minProficiency: number;
}

/**
 * A skill a call needs: agents with `skillId` at `minProficiency` (1–5) or more are eligible. `relax` lowers the
 * minimum (or drops it, 0) in steps as the caller waits, TaskRouter/Genesys style; steps apply in `afterSec` order.
 */
export interface SkillRequirement {
  skillId: number;
  minProficiency: number;
  relax?: RelaxStep[];
}

/** An agent's proficiency (1–5) in one skill. */
export interface AgentSkill {
  skillId: number;
  proficiency: number;
}

/** The full configuration of one inbound queue, as the ACD needs it. Ids are database ids (unique across tenants). */
export interface QueueConfig {
  id: number;
  tenantId: number;
  managementType: ManagementType;
  /** null selects the default, longest-idle. */
  selector: AgentSelector | null;
  /** Longest a caller may wait before overflow or hang-up; null or 0 = no limit. */
  maxWaitSec: number | null;
  announcePosition: boolean;
  announceIntervalSec: number;
  /** Wrap-up after each call answered from this queue; 0 = none. */
  wrapupSec: number;
  /** How long one agent rings before the offer is withdrawn and counted as a no-answer. */
  ringTimeoutSec: number;
  /** Consecutive misses (no-answer or reject) before the agent is made not ready; 0 = never. */
  maxNoAnswer: number;
  /** Service level threshold T: answered within T seconds. */
  serviceLevelSec: number;
  /** Abandons within this many seconds are also counted as `abandonedShort` (default 5). */
  shortAbandonSec?: number;
  /** Pause before agents who all missed a call are rung for it again (default 5; 0 = at once). */
  retrySec?: number;
  /** ring-progressively: one more agent is added to the ring every this many seconds (default 10). */
  progressiveStepSec?: number;
  overflowTarget: string | null;
  divertTarget: string | null;
  members: QueueMember[];
  /** Skills every call of the queue requires (a call takes the queue's list at entry; docs/acd.md, Skills). */
  skills?: SkillRequirement[];
}

/** Why a call is refused or hung up by the ACD. */
export type RejectReason =
  'blacklisted' | 'closed' | 'no_agents' | 'max_wait' | 'unknown_queue' | 'queue_removed' | 'no_target';

/** How one queue visit of a call ended. Every call that entered ends exactly once. */
export type CallOutcome = 'answered' | 'abandoned' | 'overflowed' | 'timed_out' | 'rejected';

/** Why an offer is withdrawn from agents. */
export type StopReason = 'answered_elsewhere' | 'timeout' | 'call_finished' | 'agent_unavailable';

/** Events the call engine and the status model feed into the ACD. */
export type AcdInput =
  | { type: 'queue_config'; queue: QueueConfig }
  | { type: 'queue_removed'; queueId: number }
  | { type: 'caller_lists'; tenantId: number; vip: string[]; blacklist: string[] }
  /** The agent's presence from the status model (presenceOf); ringing/in_call/wrapup echoes of ACD calls are ignored. */
  | { type: 'agent_availability'; tenantId: number; agentId: number; presence: Presence }
  /** The agent's whole skill list (replaces the previous one). */
  | { type: 'agent_skills'; tenantId: number; agentId: number; skills: AgentSkill[] }
  | {
      type: 'call_entered';
      callId: string;
      tenantId: number;
      queueId: number;
      callerNumber: string;
      priority?: number;
      /** A queued callback (docs/ivr.md): the queue's max wait does not apply to it. */
      noMaxWait?: boolean;
      /**
       * When the caller took their place, if before now (a queued callback put back after a restart): the call
       * goes before every call of its rank that entered later, and its reported wait counts from it. Timers (max
       * wait, announcements, skill relaxation) still run from now. Clamped to now.
       */
      queuedAt?: number;
      /** Requirements added by the way the caller came (an IVR menu branch); a skill the queue also requires takes this one. */
      skills?: SkillRequirement[];
    }
  /** A waiting caller's place became a queued callback: the queue's max wait no longer applies to it. */
  | { type: 'max_wait_lifted'; callId: string }
  /** The caller hung up while waiting or ringing. */
  | { type: 'call_abandoned'; callId: string }
  | { type: 'agent_answered'; callId: string; agentId: number }
  | { type: 'agent_rejected'; callId: string; agentId: number }
  | { type: 'agent_no_answer'; callId: string; agentId: number }
  /** A call answered through the ACD finished; the agent enters the queue's wrap-up. */
  | { type: 'call_ended'; callId: string }
  /** The agent ends wrap-up early. */
  | { type: 'wrapup_ended'; agentId: number };

/** What the call engine must carry out, in order. */
export type AcdDecision =
  /** Start ringing these agents for this call (added to any agents already ringing for it). */
  | {
      type: 'offer';
      tenantId: number;
      callId: string;
      queueId: number;
      agentIds: number[];
      ringTimeoutSec: number;
    }
  /** Stop ringing these agents for this call. */
  | { type: 'stop_offer'; tenantId: number; callId: string; agentIds: number[]; reason: StopReason }
  | { type: 'announce'; tenantId: number; callId: string; position: number; expectedWaitSec: number }
  /** Transfer the caller to `target` (overflow on max wait / no agents, or divert for management type 4). */
  | {
      type: 'overflow';
      tenantId: number;
      callId: string;
      target: string;
      reason: 'max_wait' | 'no_agents' | 'divert';
    }
  /** Hang up on the caller (or refuse the call) with this reason. */
  | { type: 'reject'; tenantId: number; callId: string; reason: RejectReason }
  /** The platform must move the agent to a not-ready status. */
  | { type: 'agent_not_ready'; tenantId: number; agentId: number; reason: 'no_answer' }
  /** The agent is in wrap-up until `endsAt` (ms). */
  | { type: 'agent_wrapup'; tenantId: number; agentId: number; callId: string; endsAt: number }
  /** Wrap-up is over: the platform puts the agent back in their custom status. */
  | { type: 'agent_released'; tenantId: number; agentId: number }
  /** The queue visit of this call is over (exactly once per call_entered). */
  | {
      type: 'call_finished';
      tenantId: number;
      callId: string;
      queueId: number;
      outcome: CallOutcome;
      agentId: number | null;
      waitMs: number;
      reason?: RejectReason | 'divert';
    };

/** Queue counters; the same shape serves the live totals and any interval. Times are in seconds. */
export interface QueueCounters {
  /** Calls that entered the queue (every outcome). AntBuddy `offered` / `received`. */
  offered: number;
  /** Answered by an agent. AntBuddy `handled`. */
  answered: number;
  abandoned: number;
  /** Abandoned within the queue's shortAbandonSec (a subset of `abandoned`). */
  abandonedShort: number;
  overflowed: number;
  timedOut: number;
  rejected: number;
  /** Average and longest wait over the calls whose wait ended (refused calls wait 0). */
  avgWaitSec: number;
  maxWaitSec: number;
  avgTalkSec: number;
  /** answered within serviceLevelSec / offered, 0..1; null when nothing was offered. */
  serviceLevel: number | null;
  /** Average speed of answer: mean wait of answered calls. */
  asaSec: number;
  /** Average handle time: talk + wrap-up per completed call. */
  ahtSec: number;
}

/** Live view of one queue: totals since the queue was configured plus what is happening now. */
export interface QueueStats extends QueueCounters {
  queueId: number;
  tenantId: number;
  /** Calls not yet answered (waiting or ringing). */
  waiting: number;
  ringing: number;
  longestWaitingSec: number;
  members: number;
  /** Members not offline. */
  loggedIn: number;
  /** Members who can be offered a call right now. */
  available: number;
  talking: number;
}

/** One call not yet answered, for the console and AntBuddy `waiting_call_logs`. */
export interface WaitingCall {
  callId: string;
  callerNumber: string;
  enteredAt: number;
  waitSec: number;
  position: number;
  vip: boolean;
  priority: number;
  ringingAgentIds: number[];
}

/** What the ACD knows about one agent. */
export interface AgentView {
  agentId: number;
  tenantId: number;
  presence: Presence;
  /** The ACD's own engagement of the agent. */
  engagement: 'idle' | 'offered' | 'talking' | 'wrapup';
  callId: string | null;
  offerable: boolean;
  queueIds: number[];
  skills: AgentSkill[];
  consecutiveMisses: number;
  callsAnswered: number;
  talkSec: number;
}
