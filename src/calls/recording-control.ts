import type { Clock } from '../clock.js';
import type { EventBus } from '../domain/events.js';
import { DomainError, notFound } from '../errors.js';
import type { RecordingResult, RecordingState } from '../media/engine.js';
import type { Call } from './call.js';
import { requireConnected } from './monitor.js';

export type RecordingAction = 'pause' | 'resume' | 'start';

/** Where recordings go: a row and a file path, completed with the result (src/media/recordings.ts). */
export interface RecordingFiles {
  open(tenantId: number, callId: string): Promise<{ id: number; path: string }>;
  finish(tenantId: number, id: number, r: RecordingResult): Promise<void>;
}

export interface RecordingControlDeps {
  clock: Clock;
  bus: EventBus;
  files: RecordingFiles;
  /** A live (or recently ended) call of the tenant by id; another tenant's call is not found. */
  findCall(tenantId: number, callId: string): Call | undefined;
}

export interface RecordingView {
  callId: string;
  recordingId: number | null;
  state: RecordingState;
}

/**
 * Recording control on a live call: pause (the span until resume is silence in the file and noted on the
 * recording's row), resume, and start on demand for a call that is not being recorded. Each answers 409 naming the
 * state when the call's or the recording's state does not allow it.
 */
export class RecordingControl {
  constructor(private readonly d: RecordingControlDeps) {}

  async act(tenantId: number, callId: string, action: RecordingAction): Promise<RecordingView> {
    const call = this.d.findCall(tenantId, callId);
    if (!call) throw notFound(`call ${callId}`);
    requireConnected(call, `recording ${action}`);
    const bridge = call.mediaBridge!;
    const state = bridge.recordingState;
    const refuse = (why: string) =>
      new DomainError('CONFLICT', `the recording is ${state}: ${why}`, 'invalid_transition', {
        state: call.state,
        recording: state,
      });
    if (action === 'start') {
      if (state !== 'off') throw refuse('it is already started');
      await call.startRecording(
        () => this.d.files.open(tenantId, callId),
        (id, r) => this.d.files.finish(tenantId, id, r),
      );
      if (call.mediaBridge?.recordingState !== 'recording') {
        requireConnected(call, 'recording start');
        throw refuse('the recorder could not start (see the log)');
      }
      this.publish('call.recording_started', call);
    } else if (action === 'pause') {
      if (!bridge.pauseRecording())
        throw refuse(state === 'off' ? 'the call is not being recorded' : 'nothing to pause');
      this.publish('call.recording_paused', call);
    } else {
      if (!bridge.resumeRecording())
        throw refuse(state === 'off' ? 'the call is not being recorded' : 'it is not paused');
      this.publish('call.recording_resumed', call);
    }
    return { callId, recordingId: call.record.recordingId, state: call.mediaBridge?.recordingState ?? 'off' };
  }

  /** The recording state of a live call (`off` for an ended one). */
  state(tenantId: number, callId: string): RecordingView | null {
    const call = this.d.findCall(tenantId, callId);
    if (!call) return null;
    return { callId, recordingId: call.record.recordingId, state: call.mediaBridge?.recordingState ?? 'off' };
  }

  private publish(
    type: 'call.recording_started' | 'call.recording_paused' | 'call.recording_resumed',
    call: Call,
  ): void {
    this.d.bus.publish(call.tenantId, type, {
      callId: call.callId,
      recordingId: call.record.recordingId ?? 0,
      offsetMs: call.mediaBridge?.recordingPositionMs ?? null,
      at: this.d.clock.now(),
    });
  }
}
