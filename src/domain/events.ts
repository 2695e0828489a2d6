/** The typed events the domain publishes; consumers (Socket.IO, webhooks, stats, dashboard) subscribe. */
export interface DomainEvents {
  'agent.status_changed': {
    agentId: number;
    agentUid: string;
    extension: string;
    previous: string;
    current: string;
    changedBy: string;
    at: number;
  };
  'agent.changed': { agentId: number; at: number };
  'queue.changed': { queueId: number; at: number };
  'call.created': CallEventPayload;
  'call.answered': CallEventPayload;
  'call.ended': CallEventPayload;
  /** A DTMF digit received on a bridged call (published by src/calls, never by the media engine). */
  'call.dtmf': { callId: string; leg: 'caller' | 'agent'; digit: string; durationMs: number; at: number };
  /** A supervisor joined a live call, switched mode, or left it (src/calls/monitor.ts; docs/monitoring.md). */
  'call.monitor_started': MonitorEventPayload;
  'call.monitor_changed': MonitorEventPayload;
  'call.monitor_stopped': MonitorEventPayload;
  /** A transfer of a live call completed: the caller is with the new side now (or waits in the target queue) (src/calls/call.ts, docs/calls.md). */
  'call.transferred': {
    callId: string;
    /** The agent who transferred the call (null: no agent had it). */
    fromAgentId: number | null;
    /** The agent who has it now (null: an external number, or a queue whose agents were not offered it yet). */
    toAgentId: number | null;
    toKind: 'agent' | 'queue' | 'number';
    /** The queue the caller re-entered (kind `queue`). */
    toQueueId: number | null;
    toNumber: string | null;
    /** The destination as listed in the call's transfers (`agent 1002`, `queue 3`, a number). */
    to: string;
    kind: 'blind' | 'attended';
    /** Who asked: the native API (or console), the agent's phone (REFER), an attended transfer (REFER/Replaces). */
    by: 'api' | 'refer' | 'attended';
    /** The new leg's own id (`<call id>-t<n>`, n: the transfer's place in the call's list), for CHANNEL_* events. */
    legCallId: string;
    /** The call as it stands now (its id, numbers, queue, the new agent). */
    call: CallEventPayload;
    at: number;
  };
  /** Recording control on a live call (src/calls/recording-control.ts). */
  'call.recording_started': RecordingEventPayload;
  'call.recording_paused': RecordingEventPayload;
  'call.recording_resumed': RecordingEventPayload;
  /** Queued callback (src/calls/callback-flow.ts, docs/ivr.md): asked for, offered to an agent, done or given up. */
  'callback.requested': CallbackEventPayload;
  'callback.offered': CallbackEventPayload;
  /** The customer was busy or did not answer: the callback waits for its next attempt (`outcome` says why). */
  'callback.retrying': CallbackEventPayload;
  'callback.completed': CallbackEventPayload;
  'callback.failed': CallbackEventPayload;
  /** A caller left a voicemail in an IVR flow (src/calls/voicemail.ts, docs/ivr.md). */
  'voicemail.left': VoicemailEventPayload;
}

export interface VoicemailEventPayload {
  voicemailId: number;
  callId: string;
  callerNumber: string;
  mailbox: string | null;
  durationMs: number;
  /** The recording's public name (its signed link comes from `GET /api/voicemails`). */
  recordingName: string;
  at: number;
}

export interface CallbackEventPayload {
  callbackId: number;
  queueId: number;
  number: string;
  /** The call whose caller asked for it. */
  callId: string;
  /** The agent offered (offered) or who handled it (completed), else null. */
  agentId: number | null;
  attempts: number;
  /** Why it failed (`no_answer`, `busy`, `queue: max_wait`, …); null otherwise. */
  outcome: string | null;
  at: number;
}

export interface MonitorEventPayload {
  callId: string;
  supervisorAgentId: number;
  /** The agent being monitored (null when the call has none). */
  agentId: number | null;
  mode: 'listen' | 'whisper' | 'barge';
  /** For `call.monitor_changed`: the mode before. */
  previousMode: 'listen' | 'whisper' | 'barge' | null;
  /** How it was started: the native API or a feature code dialled on the supervisor's phone. */
  via: 'api' | 'feature_code';
  at: number;
}

export interface RecordingEventPayload {
  callId: string;
  recordingId: number;
  /** Milliseconds into the recording file where this happened. */
  offsetMs: number | null;
  at: number;
}

export interface CallEventPayload {
  callId: string;
  direction: 'inbound' | 'outbound' | 'internal';
  callerNumber: string;
  destinationNumber: string;
  didNumber: string | null;
  queueId: number | null;
  agentId: number | null;
  createdAt: number;
  answeredAt: number | null;
  endedAt: number | null;
  durationSec: number | null;
  hangupCause: string | null;
  at: number;
}

export type EventType = keyof DomainEvents;
export interface Envelope<K extends EventType = EventType> {
  tenantId: number;
  type: K;
  payload: DomainEvents[K];
}

type Handler = (e: Envelope) => void;

/**
 * In-process event bus. Dispatch is synchronous, so each tenant's events reach every subscriber in the order
 * they were published; a failing subscriber is reported and never stops the others.
 */
export class EventBus {
  private readonly handlers = new Set<Handler>();
  constructor(private readonly onError: (err: unknown, e: Envelope) => void = () => undefined) {}

  publish<K extends EventType>(tenantId: number, type: K, payload: DomainEvents[K]): void {
    const env = { tenantId, type, payload } as Envelope;
    for (const h of this.handlers) {
      try {
        h(env);
      } catch (err) {
        this.onError(err, env);
      }
    }
  }

  /** Subscribe to every event; returns the unsubscribe function. */
  subscribe(handler: Handler): () => void {
    this.handlers.add(handler);
    return () => this.handlers.delete(handler);
  }

  /** Subscribe to one event type. */
  on<K extends EventType>(
    type: K,
    handler: (tenantId: number, payload: DomainEvents[K]) => void,
  ): () => void {
    return this.subscribe((e) => {
      if (e.type === type) handler(e.tenantId, e.payload as DomainEvents[K]);
    });
  }
}
