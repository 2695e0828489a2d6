/**
 * A recording row's life (docs/recordings.md): `recording` while the call runs (the recorder's crash-safe WAV
 * at `path`), then `encoding` (mp3 tenants) or `pending` (waiting to be stored), then `stored` (local file or
 * S3 object), or `failed` with the reason. Each step after the call is a durable outbox job, enqueued in the
 * transaction that makes the step due, and scoped to the node whose disk holds the files.
 */
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../clock.js';
import { type Db, type Executor, inTransaction } from '../store/db.js';
import { enqueue } from '../webhooks/outbox.js';

export const RECORDING_FORMATS = ['mp3', 'wav'] as const;
export type RecordingFormat = (typeof RECORDING_FORMATS)[number];
export type RecordingState = 'recording' | 'encoding' | 'pending' | 'stored' | 'failed';
export type RecordingStage = 'encode' | 'upload';

export const CONTENT_TYPES: Record<RecordingFormat, string> = { mp3: 'audio/mpeg', wav: 'audio/wav' };

export function isRecordingFormat(f: string): f is RecordingFormat {
  return (RECORDING_FORMATS as readonly string[]).includes(f);
}

/** The outbox kind of a stage: a node's own files are processed by that node only. */
export function stageKind(stage: RecordingStage, nodeId: string | null): string {
  return nodeId ? `recording.${stage}@${nodeId}` : `recording.${stage}`;
}

export interface RecordingJob {
  recordingId: number;
}

/** Create the row of a recording about to start; returns the WAV path to record into and the public name. */
export async function openRecordingRow(
  db: Executor,
  clock: Clock,
  r: { tenantId: number; callId: string; dir: string; day: string },
): Promise<{ id: number; rel: string; name: string }> {
  const [tenant, call, earlier] = await Promise.all([
    db.selectFrom('tenants').select('recording_format').where('id', '=', r.tenantId).executeTakeFirst(),
    db
      .selectFrom('calls')
      .select('node_id')
      .where('tenant_id', '=', r.tenantId)
      .where('call_id', '=', r.callId)
      .executeTakeFirst(),
    db
      .selectFrom('recordings')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('tenant_id', '=', r.tenantId)
      .where('call_id', '=', r.callId)
      .executeTakeFirst(),
  ]);
  const format: RecordingFormat =
    tenant && isRecordingFormat(tenant.recording_format) ? tenant.recording_format : 'mp3';
  // A call's later segments (a transfer started a new file) are <call id>-2, -3, … beside the first.
  const n = Number(earlier?.n ?? 0);
  const safe = r.callId.replace(/[^A-Za-z0-9_-]/g, '_') + (n > 0 ? `-${n + 1}` : '');
  const name = `${safe}.${format}`;
  const rel = join(r.dir, `${safe}.wav`);
  const row = await db
    .insertInto('recordings')
    .values({
      tenant_id: r.tenantId,
      call_id: r.callId,
      name,
      path: rel,
      created_at: clock.now(),
      format,
      state: 'recording',
      storage: 'local',
      node_id: call?.node_id ?? null,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, rel, name };
}

/**
 * Start a recording file under `area` (calls' recordings or callers' voicemail messages): the row, and the
 * directory of the absolute WAV path returned to record into; `name` is the public name in the tenant's format.
 */
export async function openRecordingFile(
  db: Executor,
  clock: Clock,
  dataDir: string,
  r: { tenantId: number; callId: string },
  area: 'recordings' | 'voicemail',
): Promise<{ id: number; path: string; name: string }> {
  const day = new Date(clock.now()).toISOString().slice(0, 10);
  const row = await openRecordingRow(db, clock, {
    tenantId: r.tenantId,
    callId: r.callId,
    dir: join(area, String(r.tenantId), day),
    day,
  });
  const path = join(dataDir, row.rel);
  mkdirSync(dirname(path), { recursive: true });
  return { id: row.id, path, name: row.name };
}

/**
 * The call's recording is complete on disk: store its size and duration and queue the next stage (encoding
 * for MP3, storing for WAV). Only a row still `recording` moves, so finishing twice queues nothing twice.
 */
export async function closeRecordingRow(
  db: Db,
  clock: Clock,
  tenantId: number,
  id: number,
  result: { durationMs: number; sizeBytes: number; pauses?: { offsetMs: number; durationMs: number }[] },
): Promise<void> {
  const pauses = result.pauses ?? [];
  // Paused spans (silence in the file) are noted on the row: migration 0012_monitor.
  const paused = pauses.length
    ? {
        pauses: JSON.stringify(pauses.map((p) => ({ offset_ms: p.offsetMs, duration_ms: p.durationMs }))),
        paused_ms: pauses.reduce((n, p) => n + p.durationMs, 0),
      }
    : {};
  await inTransaction(db, async (tx) => {
    const row = await tx
      .selectFrom('recordings')
      .select(['format', 'state', 'node_id', 'call_id'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    const base = {
      duration_ms: result.durationMs,
      size_bytes: result.sizeBytes,
      completed_at: clock.now(),
      ...paused,
    };
    if (!row || row.state !== 'recording') {
      await tx
        .updateTable('recordings')
        .set(base)
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
      return;
    }
    let node = row.node_id;
    if (node === null) {
      const call = await tx
        .selectFrom('calls')
        .select('node_id')
        .where('tenant_id', '=', tenantId)
        .where('call_id', '=', row.call_id)
        .executeTakeFirst();
      node = call?.node_id ?? null;
    }
    const stage: RecordingStage = row.format === 'mp3' ? 'encode' : 'upload';
    await tx
      .updateTable('recordings')
      .set({ ...base, state: stage === 'encode' ? 'encoding' : 'pending', node_id: node })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .execute();
    await queueStage(tx, clock, tenantId, id, stage, node);
  });
}

/** Queue a stage of a recording (once: a second enqueue of the same stage is a no-op). */
export function queueStage(
  tx: Executor,
  clock: Pick<Clock, 'now'>,
  tenantId: number,
  id: number,
  stage: RecordingStage,
  nodeId: string | null,
): Promise<number> {
  const payload: RecordingJob = { recordingId: id };
  // enqueue reads only now() of its clock.
  return enqueue(tx, clock as Clock, tenantId, stageKind(stage, nodeId), payload, {
    dedupeKey: `recording:${id}:${stage}`,
  });
}
