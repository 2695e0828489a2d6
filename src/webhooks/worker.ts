import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { type Db, type Tx, inTransaction } from '../store/db.js';
import {
  type OutboxJob,
  claim,
  findDue,
  markDone,
  markFailedAttempt,
  releaseOwnLeases,
  toJob,
} from './outbox.js';

/** Thrown by a handler to give up at once (no retry): the job ends with status `failed`. */
export class PermanentJobError extends Error {
  override name = 'PermanentJobError';
}

/** Raised inside `completeWith` when this worker no longer holds the job: the transaction rolls back. */
class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

export interface JobContext {
  /** Aborted when the worker stops: long I/O should give up promptly. */
  readonly signal: AbortSignal;
  /**
   * Run `fn` in a transaction that also marks the job done. The completion is fenced by the claim, so if the
   * lease was lost meanwhile nothing commits; a job can therefore make its change exactly once.
   */
  completeWith<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
}

/** Resolve to finish the job; throw to retry with backoff (or PermanentJobError to give up). */
export type JobHandler = (job: OutboxJob, jc: JobContext) => Promise<void>;

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Delay after the first failure; doubles after each further one. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 12, baseDelayMs: 2_000, maxDelayMs: 3_600_000 };

/** Exponential backoff: base·2^(attempt−1), capped. Deterministic so tests can drive it with a fake clock. */
export function backoffMs(policy: RetryPolicy, attempt: number): number {
  return Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
}

export interface WorkerOptions {
  db: Db;
  clock: Clock;
  logger: Logger;
  /** Real-time polling interval; due times themselves follow the injected clock. */
  pollMs?: number;
  /** How long a claim lasts: a worker that dies mid-job is replaced once it expires. */
  leaseMs?: number;
  batchSize?: number;
  /** This node's persistent id: its claims carry it, and at start it takes back what its last run held. */
  nodeId?: string;
}

interface Registration {
  handler: JobHandler;
  retry: RetryPolicy;
}

/**
 * The durable outbox worker: claims due jobs with a lease, runs the handler registered for their kind, and
 * retries failures with exponential backoff until the kind's attempt budget is spent. A crash leaves the job
 * claimed; the same node takes it back as soon as it restarts, another node once the lease expires.
 */
export class OutboxWorker {
  private readonly handlers = new Map<string, Registration>();
  private timer: NodeJS.Timeout | null = null;
  private tickPromise: Promise<void> | null = null;
  private stopping = false;
  private abort = new AbortController();
  private readonly pollMs: number;
  private readonly leaseMs: number;
  private readonly batchSize: number;

  constructor(private readonly o: WorkerOptions) {
    this.pollMs = o.pollMs ?? 200;
    this.leaseMs = o.leaseMs ?? 60_000;
    this.batchSize = o.batchSize ?? 16;
  }

  /** Register the handler of one job kind (once per kind). */
  register(kind: string, handler: JobHandler, retry: Partial<RetryPolicy> = {}): void {
    if (this.handlers.has(kind)) throw new Error(`outbox handler for ${kind} registered twice`);
    this.handlers.set(kind, { handler, retry: { ...DEFAULT_RETRY, ...retry } });
  }

  get running(): boolean {
    return this.timer !== null;
  }

  start(): void {
    if (this.timer || this.stopping) return;
    let first = true;
    const loop = () => {
      const before = first ? this.releaseOwnLeases() : Promise.resolve(0);
      first = false;
      this.tickPromise = before
        .then(() => this.runDue())
        .then(() => undefined)
        .catch((err: unknown) => this.o.logger.error({ err }, 'outbox tick failed'))
        .finally(() => {
          this.tickPromise = null;
          if (!this.stopping) this.timer = setTimeout(loop, this.pollMs);
        });
    };
    this.timer = setTimeout(loop, this.pollMs);
  }

  /** Stop polling, abort in-flight jobs and wait for them to settle. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.abort.abort();
    await this.tickPromise;
  }

  /** Release the leases this node's previous run left (a crash); start() does it before its first tick. */
  async releaseOwnLeases(): Promise<number> {
    if (this.o.nodeId === undefined) return 0;
    const released = await releaseOwnLeases(this.o.db, this.o.nodeId, this.o.clock.now());
    if (released)
      this.o.logger.warn({ released }, 'took back outbox leases a previous run of this node held');
    return released;
  }

  /** Claim and run every due job of registered kinds once; returns how many ran. */
  async runDue(): Promise<number> {
    const now = this.o.clock.now();
    // Only kinds this worker knows: another node (or a newer version) may own the rest.
    const batch = await findDue(this.o.db, now, this.batchSize, [...this.handlers.keys()]);
    let ran = 0;
    await Promise.all(
      batch.map(async (row) => {
        if (this.stopping) return;
        if (!(await claim(this.o.db, row, now, this.leaseMs, this.o.nodeId))) return;
        ran++;
        await this.execute(toJob(row, row.attempts + 1));
      }),
    );
    return ran;
  }

  private async execute(job: OutboxJob): Promise<void> {
    const reg = this.handlers.get(job.kind);
    if (!reg) return;
    let completed = false;
    const jc: JobContext = {
      signal: this.abort.signal,
      completeWith: (fn) =>
        inTransaction(this.o.db, async (tx) => {
          const result = await fn(tx);
          if (!(await markDone(tx, job.id, job.attempt, this.o.clock.now()))) throw new LeaseLostError();
          completed = true;
          return result;
        }),
    };
    try {
      await reg.handler(job, jc);
      if (!completed) await markDone(this.o.db, job.id, job.attempt, this.o.clock.now());
    } catch (err) {
      await this.fail(job, reg.retry, err);
    }
  }

  private async fail(job: OutboxJob, retry: RetryPolicy, err: unknown): Promise<void> {
    if (err instanceof LeaseLostError) return;
    const now = this.o.clock.now();
    const message = err instanceof Error ? err.message : String(err);
    // A shutdown is not the job's fault: it runs again as soon as a worker is back.
    if (this.abort.signal.aborted) {
      await markFailedAttempt(this.o.db, job.id, job.attempt, now, `interrupted: ${message}`, now);
      return;
    }
    const permanent = err instanceof PermanentJobError;
    const giveUp = permanent || job.attempt >= retry.maxAttempts;
    const retryAt = giveUp ? null : now + backoffMs(retry, job.attempt);
    this.o.logger.warn(
      { job: job.id, kind: job.kind, attempt: job.attempt, err: message, retryAt },
      'outbox job failed',
    );
    await markFailedAttempt(this.o.db, job.id, job.attempt, now, message, retryAt);
  }
}
