/** A timer armed on a Clock; `clearTimeout` cancels it (a fired or cancelled timer ignores it). */
export interface Timer {
  /** Let the process exit while the timer is pending (real clocks only; fake timers never hold anything). */
  unref?(): void;
}

/** Time source injected into every engine whose behaviour depends on time, timers included. */
export interface Clock {
  /** Milliseconds since the Unix epoch. */
  now(): number;
  /** Run `fn` once `ms` (clamped to ≥ 0) from now. */
  setTimeout(fn: () => void, ms: number): Timer;
  clearTimeout(timer: Timer | undefined): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, Math.max(0, ms));
    return t;
  },
  clearTimeout: (t) => clearTimeout(t as NodeJS.Timeout | undefined),
};

interface FakeTimer extends Timer {
  at: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock tests move by hand, so nothing sleeps to make time pass. Timers fire inside `advance`/`set`, in
 * deadline order (ties in arming order), with `now()` equal to their deadline while they run; a timer armed by
 * a firing timer runs in the same advance when its deadline is within it.
 */
export class FakeClock implements Clock {
  private readonly timers = new Set<FakeTimer>();
  private seq = 0;

  constructor(private current = Date.UTC(2026, 0, 1)) {}

  now(): number {
    return this.current;
  }

  setTimeout(fn: () => void, ms: number): Timer {
    const t: FakeTimer = { at: this.current + Math.max(0, ms), seq: this.seq++, fn, unref() {} };
    this.timers.add(t);
    return t;
  }

  clearTimeout(timer: Timer | undefined): void {
    if (timer) this.timers.delete(timer as FakeTimer);
  }

  /** How many timers are armed (tests assert that a flow left none behind). */
  get pending(): number {
    return this.timers.size;
  }

  advance(ms: number): void {
    this.set(this.current + ms);
  }

  set(ms: number): void {
    for (;;) {
      const next = this.earliest();
      if (!next || next.at > ms) break;
      this.timers.delete(next);
      this.current = Math.max(this.current, next.at);
      next.fn();
    }
    this.current = ms;
  }

  private earliest(): FakeTimer | undefined {
    let best: FakeTimer | undefined;
    for (const t of this.timers)
      if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}
