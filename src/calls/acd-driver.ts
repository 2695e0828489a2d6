import type { Logger } from 'pino';
import {
  Acd,
  type AcdDecision,
  type AcdInput,
  type ManagementType,
  type QueueConfig,
  type SkillRequirement,
} from '../acd/index.js';
import type { Clock, Timer } from '../clock.js';
import type { AcdSetup, AcdStore } from '../domain/call-store.js';
import type { EventBus } from '../domain/events.js';
import type { AgentSelector } from '../domain/queues.js';
import type { StatusService } from '../domain/status-service.js';
import type { PromptLang } from '../prompts/catalog.js';
import { promptLang } from '../prompts/files.js';

/** What the driver reads and listens to: the tenant's ACD setup, agents' availability, status changes. */
export interface AcdDriverDeps {
  store: Pick<AcdStore, 'revision' | 'acdSetup'>;
  clock: Clock;
  bus: Pick<EventBus, 'on'>;
  statuses: Pick<StatusService, 'getStatuses'>;
  logger: Logger;
}

/** What the driver needs from whoever carries decisions out (the queue flow). */
export interface DecisionSink {
  carryOut(d: AcdDecision): void;
}

/** A queue's settings for what its waiting callers hear and may do (the ACD itself does not use them). */
export interface CallerOptions {
  language: PromptLang;
  /** The key that asks for a callback, or null when the queue offers none. */
  callbackKey: string | null;
  callbackMaxAttempts: number;
  callbackRetrySec: number;
  callbackCallerId: string | null;
}

/**
 * Owns the one Acd instance: feeds it each tenant's queue configs, caller lists and agent availability
 * (reloaded whenever `tenants.revision` moved), forwards status changes, and runs its timers with one
 * timer on the injected clock armed at `nextDeadline()` (so a FakeClock drives ring timeouts in unit tests).
 */
export class AcdDriver {
  readonly acd: Acd;
  private readonly revisions = new Map<number, number>();
  private readonly options = new Map<number, CallerOptions>();
  /** Each loaded tenant's inbound queue ids (a transfer's target is checked against them). */
  private readonly queueIds = new Map<number, Set<number>>();
  /** Each loaded tenant's skill ids (an IVR branch may name a skill deleted since the flow was saved). */
  private readonly skillIds = new Map<number, Set<number>>();
  private timer?: Timer;
  private sink?: DecisionSink;
  private readonly unsubscribe: () => void;

  constructor(private readonly d: AcdDriverDeps) {
    this.acd = new Acd(d.clock);
    this.unsubscribe = d.bus.on('agent.status_changed', (tenantId, p) => {
      if (!this.revisions.has(tenantId)) return;
      void this.refreshAgent(tenantId, p.agentId);
    });
  }

  attach(sink: DecisionSink): void {
    this.sink = sink;
  }

  /** Feed one input and carry out what the ACD decides. */
  feed(input: AcdInput): void {
    this.apply(this.acd.handle(input));
  }

  /** Make sure the ACD has the tenant's current configuration before one of its calls enters. */
  async ensureTenant(tenantId: number): Promise<void> {
    const rev = await this.d.store.revision(tenantId);
    if (this.revisions.get(tenantId) === rev) return;
    this.revisions.set(tenantId, rev);
    try {
      const setup = await this.d.store.acdSetup(tenantId);
      this.queueIds.set(tenantId, new Set(setup.queues.map((q) => q.queue.id)));
      this.skillIds.set(tenantId, setup.skills.skillIds);
      const agentIds = [...new Set(setup.queues.flatMap((q) => q.members.map((m) => m.agentId)))];
      // Skills before queues: a queue's waiting calls are re-dispatched with the agents' current skills.
      for (const agentId of agentIds) {
        const skills = setup.skills.agents.get(agentId) ?? [];
        this.feed({ type: 'agent_skills', tenantId, agentId, skills });
      }
      for (const q of setup.queues) {
        this.options.set(q.queue.id, callerOptionsOf(q.queue));
        this.feed({ type: 'queue_config', queue: queueConfigOf(q, setup.skills.queues.get(q.queue.id)) });
      }
      this.feed({ type: 'caller_lists', tenantId, vip: setup.vip, blacklist: setup.blacklist });
      for (const v of await this.d.statuses.getStatuses(tenantId, agentIds)) {
        this.feed({ type: 'agent_availability', tenantId, agentId: v.id, presence: v.presence });
      }
    } catch (err) {
      // The store failed mid-load (a restart): not marked loaded, so the next call loads the tenant again.
      if (this.revisions.get(tenantId) === rev) this.revisions.set(tenantId, -1);
      throw err;
    }
  }

  /** The caller options of a queue loaded by ensureTenant (defaults for a queue it has not seen). */
  callerOptions(queueId: number): CallerOptions {
    return this.options.get(queueId) ?? callerOptionsOf({});
  }

  /** The requirements an IVR branch adds, without skills the tenant (loaded by ensureTenant) no longer has. */
  branchSkills(tenantId: number, skills: readonly SkillRequirement[] | undefined): SkillRequirement[] {
    const known = this.skillIds.get(tenantId);
    return (skills ?? []).filter((s) => known?.has(s.skillId));
  }

  /** Whether the tenant (loaded by ensureTenant) has inbound queue `queueId`. */
  hasQueue(tenantId: number, queueId: number): boolean {
    return this.queueIds.get(tenantId)?.has(queueId) ?? false;
  }

  /** Another node changed an agent's status (docs/cluster.md): refresh it if this node runs the tenant's ACD. */
  agentChanged(tenantId: number, agentId: number): void {
    if (!this.revisions.has(tenantId)) return;
    void this.refreshAgent(tenantId, agentId);
  }

  /** This node lost the tenant: its ACD stops following it; a later call reloads it from the store. */
  forgetTenant(tenantId: number): void {
    this.revisions.delete(tenantId);
  }

  /**
   * This node gained the tenant's lease (docs/cluster.md): a tenant already loaded (open callbacks resumed at start
   * load it before the first lease round) is reloaded now rather than forgotten, so its agents' status changes keep
   * reaching the ACD; forgetting it dropped them until the next call entered, and a resumed callback was never
   * offered.
   */
  async tenantGained(tenantId: number): Promise<void> {
    if (!this.revisions.has(tenantId)) return;
    this.revisions.set(tenantId, -1);
    await this.ensureTenant(tenantId);
  }

  private async refreshAgent(tenantId: number, agentId: number): Promise<void> {
    const [v] = await this.d.statuses.getStatuses(tenantId, [agentId]);
    if (v) this.feed({ type: 'agent_availability', tenantId, agentId, presence: v.presence });
  }

  private apply(decisions: AcdDecision[]): void {
    for (const dec of decisions) {
      try {
        this.sink?.carryOut(dec);
      } catch (err) {
        this.d.logger.error({ err, decision: dec.type }, 'ACD decision failed');
      }
    }
    this.arm();
  }

  private arm(): void {
    const { clock } = this.d;
    clock.clearTimeout(this.timer);
    this.timer = undefined;
    const at = this.acd.nextDeadline();
    if (at === null) return;
    this.timer = clock.setTimeout(() => this.apply(this.acd.tick()), at - clock.now());
    this.timer.unref?.();
  }

  stop(): void {
    this.d.clock.clearTimeout(this.timer);
    this.unsubscribe();
  }
}

/** The ACD's view of one inbound queue row and its members. */
function queueConfigOf(
  { queue: q, members }: AcdSetup['queues'][number],
  skills: SkillRequirement[] = [],
): QueueConfig {
  const tenantId = q.tenant_id;
  return {
    id: q.id,
    tenantId,
    managementType: q.management_type as ManagementType,
    selector: q.agent_selector as AgentSelector | null,
    maxWaitSec: q.max_wait_sec,
    announcePosition: q.announce_position === 1,
    announceIntervalSec: q.announce_interval_sec,
    wrapupSec: q.wrapup_sec,
    ringTimeoutSec: q.ring_timeout_sec,
    maxNoAnswer: q.max_no_answer,
    serviceLevelSec: q.service_level_sec,
    overflowTarget: q.overflow_target,
    divertTarget: q.divert_target,
    members,
    skills,
  };
}

function callerOptionsOf(q: Partial<AcdSetup['queues'][number]['queue']>): CallerOptions {
  return {
    language: promptLang(q.announce_language),
    callbackKey: q.callback_enabled === 1 ? (q.callback_key ?? '1') : null,
    callbackMaxAttempts: q.callback_max_attempts ?? 3,
    callbackRetrySec: q.callback_retry_sec ?? 60,
    callbackCallerId: q.callback_caller_id ?? null,
  };
}
