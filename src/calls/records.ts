import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { insertCallRecord } from '../domain/call-history.js';
import type { CallEventPayload, EventBus } from '../domain/events.js';
import type { Db } from '../store/db.js';
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
  misses: number;
  reason: string | null;
}

export interface CallEnd {
  cause: HangupCause;
  by: HangupBy;
  sipCode?: number | null;
  reason?: string | null;
}

export interface RecordDeps {
  db: Db;
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
  private cause: HangupCause | null = null;
  private writes: Promise<void>;

  constructor(
    private readonly d: RecordDeps,
    readonly start: CallStart,
  ) {
    this.createdAt = d.clock.now();
    this.agentId = start.agentId ?? null;
    this.queueId = start.queueId ?? null;
    this.writes = this.write(async () => {
      await insertCallRecord(d.db, start.tenantId, {
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
    this.writes = this.write(() =>
      this.d.db
        .updateTable('calls')
        .set({ answered_at: at, agent_id: agentId })
        .where('call_id', '=', this.callId)
        .execute(),
    );
    this.publish('call.answered');
  }

  /** End the call once; later calls are ignored (both legs may report the end). */
  end(e: CallEnd): void {
    if (this.ended) return;
    const now = this.d.clock.now();
    this.endedAt = now;
    const duration = Math.round((now - this.createdAt) / 1000);
    const billing = this.answeredAt === null ? 0 : Math.round((now - this.answeredAt) / 1000);
    const detail: StatusDetail = statusDetailOf(this.answeredAt !== null, e.cause, e.by);
    this.cause = e.cause;
    this.writes = this.write(() =>
      this.d.db
        .updateTable('calls')
        .set({
          ended_at: now,
          duration_sec: duration,
          billing_sec: billing,
          hangup_cause: e.cause,
          hangup_by: e.by,
          status_detail: detail,
          sip_code: e.sipCode ?? null,
          reason: e.reason ?? null,
          agent_id: this.agentId,
          queue_id: this.queueId,
          queue_stat: this.queueStat ? JSON.stringify({ ...this.queueStat, hangup_by: e.by }) : null,
          recording_id: this.recordingId,
        })
        .where('call_id', '=', this.callId)
        .execute(),
    );
    this.publish('call.ended');
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

  private publish(type: 'call.created' | 'call.answered' | 'call.ended'): void {
    const s = this.start;
    const payload: CallEventPayload = {
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
    this.d.bus.publish(s.tenantId, type, payload);
  }
}

/**
 * Crash recovery: close calls still open in the database that no live node runs (their process died) with
 * NORMAL_TEMPORARY_FAILURE, and announce the end, so no record stays open forever. `owners`: the dead nodes
 * whose calls to close (null: records no node claims).
 */
export async function closeInterruptedCalls(
  d: RecordDeps,
  owners: readonly (string | null)[],
): Promise<number> {
  const ids = owners.filter((o): o is string => o !== null);
  const orphans = owners.includes(null);
  if (ids.length === 0 && !orphans) return 0;
  const open = await d.db
    .selectFrom('calls')
    .selectAll()
    .where('ended_at', 'is', null)
    .where((eb) =>
      eb.or([
        ...(ids.length ? [eb('node_id', 'in', ids)] : []),
        ...(orphans ? [eb('node_id', 'is', null)] : []),
      ]),
    )
    .execute();
  const now = d.clock.now();
  for (const c of open) {
    const cause: HangupCause = 'NORMAL_TEMPORARY_FAILURE';
    await d.db
      .updateTable('calls')
      .set({
        ended_at: now,
        duration_sec: Math.round((now - c.created_at) / 1000),
        billing_sec: c.answered_at === null ? 0 : Math.round((now - c.answered_at) / 1000),
        hangup_cause: cause,
        hangup_by: 'system',
        status_detail: statusDetailOf(c.answered_at !== null, cause),
        reason: 'interrupted: the tongdai node running the call stopped or restarted',
      })
      .where('id', '=', c.id)
      .where('ended_at', 'is', null)
      .execute();
    d.bus.publish(c.tenant_id, 'call.ended', {
      callId: c.call_id,
      direction: c.direction as Direction,
      callerNumber: c.caller_number,
      destinationNumber: c.callee_number,
      didNumber: c.did_number,
      queueId: c.queue_id,
      agentId: c.agent_id,
      createdAt: c.created_at,
      answeredAt: c.answered_at,
      endedAt: now,
      durationSec: Math.round((now - c.created_at) / 1000),
      hangupCause: cause,
      at: now,
    });
  }
  return open.length;
}
