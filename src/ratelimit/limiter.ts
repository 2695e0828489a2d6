import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';

export const WINDOW_MS = 10_000;

/** Atomically adds one to each key's counter for the current window and returns the new counts. */
export interface CounterStore {
  increment(keys: string[], ttlMs: number): Promise<number[]>;
  close?(): Promise<void>;
}

/** Counters in this process: a single-threaded increment is already atomic. */
export class MemoryCounterStore implements CounterStore {
  private readonly counts = new Map<string, { n: number; expiresAt: number }>();
  private sweeps = 0;
  constructor(private readonly clock: Clock) {}

  async increment(keys: string[], ttlMs: number): Promise<number[]> {
    const now = this.clock.now();
    if (++this.sweeps % 10_000 === 0) this.sweep(now);
    return keys.map((k) => {
      const cur = this.counts.get(k);
      if (!cur || cur.expiresAt <= now) {
        this.counts.set(k, { n: 1, expiresAt: now + ttlMs });
        return 1;
      }
      cur.n += 1;
      return cur.n;
    });
  }

  private sweep(now: number): void {
    for (const [k, v] of this.counts) if (v.expiresAt <= now) this.counts.delete(k);
  }
}

/** Counters shared by every node through Redis: INCR inside MULTI is atomic, so no burst overshoots. */
export class RedisCounterStore implements CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'tongdai:rl:',
  ) {}

  async increment(keys: string[], ttlMs: number): Promise<number[]> {
    const multi = this.redis.multi();
    for (const k of keys) multi.incr(this.prefix + k).pexpire(this.prefix + k, ttlMs, 'NX');
    const res = await multi.exec();
    if (!res) throw new Error('rate limit transaction aborted');
    return keys.map((_, i) => {
      const [err, val] = res[i * 2] ?? [];
      if (err) throw err;
      return Number(val);
    });
  }
}

export interface RateLimitDecision {
  allowed: boolean;
  limitTenant: number;
  remainingTenant: number;
  limitRoute: number;
  remainingRoute: number;
  /** Whole seconds until the window resets (at least 1); meaningful when not allowed. */
  retryAfterSec: number;
}

/** Kong-style fixed 10 s windows, counted per tenant and per tenant+route. */
export class RateLimiter {
  constructor(
    private readonly store: CounterStore,
    private readonly clock: Clock,
  ) {}

  async check(
    tenantId: number,
    route: string,
    limitTenant: number,
    limitRoute: number,
  ): Promise<RateLimitDecision> {
    const now = this.clock.now();
    const window = Math.floor(now / WINDOW_MS);
    const resetAt = (window + 1) * WINDOW_MS;
    const [tenantCount = 0, routeCount = 0] = await this.store.increment(
      [`t:${tenantId}:${window}`, `r:${tenantId}:${route}:${window}`],
      resetAt - now + 1000,
    );
    return {
      allowed: tenantCount <= limitTenant && routeCount <= limitRoute,
      limitTenant,
      remainingTenant: Math.max(0, limitTenant - tenantCount),
      limitRoute,
      remainingRoute: Math.max(0, limitRoute - routeCount),
      retryAfterSec: Math.max(1, Math.ceil((resetAt - now) / 1000)),
    };
  }
}

/** The response headers Kong's rate-limiting plugin sends. */
export function rateLimitHeaders(d: RateLimitDecision): Record<string, string> {
  const h: Record<string, string> = {
    'X-RateLimit-Limit-Tenant': String(d.limitTenant),
    'X-RateLimit-Remaining-Tenant': String(d.remainingTenant),
    'X-RateLimit-Limit-Route': String(d.limitRoute),
    'X-RateLimit-Remaining-Route': String(d.remainingRoute),
  };
  if (!d.allowed) h['Retry-After'] = String(d.retryAfterSec);
  return h;
}
