/**
 * Runs MP3 encodes off the main thread, so a burst of calls ending together never stalls the RTP relay: each
 * encode gets its own worker thread (memory is returned when it ends), at most `threads` at a time, the rest
 * queued. Under tsx (TypeScript sources run directly, as bin/tongdai.mjs does) the worker registers tsx's
 * loader itself before loading the .ts entry, since a loader registered in the main thread does not follow.
 */
import { Worker } from 'node:worker_threads';
import type { EncodeRequest, EncodeResult } from './encode-job.js';

const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './encode-worker.ts' : './encode-worker.js',
  import.meta.url,
);

function spawnWorker(req: EncodeRequest): Worker {
  if (!ENTRY.pathname.endsWith('.ts')) return new Worker(ENTRY, { workerData: req });
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
  return new Worker(boot, { eval: true, workerData: req });
}

type Reply = { ok: true; result: EncodeResult } | { ok: false; error: string };

export class EncoderPool {
  private active = 0;
  private readonly waiting: (() => void)[] = [];
  private readonly workers = new Set<Worker>();
  private closed = false;

  constructor(private readonly threads = 1) {}

  /** Encode in a worker thread; rejects with the worker's error (unreadable WAV, failed check). */
  async encode(req: EncodeRequest): Promise<EncodeResult> {
    if (this.active >= this.threads) await new Promise<void>((r) => this.waiting.push(r));
    if (this.closed) throw new Error('encoder stopped');
    this.active++;
    try {
      return await this.run(req);
    } finally {
      this.active--;
      this.waiting.shift()?.();
    }
  }

  private run(req: EncodeRequest): Promise<EncodeResult> {
    return new Promise((resolve, reject) => {
      const w = spawnWorker(req);
      this.workers.add(w);
      let settled = false;
      const done = (fn: () => void) => {
        if (settled) return;
        settled = true;
        this.workers.delete(w);
        fn();
      };
      w.once('message', (m: Reply) => done(() => (m.ok ? resolve(m.result) : reject(new Error(m.error)))));
      w.once('error', (e) => done(() => reject(e)));
      w.once('exit', (code) => done(() => reject(new Error(`encoder thread exited (${code})`))));
    });
  }

  /** Stop: running encodes are cut off (their job runs again later), queued ones are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const r of this.waiting.splice(0)) r();
    await Promise.all([...this.workers].map((w) => w.terminate()));
  }
}
