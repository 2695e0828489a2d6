import type { Logger } from 'pino';
import type { AcdDecision } from '../acd/index.js';
import type { Clock, Timer } from '../clock.js';
import {
  type Callback,
  type CallbackChange,
  type CallbackState,
  type CallbackStore,
  callbackPlace,
} from '../domain/callbacks.js';
import type { EventBus } from '../domain/events.js';
import type { Media } from '../media/engine.js';
import type { LocationService } from '../sip/location.js';
import type { AcdDriver, CallerOptions } from './acd-driver.js';
import { type Call, DialledSide } from './call.js';
import { type DialBDeps, dialB } from './dial-b.js';
import type { Dialing } from './dialer.js';
import type { CallCore } from './engine.js';
import { MediaLeg } from './media-leg.js';
import type { StatusFollower } from './presence.js';
import { causeOfSipStatus } from './q850.js';
import { ensureRingback } from './ringback.js';
import type { Routing } from './routing.js';
import { externalTarget, phoneTargets } from './targets.js';

/** What queued callbacks use: their rows, the ACD, legs, the agent's phones, RTP ports, the bus, the clock. */
export interface CallbackFlowDeps {
  store: CallbackStore;
  driver: Pick<AcdDriver, 'feed' | 'ensureTenant' | 'callerOptions'>;
  core: Pick<CallCore, 'newRecord' | 'newCall' | 'track'>;
  legB: DialBDeps;
  follower: Pick<StatusFollower, 'set'>;
  routing: Pick<Routing, 'tenant' | 'outboundTrunk'>;
  location: Pick<LocationService, 'lookup'>;
  media: Pick<Media, 'allocate'>;
  bus: Pick<EventBus, 'publish'>;
  clock: Clock;
  /** tongdai's SIP host:port and public address (the hosts of the From headers it writes). */
  hostport(): string;
  publicIp(): string;
  dataDir: string;
  logger: Logger;
}

/** One callback while it is in this process: its row and what is ringing for it. */
interface Live {
  cb: Callback;
  opts: CallerOptions;
  /** The ACD's id for the current visit (the caller's call id first, then `callback-<id>-<attempt>`). */
  acdCallId: string;
  /** Agents whose phones ring for it, with the call placed for each. */
  offers: Map<number, { call: Call; dialing?: Dialing }>;
  /** The call of the agent who answered, once one did. */
  call: Call | null;
  retry?: Timer;
}

/** A failed dial attempt to the customer, by SIP status: busy or no answer (anything else counts as no answer). */
const outcomeOf = (status: number): string =>
  status === 486 || status === 600 ? 'busy' : status === 603 ? 'declined' : 'no_answer';

/**
 * Queued callbacks: the caller keeps their place (the ACD goes on with the same call id), and when the ACD offers
 * it, the agent's phone rings first; once the agent answers, the customer is dialled through the tenant's trunk
 * with the queue's caller id while the agent hears ringback. A busy or unanswered customer is tried again after a
 * back-off (retry_sec, doubling) up to the queue's attempt limit. Every change is written to the callback's row,
 * so a restart puts the open ones back in their queues (`resume`).
 */
export class CallbackFlow {
  private readonly byAcdId = new Map<string, Live>();
  private readonly byId = new Map<number, Live>();

  constructor(private readonly d: CallbackFlowDeps) {}

  /** Whether the ACD call `callId` is a callback this flow carries out. */
  owns(callId: string): boolean {
    return this.byAcdId.has(callId);
  }

  /** The callbacks in progress in this process (tests, diagnostics). */
  get active(): readonly Callback[] {
    return [...this.byId.values()].map((l) => l.cb);
  }

  /**
   * A waiting caller asked to be called back: the row is written and the ACD call `callId` becomes the
   * callback's (the queue flow must not report the caller's hang-up as an abandon).
   */
  async request(c: {
    tenantId: number;
    queueId: number;
    number: string;
    callId: string;
    enteredAt: number;
    callerId: string;
  }): Promise<Callback> {
    const cb = await this.d.store.create(c);
    const live = this.adopt(cb, c.callId);
    // A callback waits for its turn however long that takes: the queue's max wait is for callers on the line.
    this.d.driver.feed({ type: 'max_wait_lifted', callId: c.callId });
    this.publish('callback.requested', live);
    return cb;
  }

  /**
   * Whether `number` may be called back for the tenant: its destination rules allow it and a trunk carries it.
   * A refused number is told so when the key is pressed, not when its turn comes.
   */
  async accepts(tenantId: number, number: string): Promise<boolean> {
    const tenant = await this.d.routing.tenant(tenantId);
    const out = tenant ? await externalTarget(this.d.routing, tenant, number) : null;
    return out !== null && !('refusal' in out);
  }

  /**
   * A caller who never waited in the queue (an IVR menu's callback branch) asks to be called back: the row is
   * written and the callback enters queue `queueId` now, with the queue's callback caller id (else `didNumber`).
   */
  async requestNew(c: {
    tenantId: number;
    queueId: number;
    number: string;
    callId: string;
    didNumber: string;
  }): Promise<Callback> {
    await this.d.driver.ensureTenant(c.tenantId);
    const opts = this.d.driver.callerOptions(c.queueId);
    const cb = await this.d.store.create({
      tenantId: c.tenantId,
      queueId: c.queueId,
      number: c.number,
      callId: c.callId,
      enteredAt: this.d.clock.now(),
      callerId: opts.callbackCallerId ?? c.didNumber,
    });
    const live = this.adopt(cb, this.visitId(cb));
    this.publish('callback.requested', live);
    await this.reenter(live);
    return cb;
  }

  /** After a restart: every open callback goes back in its queue (a pending retry keeps its time). */
  async resume(): Promise<number> {
    const open = await this.d.store.open();
    for (const cb of open) {
      await this.d.driver.ensureTenant(cb.tenantId);
      const live = this.adopt(cb, this.visitId(cb));
      if (cb.state === 'retry_wait' && cb.nextAttemptAt !== null) this.armRetry(live, cb.nextAttemptAt);
      else void this.reenter(live);
    }
    return open.length;
  }

  /** An ACD decision about one of the callbacks. */
  carryOut(dec: AcdDecision): void {
    const live = 'callId' in dec ? this.byAcdId.get(dec.callId) : undefined;
    if (!live) return;
    switch (dec.type) {
      case 'offer':
        for (const agentId of dec.agentIds) void this.offer(live, agentId);
        return;
      case 'stop_offer':
        for (const agentId of dec.agentIds) this.stopOffer(live, agentId);
        return;
      case 'reject':
        return void this.fail(live, `queue: ${dec.reason}`);
      case 'overflow':
        return void this.fail(live, `queue: ${dec.reason}`);
      // The visit's end needs nothing more; agent steps are the queue flow's (it sets the agent's status).
      case 'call_finished':
      case 'announce':
      case 'agent_not_ready':
      case 'agent_wrapup':
      case 'agent_released':
        return;
    }
  }

  stop(): void {
    for (const live of this.byId.values()) this.d.clock.clearTimeout(live.retry);
  }

  private adopt(cb: Callback, acdCallId: string): Live {
    const live: Live = {
      cb,
      opts: this.d.driver.callerOptions(cb.queueId),
      acdCallId,
      offers: new Map(),
      call: null,
    };
    this.byAcdId.set(acdCallId, live);
    this.byId.set(cb.id, live);
    return live;
  }

  private visitId(cb: Callback): string {
    return `callback-${cb.id}-${cb.attempts}`;
  }

  /**
   * Enter the queue again (after a restart or for a retry): a new ACD visit under a new id, at the callback's own
   * place, so callers who came after it stay behind it whatever the order the open callbacks come back in.
   */
  private async reenter(live: Live): Promise<void> {
    const { cb } = live;
    await this.d.driver.ensureTenant(cb.tenantId);
    live.opts = this.d.driver.callerOptions(cb.queueId);
    this.byAcdId.delete(live.acdCallId);
    live.acdCallId = this.visitId(cb);
    this.byAcdId.set(live.acdCallId, live);
    // next_attempt_at stays: a retry's place in the queue is the time it was due (callbackPlace).
    await this.change(live, { state: 'waiting' });
    this.d.driver.feed({
      type: 'call_entered',
      callId: live.acdCallId,
      tenantId: cb.tenantId,
      queueId: cb.queueId,
      callerNumber: cb.number,
      noMaxWait: true,
      queuedAt: callbackPlace(cb),
    });
  }

  /** Ring one agent's phones for the callback, showing the customer's number. */
  private async offer(live: Live, agentId: number): Promise<void> {
    const { cb } = live;
    const acdCallId = live.acdCallId;
    const bindings = this.d.location.lookup(cb.tenantId, agentId);
    if (bindings.length === 0 || live.call) {
      return this.d.driver.feed({ type: 'agent_no_answer', callId: acdCallId, agentId });
    }
    let endpoint;
    try {
      endpoint = await this.d.media.allocate();
    } catch {
      return this.d.driver.feed({ type: 'agent_no_answer', callId: acdCallId, agentId });
    }
    const record = this.d.core.newRecord({
      tenantId: cb.tenantId,
      direction: 'outbound',
      callerNumber: cb.callerId,
      callerAgentId: agentId,
      calleeNumber: cb.number,
      agentId,
      queueId: cb.queueId,
    });
    const call = this.d.core.newCall(record, new DialledSide(new MediaLeg(endpoint)));
    this.d.core.track(call, () => undefined);
    const offer: { call: Call; dialing?: Dialing } = { call };
    live.offers.set(agentId, offer);
    void this.change(live, { state: 'offered', agentId });
    this.publish('callback.offered', live, agentId);
    call.onEnd(() => {
      void this.d.follower.set(cb.tenantId, agentId, 'resume');
      if (live.call === call) this.d.driver.feed({ type: 'call_ended', callId: acdCallId });
    });
    offer.dialing = await dialB(this.d.legB, call, {
      leg: 'a',
      targets: phoneTargets(bindings),
      from: `"${cb.number}" <sip:${cb.number}@${this.d.hostport()}>`,
      agentId,
      answeringAgentId: agentId,
      recordFor: [],
      queueId: cb.queueId,
      accept: () => {
        live.offers.delete(agentId);
        if (live.call || call.ended) return false;
        live.call = call;
        return true;
      },
      onBridged: () => {
        this.d.driver.feed({ type: 'agent_answered', callId: acdCallId, agentId });
        void this.dialCustomer(live, call, agentId);
      },
      onFail: (status) => {
        if (!live.offers.delete(agentId)) return;
        call.end(causeOfSipStatus(status), 'caller', { sipCode: status, reason: 'callback: agent missed' });
        const rejected = status === 486 || status === 600 || status === 603;
        void this.change(live, { state: 'waiting', agentId: null });
        this.d.driver.feed({
          type: rejected ? 'agent_rejected' : 'agent_no_answer',
          callId: acdCallId,
          agentId,
        });
      },
    });
  }

  private stopOffer(live: Live, agentId: number): void {
    const offer = live.offers.get(agentId);
    if (!offer) return;
    live.offers.delete(agentId);
    offer.dialing?.cancel();
    offer.call.end('ORIGINATOR_CANCEL', 'system', { reason: 'callback: offer withdrawn' });
  }

  /** The agent answered: the customer is called through the trunk with the queue's caller id. */
  private async dialCustomer(live: Live, call: Call, agentId: number): Promise<void> {
    const { cb } = live;
    const attempts = cb.attempts + 1;
    await this.change(live, { state: 'dialing', attempts, agentId });
    const tenant = await this.d.routing.tenant(cb.tenantId);
    const out = tenant ? await externalTarget(this.d.routing, tenant, cb.number) : null;
    if (!out || 'refusal' in out) {
      call.end('CALL_REJECTED', 'system', { reason: 'callback: destination refused' });
      return void this.fail(live, out && 'refusal' in out ? out.refusal.reason : 'unknown tenant');
    }
    call.ringback(ensureRingback(this.d.dataDir));
    await dialB(this.d.legB, call, {
      targets: [out.target],
      from: `<sip:${cb.callerId}@${this.d.publicIp()}>`,
      answeringAgentId: agentId,
      recordFor: [agentId],
      queueId: cb.queueId,
      onEarlyMedia: () => undefined,
      onBridged: () => void this.complete(live, agentId),
      onFail: (status) => {
        call.end(causeOfSipStatus(status), 'callee', {
          sipCode: status,
          reason: 'callback: customer missed',
        });
        void this.missed(live, outcomeOf(status));
      },
    });
  }

  private async complete(live: Live, agentId: number): Promise<void> {
    await this.change(live, { state: 'completed', agentId, outcome: 'answered' });
    this.publish('callback.completed', live, agentId);
    this.forget(live);
  }

  /** The customer did not answer (or was busy): try again after the back-off, or give up at the limit. */
  private async missed(live: Live, outcome: string): Promise<void> {
    live.call = null;
    if (live.cb.attempts >= live.opts.callbackMaxAttempts) return this.fail(live, outcome);
    const backoffMs = live.opts.callbackRetrySec * 1000 * 2 ** (live.cb.attempts - 1);
    const at = this.d.clock.now() + backoffMs;
    await this.change(live, { state: 'retry_wait', nextAttemptAt: at, outcome, agentId: null });
    this.publish('callback.retrying', live);
    this.armRetry(live, at);
  }

  private armRetry(live: Live, at: number): void {
    this.d.clock.clearTimeout(live.retry);
    live.retry = this.d.clock.setTimeout(() => {
      live.retry = undefined;
      void this.reenter(live);
    }, at - this.d.clock.now());
    live.retry.unref?.();
  }

  private async fail(live: Live, outcome: string): Promise<void> {
    for (const agentId of [...live.offers.keys()]) this.stopOffer(live, agentId);
    await this.change(live, { state: 'failed', outcome });
    this.publish('callback.failed', live);
    this.forget(live);
  }

  private forget(live: Live): void {
    this.d.clock.clearTimeout(live.retry);
    this.byAcdId.delete(live.acdCallId);
    this.byId.delete(live.cb.id);
  }

  /** Write a transition to the row (and the in-memory copy); a failed write is logged, the call goes on. */
  private async change(live: Live, ch: CallbackChange): Promise<void> {
    const cb = live.cb;
    cb.state = ch.state satisfies CallbackState;
    if (ch.attempts !== undefined) cb.attempts = ch.attempts;
    if (ch.nextAttemptAt !== undefined) cb.nextAttemptAt = ch.nextAttemptAt;
    if (ch.agentId !== undefined) cb.agentId = ch.agentId;
    if (ch.outcome !== undefined) cb.outcome = ch.outcome;
    cb.updatedAt = this.d.clock.now();
    try {
      await this.d.store.update(cb.tenantId, cb.id, ch);
    } catch (err) {
      this.d.logger.error({ err, callbackId: cb.id }, 'callback update failed');
    }
  }

  private publish(
    type:
      | 'callback.requested'
      | 'callback.offered'
      | 'callback.retrying'
      | 'callback.completed'
      | 'callback.failed',
    live: Live,
    agentId: number | null = null,
  ): void {
    const { cb } = live;
    this.d.bus.publish(cb.tenantId, type, {
      callbackId: cb.id,
      queueId: cb.queueId,
      number: cb.number,
      callId: cb.callId,
      agentId,
      attempts: cb.attempts,
      outcome: type === 'callback.failed' || type === 'callback.retrying' ? cb.outcome : null,
      at: this.d.clock.now(),
    });
  }
}
