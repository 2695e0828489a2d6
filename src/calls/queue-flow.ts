import type { AcdDecision, RejectReason, SkillRequirement, StopReason } from '../acd/index.js';
import type { Clock } from '../clock.js';
import type { AcdStore } from '../domain/call-store.js';
import type { StatusService } from '../domain/status-service.js';
import { queueAnnouncement } from '../prompts/announce.js';
import { promptFiles } from '../prompts/files.js';
import type { LocationService } from '../sip/location.js';
import type { AcdDriver } from './acd-driver.js';
import type { CallbackFlow } from './callback-flow.js';
import { dialB } from './dial-b.js';
import type { DialTarget, Dialing } from './dialer.js';
import { type DirectDeps, connectDirect } from './direct.js';
import type { Incoming } from './engine.js';
import type { HangupCause } from './q850.js';
import type { Routing } from './routing.js';
import { externalTarget, phoneTargets } from './targets.js';

/** What the queue flow uses: the ACD driver, legs and statuses (DirectDeps), its store reads, routing. */
export interface QueueFlowDeps extends DirectDeps {
  driver: AcdDriver;
  store: Pick<AcdStore, 'queueMoh' | 'firstNotReadyStatus'>;
  statuses: Pick<StatusService, 'setCustomStatus'>;
  routing: Pick<Routing, 'agentDestination' | 'outboundTrunk' | 'tenant'>;
  location: Pick<LocationService, 'lookup'>;
  /** tongdai's SIP host:port (the From of offers). */
  hostport(): string;
  /** Where prompt files live. */
  dataDir: string;
  /** When each miss happened (the record's queue statistics list them). */
  clock: Pick<Clock, 'now'>;
  /** Queued callbacks: a waiting caller's key press hands the call's place to them. */
  callbacks?: CallbackFlow;
}

/** One offer that did not become the answer: who, when (epoch ms) and why (AntBuddy's `queue_stat.misses`). */
export interface QueueMiss {
  agent_id: number;
  at: number;
  reason: 'no_answer' | 'rejected' | 'answered_elsewhere' | 'cancelled' | 'unavailable';
}

const STOP_MISS: Record<StopReason, QueueMiss['reason']> = {
  timeout: 'no_answer',
  answered_elsewhere: 'answered_elsewhere',
  call_finished: 'cancelled',
  agent_unavailable: 'unavailable',
};

interface Queued {
  inc: Incoming;
  queueId: number;
  /** Agents ringing for this call, with their attempt. */
  ringing: Map<number, Dialing>;
  /** The agent who answered, once bridged. */
  agentId: number | null;
  misses: QueueMiss[];
  /** Transferred away from the agent who answered: the ACD already heard the end of its part. */
  transferred?: boolean;
  /** When the caller entered (a callback keeps this place). */
  enteredAt: number;
  /** The caller asked for a callback: their hang-up is not an abandon, the callback flow has the ACD call. */
  callback?: 'asking' | 'requested';
}

const REJECT_CAUSE: Record<RejectReason, HangupCause> = {
  blacklisted: 'CALL_REJECTED',
  closed: 'CALL_REJECTED',
  no_agents: 'NO_USER_RESPONSE',
  max_wait: 'NO_ANSWER',
  unknown_queue: 'UNALLOCATED_NUMBER',
  queue_removed: 'UNALLOCATED_NUMBER',
  no_target: 'UNALLOCATED_NUMBER',
};

/**
 * Queued inbound calls: the caller is answered at once and hears hold music while the ACD decides; offers ring
 * the chosen agents' registered phones, answers and misses go back to the ACD, and the agent's status follows
 * the call (Ringing, In-call, Wrap-up, back to their own status).
 */
export class QueueFlow {
  private readonly queued = new Map<string, Queued>();

  private readonly driver: AcdDriver;

  constructor(private readonly d: QueueFlowDeps) {
    this.driver = d.driver;
    d.driver.attach({ carryOut: (dec) => this.carryOut(dec) });
  }

  /**
   * A caller reached a queue: enter the ACD, then answer with hold music unless refused outright. `skills`: what
   * the way they came (an IVR branch) requires on top of the queue's own.
   */
  async enter(
    inc: Incoming,
    queueId: number,
    callerNumber: string,
    skills?: SkillRequirement[],
  ): Promise<void> {
    const { call, session } = inc;
    await this.driver.ensureTenant(call.tenantId);
    if (call.ended) return;
    const q = this.join(inc, queueId, callerNumber, skills);
    // A call the ACD refused at once (closed, blacklisted, nobody logged in) is refused unanswered (4xx);
    // otherwise the caller is answered and waits with hold music.
    if (call.ended) return;
    call.queued();
    session.answer(inc.answerSdp);
    await this.holdMusic(inc, queueId);
    this.listenForCallback(q);
  }

  /** Whether `queueId` is one of the tenant's inbound queues (a transfer's target must be). */
  async hasQueue(tenantId: number, queueId: number): Promise<boolean> {
    await this.driver.ensureTenant(tenantId);
    return this.driver.hasQueue(tenantId, queueId);
  }

  /**
   * Why `queueId` would turn `callerNumber` away if they entered now (closed, blacklisted, nobody logged in and no
   * overflow target: the queue's own entry rules), or null when it takes them. A transfer asks before it releases
   * the agent who has the caller.
   */
  async entryRefusal(tenantId: number, queueId: number, callerNumber: string): Promise<RejectReason | null> {
    await this.driver.ensureTenant(tenantId);
    return this.driver.acd.entryRefusal(tenantId, queueId, callerNumber);
  }

  /**
   * A transfer put an answered caller back in the ACD (Call.queueTransfer left it `queued`): a new visit of
   * `queueId`, whose wait counts from now (the call's own start stays on the record). The queue's rules apply as
   * to any caller: offers by its strategy, its hold music, max wait and overflow; a closed queue hangs up.
   */
  async transferIn(inc: Incoming, queueId: number): Promise<void> {
    inc.call.inQueue(queueId);
    const q = this.join(inc, queueId, inc.call.record.start.callerNumber);
    if (inc.call.ended) return;
    await this.holdMusic(inc, queueId);
    this.listenForCallback(q);
  }

  private async holdMusic(inc: Incoming, queueId: number): Promise<void> {
    const { call } = inc;
    const moh = await this.d.store.queueMoh(call.tenantId, queueId);
    if (!call.ended && !call.b) inc.side.media.endpoint.startMoh(moh);
  }

  /** When the queue offers callbacks, the caller's key press (RFC 4733) asks for one. */
  private listenForCallback(q: Queued): void {
    const { call, side } = q.inc;
    const key = this.driver.callerOptions(q.queueId).callbackKey;
    if (key && this.d.callbacks && !call.ended) {
      side.media.endpoint.onDtmf((digit) => {
        if (digit === key) void this.askCallback(q);
      });
    }
  }

  /** The call's visit of a queue: its ACD entry, and the hooks that tell the ACD how it ends. */
  private join(inc: Incoming, queueId: number, callerNumber: string, skills?: SkillRequirement[]): Queued {
    const { call } = inc;
    const q: Queued = {
      inc,
      queueId,
      ringing: new Map(),
      agentId: null,
      misses: [],
      enteredAt: this.d.clock.now(),
    };
    // A transfer to a queue replaces the call's previous visit (already finished for the ACD).
    this.queued.set(call.callId, q);
    call.onEnd((e) => {
      for (const d of q.ringing.values()) d.cancel();
      for (const agentId of q.ringing.keys()) void this.d.follower.set(call.tenantId, agentId, 'resume');
      q.ringing.clear();
      const current = this.queued.get(call.callId) === q;
      if (q.callback === 'requested') {
        if (current) this.queued.delete(call.callId);
        return;
      }
      if (q.agentId !== null && !q.transferred) this.driver.feed({ type: 'call_ended', callId: call.callId });
      else if (current && e.by === 'caller')
        this.driver.feed({ type: 'call_abandoned', callId: call.callId });
      if (current) this.queued.delete(call.callId);
    });
    // A transfer ends the queued part: the agent who had the call is released (wrap-up) at once.
    call.onTransferred(() => {
      if (q.agentId === null || q.transferred) return;
      q.transferred = true;
      this.driver.feed({ type: 'call_ended', callId: call.callId });
    });
    const required = this.driver.branchSkills(call.tenantId, skills);
    this.driver.feed({
      type: 'call_entered',
      callId: call.callId,
      tenantId: call.tenantId,
      queueId,
      callerNumber,
      ...(required.length > 0 ? { skills: required } : {}),
    });
    return q;
  }

  /**
   * The caller pressed the callback key while waiting (not while an agent rings): a number the tenant's
   * destination rules bar (or no trunk to call it on) is refused with a prompt and the caller waits on;
   * otherwise the callback takes the call's place, the caller hears the confirmation and is hung up.
   */
  private async askCallback(q: Queued): Promise<void> {
    const { call, side } = q.inc;
    const callbacks = this.d.callbacks;
    if (!callbacks || q.callback || call.ended || q.ringing.size > 0 || q.agentId !== null) return;
    q.callback = 'asking';
    const opts = this.driver.callerOptions(q.queueId);
    const number = call.record.start.callerNumber;
    const accepted = await callbacks.accepts(call.tenantId, number);
    if (!accepted || call.ended || q.ringing.size > 0 || q.agentId !== null) {
      q.callback = undefined;
      if (!call.ended) await side.media.endpoint.playPrompt(promptFiles(opts.language, ['callback-refused']));
      return;
    }
    q.callback = 'requested';
    side.media.endpoint.onDtmf(null);
    await callbacks.request({
      tenantId: call.tenantId,
      queueId: q.queueId,
      number,
      callId: call.callId,
      enteredAt: q.enteredAt,
      callerId: opts.callbackCallerId ?? call.record.start.didNumber ?? call.record.start.calleeNumber,
    });
    await side.media.endpoint.playPrompt(promptFiles(opts.language, ['callback-confirmed']));
    call.end('NORMAL_CLEARING', 'system', { reason: 'queue: callback requested' });
  }

  private carryOut(d: AcdDecision): void {
    // A callback's call decisions go to the callback flow; its agent's wrap-up and release stay here.
    const agentStep = d.type === 'agent_wrapup' || d.type === 'agent_released';
    if (!agentStep && 'callId' in d && this.d.callbacks?.owns(d.callId)) return this.d.callbacks.carryOut(d);
    switch (d.type) {
      case 'offer':
        for (const agentId of d.agentIds) void this.offer(d.callId, agentId);
        return;
      case 'stop_offer':
        for (const agentId of d.agentIds) this.stopRinging(d.callId, agentId, STOP_MISS[d.reason]);
        return;
      case 'reject':
        return this.queued
          .get(d.callId)
          ?.inc.call.end(REJECT_CAUSE[d.reason], 'system', { reason: `queue: ${d.reason}` });
      case 'overflow':
        return void this.overflow(d.callId, d.target, d.reason);
      case 'agent_not_ready':
        return void this.notReady(d.tenantId, d.agentId);
      case 'agent_wrapup':
        return void this.d.follower.set(d.tenantId, d.agentId, 'Wrap-up');
      case 'agent_released':
        return void this.d.follower.set(d.tenantId, d.agentId, 'resume');
      case 'call_finished':
        return this.finished(d);
      case 'announce':
        return this.announce(d.callId, d.position);
    }
  }

  /**
   * The position sentence and, when the queue's statistics say enough, the estimated wait, in the queue's
   * language; hold music pauses meanwhile and resumes after the last word.
   */
  private announce(callId: string, position: number): void {
    const q = this.queued.get(callId);
    if (!q || q.inc.call.b || q.inc.call.ended) return;
    const stats = this.driver.acd.queueStats(q.queueId);
    if (!stats) return;
    const lang = this.driver.callerOptions(q.queueId).language;
    const files = promptFiles(lang, queueAnnouncement(stats, position, lang));
    void q.inc.side.media.endpoint.playPrompt(files);
  }

  /**
   * Overflow (max wait, nobody logged in) and divert: the target is another extension of the tenant (its phones
   * ring) or an external number (through the trunk, allowed destinations apply); anything else releases the
   * caller with the reason recorded.
   */
  private async overflow(callId: string, target: string, reason: string): Promise<void> {
    const q = this.queued.get(callId);
    if (!q) return;
    const { call } = q.inc;
    const dest = await this.d.routing.agentDestination(call.tenantId, target.trim());
    const tenant = await this.d.routing.tenant(call.tenantId);
    let targets: DialTarget[] = [];
    let calleeAgentId: number | null = null;
    if (dest.kind === 'extension') {
      calleeAgentId = dest.agent.id;
      targets = phoneTargets(this.d.location.lookup(call.tenantId, dest.agent.id));
    } else if (dest.kind === 'external' && tenant) {
      const out = await externalTarget(this.d.routing, tenant, dest.number);
      if ('target' in out) targets = [out.target];
    }
    if (targets.length === 0) {
      return call.end('NO_ANSWER', 'system', {
        reason: `queue: ${reason}, overflow target ${target} unreachable`,
      });
    }
    const caller = call.record.start.callerNumber;
    await connectDirect(this.d, q.inc, {
      from: `"${caller}" <sip:${caller}@${this.d.hostport()}>`,
      targets,
      calleeAgentId,
    });
  }

  private async offer(callId: string, agentId: number): Promise<void> {
    const q = this.queued.get(callId);
    if (!q || q.inc.call.ended) return;
    const { call } = q.inc;
    const bindings = this.d.location.lookup(call.tenantId, agentId);
    if (bindings.length === 0) {
      // Ready in the status model but no phone registered: a miss, so the ACD moves on.
      return this.driver.feed({ type: 'agent_no_answer', callId, agentId });
    }
    const caller = call.record.start.callerNumber;
    const dialing = await dialB(this.d.legB, call, {
      targets: phoneTargets(bindings),
      from: `"${caller}" <sip:${caller}@${this.d.hostport()}>`,
      agentId,
      answeringAgentId: agentId,
      recordFor: [agentId],
      queueId: q.queueId,
      ownAttempt: false,
      accept: () => {
        q.ringing.delete(agentId);
        if (q.agentId !== null) return false;
        q.agentId = agentId;
        call.inQueue(q.queueId);
        return true;
      },
      onBridged: () => this.driver.feed({ type: 'agent_answered', callId, agentId }),
      onFail: (status) => {
        if (!q.ringing.delete(agentId)) return;
        const rejected = status === 486 || status === 600 || status === 603;
        q.misses.push({
          agent_id: agentId,
          at: this.d.clock.now(),
          reason: rejected ? 'rejected' : 'no_answer',
        });
        if (q.ringing.size === 0 && call.state === 'offering') call.queued();
        this.driver.feed({ type: rejected ? 'agent_rejected' : 'agent_no_answer', callId, agentId });
      },
    });
    if (call.ended || !this.queued.has(callId)) return dialing.cancel();
    q.ringing.set(agentId, dialing);
    call.offering();
  }

  private stopRinging(callId: string, agentId: number, reason: QueueMiss['reason']): void {
    const q = this.queued.get(callId);
    const dialing = q?.ringing.get(agentId);
    if (!q || !dialing) return;
    q.ringing.delete(agentId);
    q.misses.push({ agent_id: agentId, at: this.d.clock.now(), reason });
    dialing.cancel();
    if (q.ringing.size === 0 && q.inc.call.state === 'offering') q.inc.call.queued();
    void this.d.follower.set(q.inc.call.tenantId, agentId, 'resume');
  }

  private async notReady(tenantId: number, agentId: number): Promise<void> {
    const status = await this.d.store.firstNotReadyStatus(tenantId);
    if (status) await this.d.statuses.setCustomStatus(tenantId, [agentId], status, 'acd:no_answer');
  }

  private finished(d: Extract<AcdDecision, { type: 'call_finished' }>): void {
    const q = this.queued.get(d.callId);
    const call = q?.inc.call;
    if (!call) return;
    call.queueFinished(d.queueId, {
      outcome: d.outcome,
      wait_sec: Math.round(d.waitMs / 1000),
      entered: 1,
      handled: d.outcome === 'answered' ? 1 : 0,
      misses: q.misses,
      reason: d.reason ?? null,
    });
  }
}
