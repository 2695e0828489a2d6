/**
 * After the call: the durable jobs that turn a finished recording into a stored one. `recording.encode` encodes
 * the WAV to a verified MP3 in a worker thread and drops the WAV; `recording.upload` puts the file into object
 * storage (when configured), checks its size there and drops the local copy. Both are outbox jobs of this node
 * (`…@<nodeId>`: its disk holds the files), retried with backoff; an upload waits out a storage outage for as
 * long as it lasts, the recording staying on local disk as `pending`, with one log line when storage goes away
 * and one when it is back.
 */
import { existsSync, readFileSync, unlinkSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db, Tx } from '../store/db.js';
import type { Recording } from '../store/schema.js';
import { type JobContext, OutboxWorker, PermanentJobError } from '../webhooks/worker.js';
import type { OutboxJob } from '../webhooks/outbox.js';
import type { RecordingsConfig } from './config.js';
import { EncoderPool } from './encoder.js';
import { inspectMp3 } from './mp3.js';
import {
  CONTENT_TYPES,
  type RecordingJob,
  type RecordingStage,
  isRecordingFormat,
  queueStage,
  stageKind,
} from './rows.js';
import { S3Storage, StorageError } from './storage.js';
import { localPath } from './files.js';

export interface StorageHealth {
  backend: 'local' | 's3';
  /** False while uploads fail (storage unreachable or refusing credentials). */
  reachable: boolean;
  /** The last upload error while unreachable. */
  error: string | null;
  since: number | null;
}

export interface PipelineDeps {
  db: Db;
  clock: Clock;
  logger: Logger;
  dataDir: string;
  nodeId: string;
  config: RecordingsConfig;
  /** Real-time polling interval of the jobs (default 250 ms). */
  pollMs?: number;
}

const ENCODE_RETRY = { maxAttempts: 4, baseDelayMs: 5_000, maxDelayMs: 60_000 };
// An outage lasts as long as it lasts: keep trying about once a minute, effectively forever.
const UPLOAD_RETRY = { maxAttempts: 1_000_000, baseDelayMs: 2_000, maxDelayMs: 60_000 };
// A long call takes a while to encode (about 40 CPU-seconds per call-hour, measured by bench:recordings): hold the claim far longer.
const LEASE_MS = 30 * 60_000;

export class RecordingPipeline {
  readonly s3: S3Storage | null;
  private readonly encoder: EncoderPool;
  private readonly workers: { worker: OutboxWorker; kinds: string[] }[] = [];
  private timers: NodeJS.Timeout[] = [];
  private ticks = new Set<Promise<unknown>>();
  private stopping = false;
  private stopped: Promise<void> | null = null;
  private health: StorageHealth;

  constructor(private readonly d: PipelineDeps) {
    this.s3 = d.config.s3 ? new S3Storage(d.config.s3) : null;
    this.encoder = new EncoderPool(d.config.encodeThreads);
    this.health = { backend: d.config.storage, reachable: true, error: null, since: null };
    this.add('encode', (job, jc) => this.encode(job, jc), ENCODE_RETRY, d.config.encodeThreads);
    this.add('upload', (job, jc) => this.upload(job, jc), UPLOAD_RETRY, 4);
  }

  private add(
    stage: RecordingStage,
    handler: (job: OutboxJob, jc: JobContext) => Promise<void>,
    retry: typeof ENCODE_RETRY,
    batchSize: number,
  ): void {
    const worker = new OutboxWorker({
      db: this.d.db,
      clock: this.d.clock,
      logger: this.d.logger,
      nodeId: this.d.nodeId,
      leaseMs: LEASE_MS,
      batchSize,
    });
    const kinds = [stageKind(stage, this.d.nodeId), stageKind(stage, null)];
    for (const k of kinds) worker.register(k, handler, retry);
    this.workers.push({ worker, kinds });
  }

  storageHealth(): StorageHealth {
    return { ...this.health };
  }

  /** Take back this node's leases a crash left, then poll both stages. */
  async start(): Promise<void> {
    const now = this.d.clock.now();
    for (const { kinds } of this.workers) {
      await this.d.db
        .updateTable('outbox')
        .set({ locked_until: null, locked_by: null, updated_at: now })
        .where('status', '=', 'pending')
        .where('kind', 'in', kinds)
        .where('locked_by', '=', this.d.nodeId)
        .execute();
    }
    for (const { worker } of this.workers) this.loop(worker);
  }

  private loop(worker: OutboxWorker): void {
    const tick = () => {
      const p = worker
        .runDue()
        .catch((err: unknown) => this.d.logger.error({ err }, 'recording jobs tick failed'))
        .finally(() => {
          this.ticks.delete(p);
          if (!this.stopping) this.timers.push(setTimeout(tick, this.d.pollMs ?? 250));
        });
      this.ticks.add(p);
    };
    this.timers.push(setTimeout(tick, 0));
  }

  /** Run every due job of both stages once (tests drive the pipeline with this instead of start()). */
  async runDue(): Promise<number> {
    let n = 0;
    for (const { worker } of this.workers) n += await worker.runDue();
    return n;
  }

  stop(): Promise<void> {
    this.stopped ??= this.halt();
    return this.stopped;
  }

  private async halt(): Promise<void> {
    this.stopping = true;
    for (const t of this.timers) clearTimeout(t);
    await Promise.all(this.workers.map((w) => w.worker.stop()));
    await this.encoder.close();
    await Promise.all([...this.ticks]);
    this.s3?.close();
  }

  private async row(job: OutboxJob): Promise<Recording | undefined> {
    const { recordingId } = (job.payload ?? {}) as Partial<RecordingJob>;
    if (typeof recordingId !== 'number') throw new PermanentJobError('job names no recording');
    return this.d.db
      .selectFrom('recordings')
      .selectAll()
      .where('tenant_id', '=', job.tenantId)
      .where('id', '=', recordingId)
      .executeTakeFirst();
  }

  private async encode(job: OutboxJob, jc: JobContext): Promise<void> {
    const rec = await this.row(job);
    if (!rec || rec.deleted_at !== null || rec.state !== 'encoding') return;
    const wav = localPath(this.d.dataDir, rec.path);
    const mp3Rel = rec.path.replace(/\.wav$/i, '') + '.mp3';
    const mp3 = localPath(this.d.dataDir, mp3Rel);
    const log = this.d.logger.child({ tenantId: rec.tenant_id, recording: rec.id, name: rec.name });
    let result: { durationMs: number; sizeBytes: number; notes: string[] };
    if (!existsSync(wav) && existsSync(mp3)) {
      // A crash after the WAV was dropped but before the row moved on: the verified MP3 is the result.
      const bytes = readFileSync(mp3);
      const info = inspectMp3(bytes);
      result = { durationMs: rec.duration_ms || info.durationMs, sizeBytes: bytes.length, notes: [] };
    } else if (!existsSync(wav)) {
      await this.fail(jc, rec, 'the recording file is missing');
      log.error('recording file missing: cannot encode');
      return;
    } else {
      const started = performance.now();
      try {
        result = await this.encoder.encode({ wavPath: wav, mp3Path: mp3 });
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        if (jc.signal.aborted || job.attempt < ENCODE_RETRY.maxAttempts) throw e;
        await this.fail(jc, rec, `encoding failed: ${message}`);
        log.error({ err: message }, 'recording could not be encoded');
        return;
      }
      log.info(
        {
          durationMs: result.durationMs,
          sizeBytes: result.sizeBytes,
          ms: Math.round(performance.now() - started),
        },
        'recording encoded to mp3',
      );
      if (result.notes.length)
        log.warn({ notes: result.notes }, 'recording WAV was damaged; encoded what was readable');
    }
    const next = this.s3 ? 'pending' : 'stored';
    await jc.completeWith(async (tx) => {
      await tx
        .updateTable('recordings')
        .set({
          path: mp3Rel,
          size_bytes: result.sizeBytes,
          duration_ms: result.durationMs,
          state: next,
          state_detail: result.notes.length ? result.notes.join('; ').slice(0, 500) : null,
        })
        .where('id', '=', rec.id)
        .where('state', '=', 'encoding')
        .execute();
      if (this.s3) await queueStage(tx, this.d.clock, rec.tenant_id, rec.id, 'upload', rec.node_id);
      // The MP3 is verified and on disk: the WAV goes before the commit; a retry after a lost commit takes the
      // MP3 as it is (above).
      removeFile(wav);
    });
  }

  private async upload(job: OutboxJob, jc: JobContext): Promise<void> {
    const rec = await this.row(job);
    if (!rec || rec.deleted_at !== null || rec.state !== 'pending') return;
    const file = localPath(this.d.dataDir, rec.path);
    if (!this.s3) {
      // Data-directory storage: the file is already where it stays.
      await jc.completeWith((tx) => setStored(tx, rec.id, { storage: 'local', storage_key: null }));
      return;
    }
    const key = this.s3.keyFor(rec.tenant_id, new Date(rec.created_at).toISOString().slice(0, 10), rec.name);
    const format = isRecordingFormat(rec.format) ? rec.format : 'wav';
    let size: number;
    try {
      size = existsSync(file)
        ? await this.s3.putFile(key, file, CONTENT_TYPES[format], jc.signal)
        : // Uploaded, then a crash before the row moved on: the object is the recording.
          await this.s3.size(key);
    } catch (e) {
      if (e instanceof StorageError && e.missing) {
        await this.fail(jc, rec, 'the recording file is missing (neither on disk nor in object storage)');
        this.d.logger.error({ recording: rec.id, key }, 'recording file missing: cannot upload');
        return;
      }
      this.unreachable(e instanceof Error ? e.message : String(e), rec.id);
      await this.d.db
        .updateTable('recordings')
        .set({ state_detail: `upload pending: ${e instanceof Error ? e.message : String(e)}`.slice(0, 500) })
        .where('id', '=', rec.id)
        .execute();
      throw e;
    }
    this.reachable();
    await jc.completeWith(async (tx) => {
      await setStored(tx, rec.id, { storage: 's3', storage_key: key, size_bytes: size });
      removeFile(file);
    });
    this.d.logger.info({ tenantId: rec.tenant_id, recording: rec.id, key, size }, 'recording uploaded');
  }

  private async fail(jc: JobContext, rec: Recording, detail: string): Promise<void> {
    await jc.completeWith((tx) =>
      tx
        .updateTable('recordings')
        .set({ state: 'failed', state_detail: detail.slice(0, 500) })
        .where('id', '=', rec.id)
        .execute(),
    );
  }

  private unreachable(error: string, recording: number): void {
    if (this.health.reachable) {
      this.d.logger.error(
        { err: error, bucket: this.d.config.s3?.bucket, endpoint: this.d.config.s3?.endpoint, recording },
        'recording storage unreachable: recordings stay on local disk (pending) and upload when it is back',
      );
    }
    this.health = { ...this.health, reachable: false, error, since: this.health.since ?? this.d.clock.now() };
  }

  private reachable(): void {
    if (!this.health.reachable)
      this.d.logger.warn({ since: this.health.since }, 'recording storage reachable again');
    this.health = { ...this.health, reachable: true, error: null, since: null };
  }
}

function setStored(
  tx: Tx,
  id: number,
  set: { storage: 'local' | 's3'; storage_key: string | null; size_bytes?: number },
) {
  return tx
    .updateTable('recordings')
    .set({ ...set, state: 'stored', state_detail: null })
    .where('id', '=', id)
    .where('state', '=', 'pending')
    .execute();
}

function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
  }
}
