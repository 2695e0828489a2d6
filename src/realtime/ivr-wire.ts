import { gregorianSeconds } from '../domain/dashboard.js';
import type { CallbackEventPayload, DomainEvents, VoicemailEventPayload } from '../domain/events.js';
import { CALLBACK_EVENT, type CallbackWire, VOICEMAIL_EVENT, type VoicemailWire } from './protocol.js';

type Unnumbered<T> = Omit<T, 'event_id'>;
export type CallbackEventType = Extract<keyof DomainEvents, `callback.${string}`>;

/** Each callback event's action and the state the callback is in after it. */
const CALLBACK_WIRE: Record<CallbackEventType, Pick<CallbackWire, 'action' | 'state'>> = {
  'callback.requested': { action: 'requested', state: 'waiting' },
  'callback.offered': { action: 'offered', state: 'offered' },
  'callback.retrying': { action: 'retrying', state: 'retry_wait' },
  'callback.completed': { action: 'completed', state: 'completed' },
  'callback.failed': { action: 'failed', state: 'failed' },
};

export const isCallbackEvent = (type: string): type is CallbackEventType => type in CALLBACK_WIRE;

const stamps = (at: number) => ({
  Timestamp: gregorianSeconds(at),
  unix_timestamp: Math.floor(at / 1000),
});

/** A queued callback's change as the Socket.IO `CALLBACK` event (snake_case, Kazoo-style stamps). */
export function callbackWire(
  type: CallbackEventType,
  accountId: string,
  p: CallbackEventPayload,
  agentUid: string | null,
): Unnumbered<CallbackWire> {
  return {
    event_name: CALLBACK_EVENT,
    account_id: accountId,
    ...stamps(p.at),
    callback_id: p.callbackId,
    ...CALLBACK_WIRE[type],
    queue_id: p.queueId,
    number: p.number,
    call_id: p.callId,
    agent_id: agentUid,
    attempts: p.attempts,
    outcome: p.outcome,
  };
}

/** A voicemail left in an IVR flow as the Socket.IO `VOICEMAIL` event. */
export function voicemailWire(accountId: string, p: VoicemailEventPayload): Unnumbered<VoicemailWire> {
  return {
    event_name: VOICEMAIL_EVENT,
    account_id: accountId,
    ...stamps(p.at),
    voicemail_id: p.voicemailId,
    call_id: p.callId,
    caller_id_number: p.callerNumber,
    mailbox: p.mailbox,
    duration_ms: p.durationMs,
    recording_name: p.recordingName,
  };
}
