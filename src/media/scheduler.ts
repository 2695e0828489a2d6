/**
 * The media clock: one scheduler drives every locally generated stream (music on hold, prompts).
 * Frame n is due at start + n·20 ms on a monotonic clock, so lateness of one timer never accumulates
 * into drift the way a chained setInterval does.
 */
import { performance } from 'node:perf_hooks';

export const FRAME_MS = 20;
/** After a stall longer than this many frames, skip ahead instead of bursting the backlog at the peer. */
const MAX_CATCH_UP = 3;

export interface Ticker {
  /** Called once per due 20 ms frame while registered; `frame` counts frames since the clock started. */
  tick(frame: number): void;
}

export class MediaClock {
  private readonly tickers = new Set<Ticker>();
  private timer: NodeJS.Timeout | null = null;
  private start = 0;
  private frame = 0;
  /** Frames skipped after stalls (exposed for benchmarks and tests). */
  skippedFrames = 0;

  constructor(private readonly now: () => number = () => performance.now()) {}

  add(t: Ticker): void {
    this.tickers.add(t);
    if (this.timer === null) {
      // Frame numbers keep counting across idle periods, so a ticker's last frame stays comparable.
      this.frame += Math.max(1, Math.floor((this.now() - this.start) / FRAME_MS) - this.frame);
      this.start = this.now() - this.frame * FRAME_MS;
      this.schedule();
    }
  }

  delete(t: Ticker): void {
    this.tickers.delete(t);
    if (this.tickers.size === 0) this.stop();
  }

  get size(): number {
    return this.tickers.size;
  }

  stop(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  private schedule(): void {
    const due = this.start + (this.frame + 1) * FRAME_MS;
    this.timer = setTimeout(() => this.run(), Math.max(0, due - this.now()));
    this.timer.unref();
  }

  private run(): void {
    const elapsedFrames = Math.floor((this.now() - this.start) / FRAME_MS);
    let due = elapsedFrames - this.frame;
    if (due > MAX_CATCH_UP) {
      this.skippedFrames += due - 1;
      this.frame = elapsedFrames - 1;
      due = 1;
    }
    for (let i = 0; i < due; i++) {
      this.frame++;
      // Iterate over a snapshot: a ticker may finish (prompt end) and unregister itself mid-frame.
      for (const t of [...this.tickers]) t.tick(this.frame);
    }
    if (this.tickers.size > 0) this.schedule();
    else this.timer = null;
  }
}
