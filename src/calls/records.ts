import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CallRecordStore } from '../domain/call-store.js';
import type { CallEventPayload, EventBus } from '../domain/events.js';
import { type TransferEntry, storedTransfers } from '../domain/call-transfers.js';
import { type HangupCause, type StatusDetail, statusDetailOf } from './q850.js';

export type Direction = CallEventPayload['direction'];
export type HangupBy = 'caller' | 'callee' | 'system';

export interface CallStart {
  tenantId: number;
  direction: Direction;
  callerNumber: string;
  callerAgentId?: number | null;
  calleeNumber: string;
  calleeAgentId?: number | null;
  didNumber?: string | null;
  queueId?: number | null;
  agentId?: number | null;
}

/** The queue statistics of a queued call (AntBuddy's `queue_stat`), written with the call's end. */
export interface QueueStat {
  outcome: string;
  wait_sec: number;
  entered: number;
  handled: number;
  /** Each offer that missed: agent (internal id), when (epoch ms), why. */
  misses: { agent_id: number; at: number; reason: string }[];
  reason: string | null;
}

export interface CallEnd {
  cause: HangupCause;
  by: HangupBy;
  sipCode?: number | null;
  reason?: string | null;
}

/** What a call record writes through and announces on. */
export interface RecordDeps {
  store: Pick<CallRecordStore, 'insertCall' | 'markAnswered' | 'markEnded'>;
  nodeId?: string;
  bus: EventBus;
  clock: Clock;
  logger: Logger;
}

/**
 * One call's record (DESIGN.md's Call): inserted when the call starts, updated on answer and end, with the
 * `call.created` → `call.answered` → `call.ended` events under the same call id. Events are published at once
 * (in order, synchronously); the row writes are chained so the update never overtakes the insert.
 */
export class CallRecord {
  readonly callId = randomUUID();
  readonly createdAt: number;
  answeredAt: number | null = null;
  endedAt: number | null = null;
  agentId: number | null;
  queueId: number | null;
  queueStat: QueueStat | null = null;
  recordingId: number | null = null;
  /** The call's transfers, oldest first (changed by the call's transfer methods; stored with the end). */
  readonly transfers: TransferEntry[] = [];
  /** The caller is in an IVR flow: an end now is AntBuddy's `IVR` (reached the system, nobody picked up). */
  inIvr = false;
  private cause: HangupCause | null = null;
  private by: HangupBy | null = null;
  private sipCode: number | null = null;
  private reason: string | null = null;
  private writes: Promise<void>;

  constructor(
    private readonly d: RecordDeps,
    readonly start: CallStart,
  ) {
    this.createdAt = d.clock.now();
    this.agentId = start.agentId ?? null;
    this.queueId = start.queueId ?? null;
    this.writes = this.write(async () => {
      await d.store.insertCall(start.tenantId, {
        callId: this.callId,
        nodeId: d.nodeId ?? null,
        direction: start.direction,
        callerNumber: start.callerNumber,
        callerAgentId: start.callerAgentId,
        calleeNumber: start.calleeNumber,
        calleeAgentId: start.calleeAgentId,
        didNumber: start.didNumber,
        queueId: this.queueId,
        agentId: this.agentId,
        createdAt: this.createdAt,
      });
    });
    this.publish('call.created');
  }

  get ended(): boolean {
    return this.endedAt !== null;
  }

  answered(agentId: number | null = this.agentId): void {
    if (this.answeredAt !== null || this.ended) return;
    this.answeredAt = this.d.clock.now();
    this.agentId = agentId;
    const at = this.answeredAt;
    this.writes = this.write(() => this.d.store.markAnswered(this.start.tenantId, this.callId, at, agentId));
    this.publish('call.answered');
  }

  /**
   * The call is counted for another agent from now on (a transfer completed, or the queue a transfer sent it to
   * answered): kept here and written to the call's row at once.
   */
  reassigned(agentId: number | null): void {
    if (this.ended || this.answeredAt === null || agentId === null) return;
    this.agentId = agentId;
    const at = this.answeredAt;
    this.writes = this.write(() => this.d.store.markAnswered(this.start.tenantId, this.callId, at, agentId));
  }

  /** End the call once; later calls are ignored (both legs may report the end). */
  end(e: CallEnd): void {
    if (this.ended) return;
    const now = this.d.clock.now();
    this.endedAt = now;
    const duration = Math.round((now - this.createdAt) / 1000);
    const billing = this.answeredAt === null ? 0 : Math.round((now - this.answeredAt) / 1000);
    const detail: StatusDetail =
      this.inIvr && this.answeredAt === null
        ? 'IVR'
        : statusDetailOf(this.answeredAt !== null, e.cause, e.by);
    this.cause = e.cause;
    this.by = e.by;
    this.sipCode = e.sipCode ?? null;
    this.reason = e.reason ?? null;
    this.writes = this.write(() =>
      this.d.store.markEnded(this.start.tenantId, this.callId, {
        endedAt: now,
        durationSec: duration,
        billingSec: billing,
        hangupCause: e.cause,
        hangupBy: e.by,
        statusDetail: detail,
        sipCode: e.sipCode ?? null,
        reason: e.reason ?? null,
        agentId: this.agentId,
        queueId: this.queueId,
        queueStat: this.queueStat ? { ...this.queueStat, hangup_by: e.by } : null,
        recordingId: this.recordingId,
        transfers: storedTransfers(this.transfers),
      }),
    );
    this.publish('call.ended');
  }

  /**
   * A transfer completed: the new side has the caller, or (a queue) the caller waits for the queue's agents.
   * Announced as `call.transferred`.
   */
  transferred(t: TransferEntry, kind: 'blind' | 'attended'): void {
    if (this.ended) return;
    const n = this.transfers.indexOf(t) + 1;
    this.d.bus.publish(this.start.tenantId, 'call.transferred', {
      callId: this.callId,
      fromAgentId: t.fromAgentId,
      toAgentId: t.toAgentId,
      toKind: t.toKind,
      toQueueId: t.toQueueId,
      toNumber: t.toNumber,
      to: t.to,
      kind,
      by: t.by,
      legCallId: `${this.callId}-t${n}`,
      call: this.payload(),
      at: this.d.clock.now(),
    });
  }

  /** A DTMF digit received on the call, from the caller's or the agent's side. */

  dtmf(leg: 'caller' | 'agent', digit: string, durationMs: number): void {
    if (this.ended) return;
    this.d.bus.publish(this.start.tenantId, 'call.dtmf', {
      callId: this.callId,
      leg,
      digit,
      durationMs,
      at: this.d.clock.now(),
    });
  }

  /** Resolves once every write so far reached the database. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private write(fn: () => Promise<unknown>): Promise<void> {
    const prev = this.writes ?? Promise.resolve();
    return prev
      .then(fn)
      .then(() => undefined)
      .catch((err: unknown) => this.d.logger.error({ err, callId: this.callId }, 'call record write failed'));
  }

  private payload(): CallEventPayload {
    const s = this.start;
    return {
      callId: this.callId,
      direction: s.direction,
      callerNumber: s.callerNumber,
      destinationNumber: s.calleeNumber,
      didNumber: s.didNumber ?? null,
      queueId: this.queueId,
      agentId: this.agentId,
      createdAt: this.createdAt,
      answeredAt: this.answeredAt,
      endedAt: this.endedAt,
      durationSec: this.endedAt === null ? null : Math.round((this.endedAt - this.createdAt) / 1000),
      hangupCause: this.cause,
      at: this.d.clock.now(),
    };
  }

  private publish(type: 'call.created' | 'call.answered' | 'call.ended'): void {
    const s = this.start;
    this.d.bus.publish(s.tenantId, type, this.payload());
    const log = { callId: this.callId, tenantId: s.tenantId, direction: s.direction };
    if (type === 'call.created') {
      this.d.logger.info({ ...log, caller: s.callerNumber, callee: s.calleeNumber }, 'call started');
    } else if (type === 'call.answered') {
      this.d.logger.info({ ...log, agentId: this.agentId }, 'call answered');
    } else {
      this.d.logger.info(
        { ...log, cause: this.cause, by: this.by, sipCode: this.sipCode, reason: this.reason },
        'call ended',
      );
    }
  }
}

/**
 * Crash recovery: close calls still open in the database that no live node runs (their process died) with
 * NORMAL_TEMPORARY_FAILURE, and announce the end, so no record stays open forever. `owners`: the dead nodes
 * whose calls to close (null: records no node claims).
 */
export async function closeInterruptedCalls(
  d: { store: Pick<CallRecordStore, 'openCalls' | 'closeOpenCall'>; bus: EventBus; clock: Clock },
  owners: readonly (string | null)[],
): Promise<number> {
  const open = await d.store.openCalls(owners);
  const now = d.clock.now();
  const cause: HangupCause = 'NORMAL_TEMPORARY_FAILURE';
  let closed = 0;
  for (const c of open) {
    const done = await d.store.closeOpenCall(c, {
      endedAt: now,
      hangupCause: cause,
      statusDetail: statusDetailOf(c.answeredAt !== null, cause),
      reason: 'interrupted: the tongdai node running the call stopped or restarted',
    });
    if (!done) continue;
    closed++;
    d.bus.publish(c.tenantId, 'call.ended', {
      callId: c.callId,
      direction: c.direction,
      callerNumber: c.callerNumber,
      destinationNumber: c.calleeNumber,
      didNumber: c.didNumber,
      queueId: c.queueId,
      agentId: c.agentId,
      createdAt: c.createdAt,
      answeredAt: c.answeredAt,
      endedAt: now,
      durationSec: Math.round((now - c.createdAt) / 1000),
      hangupCause: cause,
      at: now,
    });
  }
  return closed;
}
