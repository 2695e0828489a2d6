import type { RecordingStore } from '../domain/call-store.js';
import type { Call } from './call.js';

/**
 * Record a call that was just bridged when the recording policy wants it. The file and row come from the
 * recording store (src/domain/call-store.ts over src/media/recordings.ts); the call record points at the recording.
 */
export async function recordIfWanted(
  store: RecordingStore,
  call: Call,
  agentIds: (number | null | undefined)[],
  queueId: number | null,
): Promise<void> {
  const ids = agentIds.filter((x): x is number => typeof x === 'number');
  if (!(await store.recordingWanted(call.tenantId, ids, queueId))) return;
  await call.startRecording(
    () => store.openRecording(call.tenantId, call.callId),
    (id, r) => store.finishRecording(call.tenantId, id, r),
  );
}
