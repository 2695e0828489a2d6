/**
 * Runs MP3 encodes off the main thread, so a burst of calls ending together never stalls the RTP relay: at most
 * `threads` worker threads, each taking one encode at a time, the rest queued. A thread is kept for the next
 * encode and ended after `idleMs` without one (its memory is returned then). Starting a thread is the expensive
 * part: under tsx (TypeScript sources run directly, as bin/tongdai.mjs does) the worker registers tsx's loader
 * itself and compiles the encoder, ≈ 0.6 CPU-seconds, about what encoding a minute of call costs
 * (docs/performance.md § Recordings: a thread per encode made one-minute calls cost 1.6×).
 */
import { Worker } from 'node:worker_threads';
import type { EncodeRequest, EncodeResult } from './encode-job.js';

const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './encode-worker.ts' : './encode-worker.js',
  import.meta.url,
);

function spawnWorker(): Worker {
  if (!ENTRY.pathname.endsWith('.ts')) return new Worker(ENTRY);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
  return new Worker(boot, { eval: true });
}

type Reply = { ok: true; result: EncodeResult } | { ok: false; error: string };

interface Job {
  resolve: (r: EncodeResult) => void;
  reject: (e: Error) => void;
}

/** One worker thread and the encode it is running, if any. */
interface Slot {
  worker: Worker;
  job: Job | null;
  idle: NodeJS.Timeout | null;
}

export class EncoderPool {
  private readonly slots = new Set<Slot>();
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  private starts = 0;

  constructor(
    private readonly threads = 1,
    private readonly idleMs = 30_000,
  ) {}

  /** Encode in a worker thread; rejects with the worker's error (unreadable WAV, failed check). */
  async encode(req: EncodeRequest): Promise<EncodeResult> {
    if (this.closed) throw new Error('encoder stopped');
    let slot = this.freeSlot();
    while (!slot) {
      await new Promise<void>((r) => this.waiting.push(r));
      if (this.closed) throw new Error('encoder stopped');
      slot = this.freeSlot();
    }
    return this.run(slot, req);
  }

  /** A thread with nothing to do, or a new one while there are fewer than `threads`. */
  private freeSlot(): Slot | null {
    for (const s of this.slots) if (!s.job) return s;
    return this.slots.size < this.threads ? this.spawn() : null;
  }

  private spawn(): Slot {
    const slot: Slot = { worker: spawnWorker(), job: null, idle: null };
    this.starts++;
    this.slots.add(slot);
    slot.worker.on('message', (m: Reply) => {
      const job = slot.job;
      if (!job) return;
      this.release(slot);
      if (m.ok) job.resolve(m.result);
      else job.reject(new Error(m.error));
    });
    // A thread that fails or exits is dropped; its encode (if any) is rejected and the next one gets a new thread.
    const gone = (err: Error) => {
      if (!this.slots.delete(slot)) return;
      if (slot.idle) clearTimeout(slot.idle);
      slot.job?.reject(err);
      slot.job = null;
      this.waiting.shift()?.();
    };
    slot.worker.on('error', (e) => gone(e));
    slot.worker.on('exit', (code) => gone(new Error(`encoder thread exited (${code})`)));
    return slot;
  }

  private run(slot: Slot, req: EncodeRequest): Promise<EncodeResult> {
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = null;
    slot.worker.ref();
    return new Promise((resolve, reject) => {
      slot.job = { resolve, reject };
      slot.worker.postMessage(req);
    });
  }

  /** The encode is over: the thread waits for the next one (a queued encode takes it at once). */
  private release(slot: Slot): void {
    slot.job = null;
    const next = this.waiting.shift();
    if (next) return next();
    // An idle thread does not keep the process alive.
    slot.worker.unref();
    slot.idle = setTimeout(() => {
      if (slot.job || !this.slots.delete(slot)) return;
      void slot.worker.terminate();
    }, this.idleMs);
    slot.idle.unref();
  }

  /** Threads started since the pool was made (for tests and the bench: reuse shows as few starts). */
  get started(): number {
    return this.starts;
  }

  /** Threads alive now (busy or idle). */
  get size(): number {
    return this.slots.size;
  }

  /** Stop: running encodes are cut off (their job runs again later), queued ones are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.waiting.splice(0)) r();
    const slots = [...this.slots];
    this.slots.clear();
    for (const s of slots) {
      if (s.idle) clearTimeout(s.idle);
      s.job?.reject(new Error('encoder stopped'));
      s.job = null;
    }
    await Promise.all(slots.map((s) => s.worker.terminate()));
  }
}
