import type { Redis } from 'ioredis';
import type { Clock } from '../../clock.js';

/** Remembers nonces already used; `claim` is atomic, so two concurrent replays cannot both pass. */
export interface NonceStore {
  /** True the first time `key` is claimed within `ttlSec`, false afterwards. */
  claim(key: string, ttlSec: number): Promise<boolean>;
  close(): Promise<void>;
}

/** One process: a map swept as it goes (expired entries are dropped at most once per minute). */
export class MemoryNonceStore implements NonceStore {
  private readonly seen = new Map<string, number>();
  private lastSweep = 0;
  constructor(private readonly clock: Clock) {}

  async claim(key: string, ttlSec: number): Promise<boolean> {
    const now = this.clock.now();
    if (now - this.lastSweep > 60_000) {
      this.lastSweep = now;
      for (const [k, exp] of this.seen) if (exp <= now) this.seen.delete(k);
    }
    const exp = this.seen.get(key);
    if (exp !== undefined && exp > now) return false;
    this.seen.set(key, now + ttlSec * 1000);
    return true;
  }

  async close(): Promise<void> {
    this.seen.clear();
  }
}

/** Shared by every node: SET NX EX is the atomic claim. */
export class RedisNonceStore implements NonceStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {}

  async claim(key: string, ttlSec: number): Promise<boolean> {
    const res = await this.redis.set(this.prefix + key, '1', 'EX', ttlSec, 'NX');
    return res === 'OK';
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
