/**
 * Retention: recordings older than their tenant's `recording_retention_days` (0 keeps them forever) are deleted
 * from wherever they are (local file, working WAV and MP3, or S3 object) and their rows marked deleted; every
 * deletion is logged. An object storage that cannot delete right now leaves the row for the next pass.
 */
import { unlinkSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../store/db.js';
import type { Recording } from '../store/schema.js';
import { localPath } from './files.js';
import type { S3Storage } from './storage.js';

const DAY_MS = 86_400_000;

export interface RetentionDeps {
  db: Db;
  clock: Clock;
  dataDir: string;
  logger?: Logger | undefined;
  /** The object storage, when recordings may be there. */
  s3?: S3Storage | null | undefined;
}

function unlinkQuiet(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}

/** Remove a recording's bytes from both backends (whatever of them exist) and mark its row deleted. */
export async function deleteRecording(d: RetentionDeps, rec: Recording, why: string): Promise<boolean> {
  if (rec.storage === 's3' && rec.storage_key) {
    if (!d.s3) {
      d.logger?.error(
        { recording: rec.id, key: rec.storage_key },
        'recording is in object storage but none is configured: not deleted',
      );
      return false;
    }
    try {
      await d.s3.remove(rec.storage_key);
    } catch (err) {
      d.logger?.error(
        { err, recording: rec.id, key: rec.storage_key },
        'recording deletion failed; retried later',
      );
      return false;
    }
  }
  const local = localPath(d.dataDir, rec.path);
  const stem = local.replace(/\.(wav|mp3)$/i, '');
  for (const p of new Set([local, `${stem}.wav`, `${stem}.mp3`, `${stem}.mp3.part`])) unlinkQuiet(p);
  await d.db
    .updateTable('recordings')
    .set({ deleted_at: d.clock.now() })
    .where('tenant_id', '=', rec.tenant_id)
    .where('id', '=', rec.id)
    .execute();
  d.logger?.info(
    { tenantId: rec.tenant_id, recording: rec.id, name: rec.name, storage: rec.storage, why },
    'recording deleted',
  );
  return true;
}

/** Delete the recordings past their tenant's retention; returns how many. */
export async function purgeExpiredRecordings(d: RetentionDeps): Promise<number> {
  const now = d.clock.now();
  const tenants = await d.db
    .selectFrom('tenants')
    .select(['id', 'recording_retention_days'])
    .where('recording_retention_days', '>', 0)
    .execute();
  let purged = 0;
  for (const t of tenants) {
    const expired = await d.db
      .selectFrom('recordings')
      .selectAll()
      .where('tenant_id', '=', t.id)
      .where('deleted_at', 'is', null)
      .where('created_at', '<', now - t.recording_retention_days * DAY_MS)
      .execute();
    for (const r of expired) {
      if (await deleteRecording(d, r, `retention ${t.recording_retention_days} days`)) purged++;
    }
  }
  return purged;
}

/** Runs the retention purge on an interval (hourly by default); `runOnce()` for tests and start-up. */
export class RecordingRetentionJob {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;

  constructor(private readonly o: RetentionDeps & { intervalMs?: number }) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => void this.runOnce(), this.o.intervalMs ?? 3_600_000);
    this.timer.unref();
    void this.runOnce();
  }

  /** One purge pass; concurrent calls share the pass in flight. Never rejects (errors are logged). */
  runOnce(): Promise<number> {
    this.running ??= purgeExpiredRecordings(this.o)
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
