/**
 * Recording files and their rows: where a call's recording goes, finishing its row with size and
 * duration, and the retention job that deletes recordings older than each tenant's
 * `recording_retention_days` (0 keeps them forever). Paths in the database are relative to the data dir.
 */
import { mkdirSync, statSync, unlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db, Executor } from '../store/db.js';
import type { Recording } from '../store/schema.js';
import type { RecordingPause } from './recorder.js';

const DAY_MS = 86_400_000;

/** Start a recording: creates the row (and directory) and returns the absolute path to record into. */
export async function createRecording(
  db: Executor,
  clock: Clock,
  dataDir: string,
  r: { tenantId: number; callId: string },
): Promise<{ id: number; path: string; name: string }> {
  const now = clock.now();
  const day = new Date(now).toISOString().slice(0, 10);
  const safeCall = r.callId.replace(/[^A-Za-z0-9_-]/g, '_');
  const name = `${safeCall}.wav`;
  const rel = join('recordings', String(r.tenantId), day, name);
  const path = join(dataDir, rel);
  mkdirSync(dirname(path), { recursive: true });
  const row = await db
    .insertInto('recordings')
    .values({ tenant_id: r.tenantId, call_id: r.callId, name, path: rel, created_at: now })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, path, name };
}

/** Complete a recording's row once the bridge has stopped (values from `Bridge.stop()`). */
export async function finishRecording(
  db: Executor,
  clock: Clock,
  tenantId: number,
  id: number,
  result: { durationMs: number; sizeBytes: number; pauses?: RecordingPause[] },
): Promise<void> {
  const pauses = result.pauses ?? [];
  await db
    .updateTable('recordings')
    .set({
      duration_ms: result.durationMs,
      size_bytes: result.sizeBytes,
      completed_at: clock.now(),
      ...(pauses.length
        ? {
            pauses: JSON.stringify(pauses.map((p) => ({ offset_ms: p.offsetMs, duration_ms: p.durationMs }))),
            paused_ms: pauses.reduce((n, p) => n + p.durationMs, 0),
          }
        : {}),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
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
 * periodically patched header makes the file itself valid). Call once at start.
 */
export async function repairUnfinishedRecordings(db: Db, clock: Clock, dataDir: string): Promise<number> {
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'tenant_id', 'path'])
    .where('completed_at', 'is', null)
    .where('deleted_at', 'is', null)
    .execute();
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

/** Delete files and mark rows of recordings past their tenant's retention; returns how many. */
export async function purgeExpiredRecordings(db: Db, clock: Clock, dataDir: string): Promise<number> {
  const now = clock.now();
  const tenants = await db
    .selectFrom('tenants')
    .select(['id', 'recording_retention_days'])
    .where('recording_retention_days', '>', 0)
    .execute();
  let purged = 0;
  for (const t of tenants) {
    const expired = await db
      .selectFrom('recordings')
      .select(['id', 'path'])
      .where('tenant_id', '=', t.id)
      .where('deleted_at', 'is', null)
      .where('created_at', '<', now - t.recording_retention_days * DAY_MS)
      .execute();
    for (const r of expired) {
      try {
        unlinkSync(join(dataDir, r.path));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
      await db
        .updateTable('recordings')
        .set({ deleted_at: now })
        .where('tenant_id', '=', t.id)
        .where('id', '=', r.id)
        .execute();
      purged++;
    }
  }
  return purged;
}

/** Runs the retention purge on an interval (hourly by default); `runOnce()` for tests and start-up. */
export class RecordingRetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(
    private readonly o: { db: Db; clock: Clock; dataDir: string; logger?: Logger; intervalMs?: number },
  ) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs ?? 3_600_000);
    this.timer.unref();
    void this.runOnce();
  }

  /** One purge pass; concurrent calls share the pass in flight. Never rejects (errors are logged). */
  runOnce(): Promise<number> {
    this.running ??= purgeExpiredRecordings(this.o.db, this.o.clock, this.o.dataDir)
      .then((n) => {
        if (n > 0) this.o.logger?.info({ purged: n }, 'expired recordings deleted');
        return n;
      })
      .catch((err: unknown) => {
        this.o.logger?.error({ err }, 'recording retention purge failed');
        return 0;
      })
      .finally(() => {
        this.running = null;
      });
    return this.running;
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}
