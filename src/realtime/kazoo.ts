import { gregorianSeconds } from '../domain/dashboard.js';
import { antbuddyState, presenceOf } from '../domain/statuses.js';
import type { CallEventPayload, DomainEvents } from '../domain/events.js';
import type { AgentStatusWire, CallEventName, CallWire, DtmfWire } from './protocol.js';

/** Which domain events become which wire events. */
export const CALL_EVENT_NAMES: Record<'call.created' | 'call.answered' | 'call.ended', CallEventName> = {
  'call.created': 'CHANNEL_CREATE',
  'call.answered': 'CHANNEL_ANSWER',
  'call.ended': 'CHANNEL_DESTROY',
};

type Unnumbered<T> = Omit<T, 'event_id'>;

/**
 * A call event as Kazoo's blackhole sends it (snake_case). `Timestamp` is the call's start in Gregorian seconds,
 * as the AntBuddy document defines it; `event_timestamp` is when this event happened.
 */
export function callWire(
  event: CallEventName,
  accountId: string,
  p: CallEventPayload,
  agentUid: string | null,
): Unnumbered<CallWire> {
  // AntBuddy knows two directions: calls into the company, and calls its users place (internal ones included).
  const direction = p.direction === 'inbound' ? 'inbound' : 'outbound';
  const wire: Unnumbered<CallWire> = {
    event_name: event,
    account_id: accountId,
    call_id: p.callId,
    direction,
    call_direction: direction,
    call_class: p.direction === 'internal' ? 'one_one' : 'trunking',
    caller_id_number: p.callerNumber,
    caller_id_name: p.callerNumber,
    callee_id_number: p.destinationNumber,
    destination_number: p.destinationNumber,
    did_number: p.didNumber,
    queue_id: p.queueId,
    agent_id: agentUid,
    Timestamp: gregorianSeconds(p.createdAt),
    unix_timestamp: Math.floor(p.createdAt / 1000),
    event_timestamp: gregorianSeconds(p.at),
  };
  if (p.answeredAt !== null) wire.answered_timestamp = gregorianSeconds(p.answeredAt);
  if (event === 'CHANNEL_DESTROY') {
    const end = p.endedAt ?? p.at;
    const duration = p.durationSec ?? Math.max(0, Math.round((end - p.createdAt) / 1000));
    wire.duration = duration;
    wire.duration_seconds = duration;
    wire.billing_seconds = p.answeredAt === null ? 0 : Math.max(0, Math.round((end - p.answeredAt) / 1000));
    wire.hangup_cause = p.hangupCause ?? 'NORMAL_UNSPECIFIED';
  }
  return wire;
}

/** An agent status change, projected to the AntBuddy states (`isReady` flags of the custom statuses). */
export function agentStatusWire(
  accountId: string,
  p: DomainEvents['agent.status_changed'],
  ready: { previous: number | null; current: number | null },
): Unnumbered<AgentStatusWire> {
  return {
    event_name: 'AGENT_STATUS_CHANGED',
    account_id: accountId,
    agent_id: p.agentUid,
    extension: p.extension,
    status: antbuddyState(presenceOf(p.current, ready.current)),
    previous_status: antbuddyState(presenceOf(p.previous, ready.previous)),
    status_name: p.current,
    previous_status_name: p.previous,
    changed_by: p.changedBy,
    Timestamp: gregorianSeconds(p.at),
    unix_timestamp: Math.floor(p.at / 1000),
  };
}

/** A digit pressed on a call, under Kazoo's DTMF event fields. `Timestamp` is when the digit was received. */
export function dtmfWire(accountId: string, p: DomainEvents['call.dtmf']): Unnumbered<DtmfWire> {
  return {
    event_name: 'DTMF',
    account_id: accountId,
    call_id: p.callId,
    dtmf_digit: p.digit,
    dtmf_duration: p.durationMs,
    leg: p.leg,
    Timestamp: gregorianSeconds(p.at),
    unix_timestamp: Math.floor(p.at / 1000),
  };
}

/** One wire event of a transfer's new leg, under the leg's own id. */
export interface LegEvent {
  event: CallEventName;
  legCallId: string;
  payload: CallEventPayload;
  /** The agent of the leg (internal id), for its `agent_id`. */
  agentId: number | null;
}

/**
 * Kazoo-style channels of transfer legs: a transfer's new side is a channel of its own (call_id `<call>-t<n>`)
 * whose events name the call in `other_leg_call_id`. It is created and answered when the transfer completes and
 * destroyed when the call ends or a later transfer replaces it. Tracks the live legs by call id (bounded).
 */
export class TransferLegs {
  private readonly live = new Map<string, { legCallId: string; since: number; agentId: number | null }>();

  transferred(p: DomainEvents['call.transferred']): LegEvent[] {
    const out: LegEvent[] = [];
    const prev = this.live.get(p.callId);
    if (prev) out.push(this.destroy(prev, { ...p.call, hangupCause: 'NORMAL_CLEARING' }, p.at));
    const leg = { legCallId: p.legCallId, since: p.at, agentId: p.toAgentId };
    if (this.live.size > 50_000) this.live.clear();
    this.live.set(p.callId, leg);
    const base = { ...p.call, callId: p.callId, agentId: p.toAgentId, createdAt: p.at, at: p.at };
    out.push({
      event: 'CHANNEL_CREATE',
      legCallId: leg.legCallId,
      payload: { ...base, answeredAt: null },
      agentId: leg.agentId,
    });
    out.push({
      event: 'CHANNEL_ANSWER',
      legCallId: leg.legCallId,
      payload: { ...base, answeredAt: p.at },
      agentId: leg.agentId,
    });
    return out;
  }

  ended(p: CallEventPayload): LegEvent[] {
    const leg = this.live.get(p.callId);
    if (!leg) return [];
    this.live.delete(p.callId);
    return [this.destroy(leg, p, p.endedAt ?? p.at)];
  }

  private destroy(
    leg: { legCallId: string; since: number; agentId: number | null },
    p: CallEventPayload,
    end: number,
  ): LegEvent {
    const payload: CallEventPayload = {
      ...p,
      agentId: leg.agentId,
      createdAt: leg.since,
      answeredAt: leg.since,
      endedAt: end,
      durationSec: Math.max(0, Math.round((end - leg.since) / 1000)),
      at: end,
    };
    return { event: 'CHANNEL_DESTROY', legCallId: leg.legCallId, payload, agentId: leg.agentId };
  }
}

/** A leg's wire event: the call's fields under the leg's id, with the call's id as the other leg. */
export function legWire(accountId: string, e: LegEvent, agentUid: string | null): Unnumbered<CallWire> {
  const wire = callWire(e.event, accountId, { ...e.payload, callId: e.legCallId }, agentUid);
  wire.other_leg_call_id = e.payload.callId;
  return wire;
}
