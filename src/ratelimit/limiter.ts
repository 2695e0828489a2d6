import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Clock } from '../clock.js';

export const WINDOW_MS = 10_000;

/**
 * Counters per window. `admit` is one atomic step: when every key is below its limit, each is incremented and the
 * request is admitted; otherwise nothing is counted. Refused requests therefore never spend budget (Kong counts
 * admitted requests only), and concurrent requests can never push a counter past its limit.
 */
export interface CounterStore {
  admit(keys: string[], limits: number[], ttlMs: number): Promise<{ admitted: boolean; counts: number[] }>;
  close?(): Promise<void>;
}

/** Counters in this process: a synchronous check-and-increment is already atomic. */
export class MemoryCounterStore implements CounterStore {
  private readonly counts = new Map<string, { n: number; expiresAt: number }>();
  private sweeps = 0;
  constructor(private readonly clock: Clock) {}

  async admit(
    keys: string[],
    limits: number[],
    ttlMs: number,
  ): Promise<{ admitted: boolean; counts: number[] }> {
    const now = this.clock.now();
    if (++this.sweeps % 10_000 === 0) this.sweep(now);
    const current = keys.map((k) => {
      const cur = this.counts.get(k);
      return cur && cur.expiresAt > now ? cur.n : 0;
    });
    const admitted = current.every((n, i) => n < (limits[i] ?? 0));
    if (!admitted) return { admitted, counts: current };
    return {
      admitted,
      counts: keys.map((k, i) => {
        const n = current[i]! + 1;
        const cur = this.counts.get(k);
        this.counts.set(k, { n, expiresAt: cur && cur.expiresAt > now ? cur.expiresAt : now + ttlMs });
        return n;
      }),
    };
  }

  private sweep(now: number): void {
    for (const [k, v] of this.counts) if (v.expiresAt <= now) this.counts.delete(k);
  }
}

/** Check every key against its limit and increment them all only when all are below: one Lua step in Redis. */
const ADMIT_SCRIPT = `
local n = #KEYS
local counts = {}
local ok = 1
for i = 1, n do
  counts[i] = tonumber(redis.call('GET', KEYS[i]) or '0')
  if counts[i] >= tonumber(ARGV[i]) then ok = 0 end
end
if ok == 1 then
  for i = 1, n do
    counts[i] = redis.call('INCR', KEYS[i])
    redis.call('PEXPIRE', KEYS[i], ARGV[n + 1], 'NX')
  end
end
table.insert(counts, 1, ok)
return counts`;

const ADMIT_SHA = createHash('sha1').update(ADMIT_SCRIPT).digest('hex');

/** Counters shared by every node through Redis: the check and the increments run as one script, atomically. */
export class RedisCounterStore implements CounterStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'tongdai:rl:',
  ) {}

  async admit(
    keys: string[],
    limits: number[],
    ttlMs: number,
  ): Promise<{ admitted: boolean; counts: number[] }> {
    const args: [number, ...string[]] = [
      keys.length,
      ...keys.map((k) => this.prefix + k),
      ...limits.map(String),
      String(ttlMs),
    ];
    // By digest: Redis keeps the script once loaded, so a request sends 40 bytes, not the script (and Redis hashes
    // nothing); EVAL loads it the first time and after a SCRIPT FLUSH or a restart.
    const res = (await this.redis.evalsha(ADMIT_SHA, ...args).catch((err: unknown) => {
      if (err instanceof Error && err.message.startsWith('NOSCRIPT'))
        return this.redis.eval(ADMIT_SCRIPT, ...args);
      throw err;
    })) as number[];
    const [ok, ...counts] = res.map(Number);
    return { admitted: ok === 1, counts };
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
    const { admitted, counts } = await this.store.admit(
      [`t:${tenantId}:${window}`, `r:${tenantId}:${route}:${window}`],
      [limitTenant, limitRoute],
      resetAt - now + 1000,
    );
    const [tenantCount = 0, routeCount = 0] = counts;
    return {
      allowed: admitted,
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
