/**
 * Recording files and their rows: where a call's recording goes (the recorder's WAV, while the call runs) and
 * finishing its row with size and duration, which hands it to the recordings pipeline (src/recordings:
 * encoding, storage, retention). Paths in the database are relative to the data dir.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../clock.js';
import type { Db, Executor } from '../store/db.js';
import type { Recording } from '../store/schema.js';
import { closeRecordingRow, openRecordingFile } from '../recordings/rows.js';
import type { RecordingPause } from './recorder.js';

export { RecordingRetentionJob } from '../recordings/retention.js';

/**
 * Start a recording: creates the row (and directory) and returns the absolute WAV path to record into; `name`
 * is the public name in the tenant's stored format (`<call>.mp3` by default).
 */
export async function createRecording(
  db: Executor,
  clock: Clock,
  dataDir: string,
  r: { tenantId: number; callId: string },
): Promise<{ id: number; path: string; name: string }> {
  return openRecordingFile(db, clock, dataDir, r, 'recordings');
}

/** Complete a recording's row once the bridge has stopped (values from `Bridge.stop()`); queues its encoding. */
export async function finishRecording(
  db: Db,
  clock: Clock,
  tenantId: number,
  id: number,
  result: { durationMs: number; sizeBytes: number; pauses?: RecordingPause[] },
): Promise<void> {
  await closeRecordingRow(db, clock, tenantId, id, result);
}

/** The recordings of a call (normally one), oldest first. */
export function recordingsOfCall(db: Executor, tenantId: number, callId: string): Promise<Recording[]> {
  return db
    .selectFrom('recordings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('call_id', '=', callId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
}

/**
 * Recordings left unfinished by a crash get their size and duration from the file (the recorder's
 * periodically patched header makes the file itself valid) and go on to encoding. Call once at start; with
 * `nodeId`, only this node's recordings (and those of no known node) are touched.
 */
export async function repairUnfinishedRecordings(
  db: Db,
  clock: Clock,
  dataDir: string,
  nodeId?: string,
): Promise<number> {
  let q = db
    .selectFrom('recordings')
    .select(['id', 'tenant_id', 'path'])
    .where('completed_at', 'is', null)
    .where('deleted_at', 'is', null);
  if (nodeId !== undefined)
    q = q.where((eb) => eb.or([eb('node_id', '=', nodeId), eb('node_id', 'is', null)]));
  const rows = await q.execute();
  for (const r of rows) {
    let size = 0;
    try {
      size = statSync(join(dataDir, r.path)).size;
    } catch {
      // Missing file: record it as empty rather than leaving the row open forever.
    }
    const frames = Math.max(0, Math.floor((size - 44) / 4));
    await finishRecording(db, clock, r.tenant_id, r.id, {
      sizeBytes: size,
      durationMs: Math.round(frames / 8),
    });
  }
  return rows.length;
}
