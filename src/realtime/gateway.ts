import type { Server } from 'socket.io';
import type { AppContext } from '../context.js';
import { getAgentById } from '../domain/agents.js';
import { statusIsReady } from '../domain/dashboard.js';
import type { Envelope } from '../domain/events.js';
import { getTenant } from '../domain/tenants.js';
import {
  EVENT_LOG_RETENTION_MS,
  type LoggedEvent,
  REPLAY_LIMIT,
  claimEventIds,
  eventsSince,
  purgeEvents,
} from './event-log.js';
import {
  CALL_EVENT_NAMES,
  type LegEvent,
  TransferLegs,
  agentStatusWire,
  callWire,
  dtmfWire,
  legWire,
} from './kazoo.js';
import {
  AGENT_STATUS_EVENT,
  CALLBACK_EVENT,
  CALL_BINDING_EVENTS,
  DTMF_EVENT,
  VOICEMAIL_EVENT,
  type RealtimeServer,
  type RealtimeSocket,
  type Target,
  type WireEventName,
  type WirePayload,
  matches,
  roomOf,
  roomsFor,
} from './protocol.js';
import { EventRelay, type RelayedEvent } from './cluster.js';
import { callbackWire, isCallbackEvent, voicemailWire } from './ivr-wire.js';
import { CommitMemo } from '../store/db.js';
import { FanOut } from './fanout.js';
import { EventIds } from './event-ids.js';
import { EventLogWriter } from './log-writer.js';
import { registerSubscriptionHandlers } from './subscriptions.js';

const PURGE_EVERY_MS = 60_000;

/** What the realtime side has done so far, for /metrics. */
export interface RealtimeTotals {
  /** Engine.IO connections open now (Socket.IO v2, v4 and Python clients alike, authenticated or not). */
  sockets: number;
  chain: Readonly<Record<string, ChainTiming>>;
  fanOut: Readonly<{ batches: number; writes: number; deliveries: number }>;
  log: Readonly<{ inserts: number; rows: number; ms: number; failures: number }>;
  logBacklog: number;
}

/** Per kind of chain task: how many ran, ms spent queued behind earlier tasks, ms running (awaits included). */
export interface ChainTiming {
  tasks: number;
  waitMs: number;
  runMs: number;
  maxRunMs: number;
}
const WIRE_TYPES: readonly string[] = [
  ...CALL_BINDING_EVENTS,
  AGENT_STATUS_EVENT,
  CALLBACK_EVENT,
  VOICEMAIL_EVENT,
];

type Unnumbered = Omit<WirePayload, 'event_id'>;
interface Pending {
  event: WireEventName;
  key: string;
  wire: Unnumbered;
  at: number;
}

/**
 * The one place realtime leaves the process: domain events from the bus become Kazoo-style Socket.IO events in
 * per-tenant rooms. Each tenant's events go through one promise chain — numbered in memory (the id is the resume
 * offset), emitted, then persisted behind — so clients see them in publish order and a resume can never interleave
 * with live ones.
 */
export class RealtimeGateway {
  private readonly io: RealtimeServer;
  private readonly fanOut: FanOut;
  /** Numbers the tenants' events in memory; `log` persists them behind their delivery. */
  readonly ids: EventIds;
  readonly log: EventLogWriter<{ event: WireEventName; key: string; payload: WirePayload }>;
  private readonly ready: CommitMemo<number | null>;
  private readonly chains = new Map<number, Promise<void>>();
  /** Timing of the tenants' chain tasks by kind (two clock reads a task; benches read it). */
  readonly chainStats: Record<string, ChainTiming> = {};
  private readonly accounts = new Map<number, string>();
  // Account and user ids never change, so one lookup each serves every later event.
  private readonly agentUids = new Map<string, string>();
  private unsubscribe: (() => void) | null = null;
  private purgeTimer: NodeJS.Timeout | null = null;
  private relay: EventRelay | null = null;
  /** Per tenant, events ready to persist and emit: the next flush in the tenant's chain writes them in one go. */
  private readonly pending = new Map<number, Pending[]>();
  /** Per tenant, when its last batch went out (monotonic ms), and the timer holding back its next one. */
  private readonly nextSlot = new Map<number, number>();
  private readonly held = new Map<number, NodeJS.Timeout>();
  /** Transfer legs still up, for their CHANNEL_DESTROY. */
  private readonly legs = new TransferLegs();
  /** Sockets that just resumed, with the last offset their replay covered (relayed events up to it are dupes). */
  private readonly resumeMarks = new Map<string, { tenantId: number; upTo: number; at: number }>();

  constructor(
    private readonly ctx: AppContext,
    io: Server,
  ) {
    this.io = io as unknown as RealtimeServer;
    this.fanOut = new FanOut(io);
    this.ready = new CommitMemo(ctx.db, 1000);
    this.ids = new EventIds((n) => claimEventIds(ctx.db, ctx.store.dialect, n));
    this.log = new EventLogWriter(ctx.db, ctx.logger, (tenantId, items) =>
      this.relayPersisted(tenantId, items),
    );
  }

  start(): this {
    this.relay = EventRelay.create(this.ctx.config, this.ctx.logger, (e) => {
      void this.enqueue(e.tenantId, 'relayed', async () => this.emitRelayed(e));
    });
    this.unsubscribe = this.ctx.bus.subscribe((e) => this.onDomainEvent(e));
    this.io.on('connection', (socket) => registerSubscriptionHandlers(this.ctx, this, socket));
    this.purgeTimer = setInterval(() => void this.purge(), PURGE_EVERY_MS);
    this.purgeTimer.unref();
    return this;
  }

  /** Running totals for /metrics (src/metrics/realtime.ts), read at each scrape. */
  totals(): RealtimeTotals {
    return {
      sockets: this.io.engine.clientsCount,
      chain: this.chainStats,
      fanOut: this.fanOut.stats,
      log: this.log.stats,
      logBacklog: this.log.backlog(),
    };
  }

  /** Stop taking events, then let the ones already queued finish before the database closes. */
  async close(): Promise<void> {
    this.unsubscribe?.();
    this.unsubscribe = null;
    if (this.purgeTimer) clearInterval(this.purgeTimer);
    for (const [tenantId, timer] of this.held) {
      clearTimeout(timer);
      this.release(tenantId);
    }
    await Promise.allSettled([...this.chains.values()]);
    await this.log.close();
    await this.relay?.close();
  }

  /** Run `task` after every earlier task of the tenant (events and resumes alike). */
  private enqueue(tenantId: number, kind: string, task: () => Promise<void>): Promise<void> {
    const prev = this.chains.get(tenantId) ?? Promise.resolve();
    const queued = performance.now();
    const timed = async () => {
      const start = performance.now();
      try {
        await task();
      } finally {
        const end = performance.now();
        const t = (this.chainStats[kind] ??= { tasks: 0, waitMs: 0, runMs: 0, maxRunMs: 0 });
        t.tasks++;
        t.waitMs += start - queued;
        t.runMs += end - start;
        if (end - start > t.maxRunMs) t.maxRunMs = end - start;
      }
    };
    const next = prev.then(timed).catch((err: unknown) => {
      this.ctx.logger.error({ err, tenantId }, 'realtime task failed');
    });
    this.chains.set(tenantId, next);
    void next.finally(() => {
      if (this.chains.get(tenantId) === next) this.chains.delete(tenantId);
    });
    return next;
  }

  /**
   * Build the event's wire payload now, so its lookups (cached ids, the ready flags) overlap the other events'
   * instead of waiting in line, and push it in the tenant's chain, in publish order.
   */
  private prepare(tenantId: number, kind: string, build: () => Promise<Pending>): void {
    const ready = build();
    ready.catch(() => undefined); // reported by the chain task that awaits it
    void this.enqueue(tenantId, kind, async () => this.push(tenantId, await ready));
  }

  private onDomainEvent(e: Envelope): void {
    const t = e.tenantId;
    if (e.type === 'call.created' || e.type === 'call.answered' || e.type === 'call.ended') {
      const env = e as Envelope<'call.created'>;
      this.prepare(t, 'call', () => this.callEvent(t, CALL_EVENT_NAMES[e.type as 'call.created'], env));
      // A transfer's leg ends with its call.
      if (e.type === 'call.ended') this.pushLegs(t, this.legs.ended(env.payload));
    } else if (e.type === 'call.transferred') {
      this.pushLegs(t, this.legs.transferred((e as Envelope<'call.transferred'>).payload));
    } else if (e.type === 'agent.status_changed') {
      this.prepare(t, 'agent-status', () => this.agentStatusEvent(e as Envelope<'agent.status_changed'>));
    } else if (isCallbackEvent(e.type)) {
      const type = e.type;
      const p = (e as Envelope<typeof type>).payload;
      this.prepare(t, 'callback', async () => {
        const uid = p.agentId === null ? null : await this.agentUidOf(t, p.agentId);
        const wire = callbackWire(type, await this.accountOf(t), p, uid);
        return { event: CALLBACK_EVENT, key: String(p.callbackId), wire, at: p.at };
      });
    } else if (e.type === 'voicemail.left') {
      const p = (e as Envelope<'voicemail.left'>).payload;
      this.prepare(t, 'voicemail', async () => {
        const wire = voicemailWire(await this.accountOf(t), p);
        return { event: VOICEMAIL_EVENT, key: String(p.voicemailId), wire, at: p.at };
      });
    } else if (e.type === 'call.dtmf') {
      const p = (e as Envelope<'call.dtmf'>).payload;
      this.prepare(t, 'dtmf', async () => ({
        event: DTMF_EVENT,
        key: p.callId,
        wire: dtmfWire(await this.accountOf(t), p),
        at: p.at,
      }));
    }
  }

  private async accountOf(tenantId: number): Promise<string> {
    let id = this.accounts.get(tenantId);
    if (!id) {
      id = (await getTenant(this.ctx.db, tenantId)).account_id;
      this.accounts.set(tenantId, id);
    }
    return id;
  }

  private async agentUidOf(tenantId: number, agentId: number): Promise<string | null> {
    const key = `${tenantId}:${agentId}`;
    let uid = this.agentUids.get(key);
    if (uid === undefined) {
      uid = await getAgentById(this.ctx.db, tenantId, agentId).then(
        (a) => a.uid,
        () => '',
      );
      if (this.agentUids.size > 50_000) this.agentUids.clear();
      if (uid) this.agentUids.set(key, uid);
    }
    return uid || null;
  }

  private async callEvent(
    tenantId: number,
    event: WireEventName,
    e: Envelope<'call.created'>,
  ): Promise<Pending> {
    const p = e.payload;
    const agentUid = p.agentId === null ? null : await this.agentUidOf(tenantId, p.agentId);
    const wire = callWire(event as 'CHANNEL_CREATE', await this.accountOf(tenantId), p, agentUid);
    return { event, key: p.callId, wire, at: p.at };
  }

  private pushLegs(tenantId: number, events: LegEvent[]): void {
    for (const l of events) {
      this.prepare(tenantId, 'leg', async () => {
        const uid = l.agentId === null ? null : await this.agentUidOf(tenantId, l.agentId);
        const wire = legWire(await this.accountOf(tenantId), l, uid);
        return { event: l.event, key: l.legCallId, wire, at: l.payload.at };
      });
    }
  }

  /** A status's ready flag, memoised until the next commit (on PostgreSQL a round trip when it is not). */
  private readyOf(tenantId: number, name: string): Promise<number | null> {
    return this.ready.get(`${tenantId}|${name}`, () => statusIsReady(this.ctx.db, tenantId, name));
  }

  private async agentStatusEvent(e: Envelope<'agent.status_changed'>): Promise<Pending> {
    const p = e.payload;
    const [previous, current, account] = await Promise.all([
      this.readyOf(e.tenantId, p.previous),
      this.readyOf(e.tenantId, p.current),
      this.accountOf(e.tenantId),
    ]);
    const wire = agentStatusWire(account, p, { previous, current });
    return { event: AGENT_STATUS_EVENT, key: p.agentUid, wire, at: p.at };
  }

  /**
   * Queue the event for the tenant's next flush, which the first queued event schedules at the end of the chain:
   * events published together (a call's end moves its agent too) go out together, in chain order. A flush leaves at least
   * `realtimeBatchMs` after the tenant's previous one (an event after a quiet spell at once): on a busy floor the
   * events of that span share one write per socket, which is what 1,000 subscribed sockets cost (docs/performance.md).
   * After a batch that took longer than that to write, the next waits as long as it took: the fan-out keeps at most
   * half of the thread, and the calls, SIP and the database clients the rest.
   * The wait is on the wall clock (it paces socket writes, it decides nothing); a resume releases it first.
   */
  private push(tenantId: number, pending: Pending): void {
    let batch = this.pending.get(tenantId);
    if (!batch) {
      this.pending.set(tenantId, (batch = []));
      const wait = (this.nextSlot.get(tenantId) ?? -Infinity) - performance.now();
      if (wait <= 0 || this.unsubscribe === null) this.release(tenantId);
      else {
        const timer = setTimeout(() => this.release(tenantId), wait);
        this.held.set(tenantId, timer);
      }
    }
    batch.push(pending);
  }

  private release(tenantId: number): void {
    this.held.delete(tenantId);
    void this.enqueue(tenantId, 'flush', () => this.flush(tenantId));
  }

  /**
   * Number the batch in memory (ids reserved ahead in the log's sequence: no round trip while the block lasts),
   * deliver it, and hand it to the log writer, which persists it behind and relays it to the other nodes once it
   * is in the log. Delivery no longer waits on the insert; what a crash in between costs is in docs/decisions.md.
   */
  private async flush(tenantId: number): Promise<void> {
    const batch = this.pending.get(tenantId) ?? [];
    this.pending.delete(tenantId);
    // From the start: events queued while this batch is numbered wait for the next slot, not right behind it.
    const start = performance.now();
    this.nextSlot.set(tenantId, start + this.ctx.config.realtimeBatchMs);
    if (batch.length === 0) return;
    const ids = await this.ids.take(tenantId, batch.length);
    // The data is the event's only argument (Kazoo clients take exactly one); its event_id is the resume point.
    const items = batch.map((b, i) => ({
      event: b.event,
      key: b.key,
      payload: { ...b.wire, event_id: ids[i]! } as WirePayload,
      rooms: roomsFor(tenantId, b.event, b.key),
    }));
    const sending = performance.now();
    this.fanOut.send(items);
    const sent = performance.now();
    if (sent - sending > this.ctx.config.realtimeBatchMs)
      this.nextSlot.set(tenantId, sent + (sent - sending));
    this.log.append(
      tenantId,
      batch.map((b, i) => ({
        id: ids[i]!,
        type: b.event,
        payload: JSON.stringify({ key: b.key, wire: b.wire }),
        at: b.at,
        item: items[i]!,
      })),
    );
  }

  /** The batch is in the log: now other nodes may emit it (a client resuming there finds it in the log). */
  private relayPersisted(
    tenantId: number,
    items: { event: WireEventName; key: string; payload: WirePayload }[],
  ) {
    if (!this.relay) return;
    for (const { event, key, payload } of items) this.relay.publish({ tenantId, event, key, payload });
  }

  /**
   * This node took the tenant over (its lease): number its next events above every id reserved until now, also
   * those the previous owner delivered and never logged. In its chain: no event of the tenant is numbered before.
   */
  tenantGained(tenantId: number): void {
    void this.enqueue(tenantId, 'take-over', () => this.ids.takeOver(tenantId));
  }

  /** Another node's event, already persisted there: emit it here, except to sockets whose replay included it. */
  private emitRelayed(e: RelayedEvent): void {
    this.ids.seen(e.tenantId, e.payload.event_id);
    const now = Date.now();
    const except = new Set<string>();
    for (const [socketId, m] of this.resumeMarks) {
      if (now - m.at > 60_000) this.resumeMarks.delete(socketId);
      else if (m.tenantId === e.tenantId && m.upTo >= e.payload.event_id) except.add(socketId);
    }
    this.fanOut.send([
      { event: e.event, payload: e.payload, rooms: roomsFor(e.tenantId, e.event, e.key), except },
    ]);
  }

  /**
   * Join the socket to its targets' rooms. With `since`, first replay the tenant's retained events after that
   * offset that match the targets — inside the tenant's chain, so nothing is emitted between replay and join —
   * page after page, so a long absence is replayed whole rather than cut at one page.
   */
  async join(
    socket: RealtimeSocket,
    tenantId: number,
    targets: Target[],
    since: number | null,
  ): Promise<number> {
    const rooms = targets.map((t) => roomOf(tenantId, t));
    if (since === null) {
      await socket.join(rooms);
      return 0;
    }
    let replayed = 0;
    // Events held back for the next batch go first: a resume replays everything published before it.
    const held = this.held.get(tenantId);
    if (held) {
      clearTimeout(held);
      this.release(tenantId);
    }
    await this.enqueue(tenantId, 'resume', async () => {
      // Delivered is not yet logged: the replay reads the log once what this node numbered is in it.
      await this.log.settled(tenantId);
      const notBefore = this.ctx.clock.now() - EVENT_LOG_RETENTION_MS;
      let upTo = since;
      for (;;) {
        const rows = await eventsSince(this.ctx.db, tenantId, upTo, notBefore);
        replayed += this.replay(socket, targets, rows);
        upTo = rows.at(-1)?.id ?? upTo;
        if (rows.length < REPLAY_LIMIT || !socket.connected) break;
      }
      await socket.join(rooms);
      if (this.relay) this.resumeMarks.set(socket.id, { tenantId, upTo, at: Date.now() });
    });
    return replayed;
  }

  /** Emit the logged rows the targets select to this one socket; returns how many went. */
  private replay(socket: RealtimeSocket, targets: Target[], rows: LoggedEvent[]): number {
    let n = 0;
    for (const r of rows) {
      const { key, wire } = JSON.parse(r.payload) as { key: string; wire: Unnumbered };
      if (!matches(targets, r.type, key)) continue;
      (socket.emit as (ev: string, p: WirePayload) => boolean)(r.type, {
        ...wire,
        event_id: r.id,
      } as WirePayload);
      n++;
    }
    return n;
  }

  private async purge(): Promise<void> {
    try {
      await purgeEvents(this.ctx.db, WIRE_TYPES, this.ctx.clock.now() - EVENT_LOG_RETENTION_MS);
    } catch (err) {
      this.ctx.logger.warn({ err }, 'event log cleanup failed');
    }
  }
}

/** Wire realtime into a running server; the returned gateway's close() belongs in the shutdown sequence. */
export function attachRealtime(ctx: AppContext, io: Server): RealtimeGateway {
  return new RealtimeGateway(ctx, io).start();
}
