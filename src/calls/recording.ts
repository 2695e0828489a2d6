import { recordingWanted } from '../domain/recording-policy.js';
import { createRecording, finishRecording } from '../media/recordings.js';
import type { Call } from './call.js';
import type { CallDeps } from './engine.js';

/**
 * Record a call that was just bridged when the recording policy wants it. The file and row come from the media
 * engine's recordings module; the call record points at the recording.
 */
export async function recordIfWanted(
  d: CallDeps,
  call: Call,
  agentIds: (number | null | undefined)[],
  queueId: number | null,
): Promise<void> {
  const ids = agentIds.filter((x): x is number => typeof x === 'number');
  if (!(await recordingWanted(d.db, call.tenantId, ids, queueId))) return;
  await call.startRecording(
    () => createRecording(d.db, d.clock, d.dataDir, { tenantId: call.tenantId, callId: call.callId }),
    (id, r) => finishRecording(d.db, d.clock, call.tenantId, id, r),
  );
}
