import type { Server, Socket } from 'socket.io';

/** Kazoo "blackhole" call events, under the names AntBuddy clients listen for. */
export const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'] as const;
export type CallEventName = (typeof CALL_EVENTS)[number];
/** Agent status changes, bound with `agent.status_changed.*` (or `.<user id>`). */
export const AGENT_STATUS_EVENT = 'AGENT_STATUS_CHANGED';
/** A DTMF digit received on a call (Kazoo's `DTMF` call event), bound with `call.DTMF.*` or `call.*.*`. */
export const DTMF_EVENT = 'DTMF';
/** Everything a `call.` binding can select. */
export const CALL_BINDING_EVENTS = [...CALL_EVENTS, DTMF_EVENT] as const;
/** A queued callback changed state (docs/ivr.md), bound with `callback.*` or `callback.<callback id>`. */
export const CALLBACK_EVENT = 'CALLBACK';
/** A caller left a voicemail in an IVR flow (docs/ivr.md), bound with `voicemail.*` or `voicemail.<voicemail id>`. */
export const VOICEMAIL_EVENT = 'VOICEMAIL';
export type WireEventName =
  | CallEventName
  | typeof DTMF_EVENT
  | typeof AGENT_STATUS_EVENT
  | typeof CALLBACK_EVENT
  | typeof VOICEMAIL_EVENT;

/** What every pushed event carries. */
export interface WireBase {
  event_name: WireEventName;
  /**
   * The persisted offset, strictly increasing per server database. It travels inside the data (the event's only
   * argument); a reconnecting client resumes by subscribing with `last_event_id` set to the highest one it saw.
   */
  event_id: number;
  account_id: string;
  /** Gregorian seconds (unix + 62167219200). */
  Timestamp: number;
  unix_timestamp: number;
}

export interface CallWire extends WireBase {
  call_id: string;
  direction: 'inbound' | 'outbound';
  call_direction: 'inbound' | 'outbound';
  call_class: 'trunking' | 'one_one';
  caller_id_number: string;
  caller_id_name: string;
  callee_id_number: string;
  destination_number: string;
  did_number: string | null;
  queue_id: number | null;
  agent_id: string | null;
  /** Gregorian seconds of this event itself (Timestamp is the call's start). */
  event_timestamp: number;
  answered_timestamp?: number;
  duration?: number;
  duration_seconds?: number;
  billing_seconds?: number;
  hangup_cause?: string;
  /** A transfer's new leg: the call it belongs to (Kazoo's other_leg_call_id); call_id is the leg's own id. */
  other_leg_call_id?: string;
}

export interface AgentStatusWire extends WireBase {
  agent_id: string;
  extension: string;
  /** AntBuddy dashboard state: ready, logged_out, wrapup, connected, paused. */
  status: string;
  previous_status: string;
  /** The status as named in the tenant's list (Available, Lunch, In-call…). */
  status_name: string;
  previous_status_name: string;
  changed_by: string;
}

export interface DtmfWire extends WireBase {
  call_id: string;
  /** One of 0-9 * # A-D. */
  dtmf_digit: string;
  /** How long the key was held, in milliseconds. */
  dtmf_duration: number;
  /** Who pressed it: the caller (customer side) or the agent. */
  leg: 'caller' | 'agent';
}

export interface CallbackWire extends WireBase {
  callback_id: number;
  /** What happened: asked for, offered to an agent, the customer missed and a retry waits, done, given up. */
  action: 'requested' | 'offered' | 'retrying' | 'completed' | 'failed';
  /** The callback's state after it (as `GET /api/callbacks` shows it). */
  state: 'waiting' | 'offered' | 'retry_wait' | 'completed' | 'failed';
  queue_id: number;
  /** The customer's number (called back). */
  number: string;
  /** The call whose caller asked. */
  call_id: string;
  /** The agent offered or who handled it (AntBuddy user id), else null. */
  agent_id: string | null;
  attempts: number;
  outcome: string | null;
}

export interface VoicemailWire extends WireBase {
  voicemail_id: number;
  call_id: string;
  caller_id_number: string;
  mailbox: string | null;
  duration_ms: number;
  /** The recording's name (`GET /api/voicemails` gives its signed link). */
  recording_name: string;
}

export type WirePayload = CallWire | DtmfWire | AgentStatusWire | CallbackWire | VoicemailWire;

export interface SubscribeRequest {
  account_id?: unknown;
  auth_token?: unknown;
  binding?: unknown;
  bindings?: unknown;
  /** Resume: replay retained events after this `event_id` before live ones. */
  last_event_id?: unknown;
}

export interface SubscribeError {
  message: string;
  code:
    | 'invalid_request'
    | 'invalid_token'
    | 'account_mismatch'
    | 'invalid_binding'
    | 'auth_timeout'
    | 'internal';
  binding?: string;
}

export interface SubscribeResult {
  account_id: string;
  bindings: string[];
  replayed: number;
}

export type Ack<T> = (res: T) => void;

export interface ClientToServer {
  subscribe(
    req: SubscribeRequest,
    ack?: Ack<{ ok: true; result: SubscribeResult } | { ok: false; error: SubscribeError }>,
  ): void;
  unsubscribe(
    req: { binding?: unknown; bindings?: unknown },
    ack?: Ack<{ ok: boolean; bindings: string[] }>,
  ): void;
}

export interface ServerToClient {
  CHANNEL_CREATE(p: CallWire): void;
  CHANNEL_ANSWER(p: CallWire): void;
  CHANNEL_DESTROY(p: CallWire): void;
  DTMF(p: DtmfWire): void;
  AGENT_STATUS_CHANGED(p: AgentStatusWire): void;
  CALLBACK(p: CallbackWire): void;
  VOICEMAIL(p: VoicemailWire): void;
  subscribed(p: SubscribeResult): void;
  unsubscribed(p: { bindings: string[] }): void;
  subscribe_error(e: SubscribeError): void;
  /** Kazoo-style clients listen on `error`; the same payload as subscribe_error. */
  error(e: SubscribeError): void;
}

export interface SocketData {
  tenantId?: number;
  accountId?: string;
}

// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type RealtimeServer = Server<ClientToServer, ServerToClient, {}, SocketData>;
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export type RealtimeSocket = Socket<ClientToServer, ServerToClient, {}, SocketData>;

/** One thing a binding selects: an event, for every key (`*`) or one call id / agent user id. */
export interface Target {
  event: WireEventName;
  key: string;
}

const WILD = new Set(['*', '#', '']);

/**
 * Kazoo binding strings: `call.<EVENT|DTMF|*>.<call id|*>`, `call.*`, `call.#`, `agent.status_changed.<user id|*>`,
 * `agent.*`, `callback.<callback id|*>`, `voicemail.<voicemail id|*>`. Call ids may contain dots, so everything after the second dot is the key.
 */
export function parseBinding(binding: string): Target[] | null {
  const b = binding.trim();
  if (!b || b.length > 256) return null;
  const [domain, event = '*', ...rest] = b.split('.');
  const key = WILD.has(rest.join('.')) ? '*' : rest.join('.');
  if (domain === 'call') {
    if (event === '*' || event === '#') return CALL_BINDING_EVENTS.map((e) => ({ event: e, key }));
    return (CALL_BINDING_EVENTS as readonly string[]).includes(event)
      ? [{ event: event as (typeof CALL_BINDING_EVENTS)[number], key }]
      : null;
  }
  if (domain === 'callback' || domain === 'voicemail') {
    // `callback.*`, `callback.<id>`: everything after the first dot is the key.
    const k = [event, ...rest].join('.');
    return [{ event: domain === 'callback' ? CALLBACK_EVENT : VOICEMAIL_EVENT, key: WILD.has(k) ? '*' : k }];
  }
  if (domain === 'agent') {
    if (event === '*' || event === '#' || event === 'status_changed')
      return [{ event: AGENT_STATUS_EVENT, key }];
    return null;
  }
  return null;
}

export const roomOf = (tenantId: number, t: Target): string => `t:${tenantId}:${t.event}:${t.key}`;

/** The rooms an event is delivered to: everyone bound to the event, and everyone bound to its key. */
export function roomsFor(tenantId: number, event: WireEventName, key: string): string[] {
  return [roomOf(tenantId, { event, key: '*' }), roomOf(tenantId, { event, key })];
}

export function matches(targets: readonly Target[], event: string, key: string): boolean {
  return targets.some((t) => t.event === event && (t.key === '*' || t.key === key));
}
