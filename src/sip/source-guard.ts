import type { Clock } from '../clock.js';
import type { SipOptions } from './options.js';

/**
 * Brute-force and scanner protection per source address: failed authentications are counted in a sliding
 * window; a source over the limit, or one announcing a scanner User-Agent, is blocked for `blockSec`.
 */
export class SourceGuard {
  private readonly failures = new Map<string, number[]>();
  private readonly blocked = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    private readonly opts: SipOptions,
  ) {}

  isBlocked(address: string): boolean {
    const until = this.blocked.get(address);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.blocked.delete(address);
    return false;
  }

  isScanner(userAgent: string | undefined): boolean {
    if (!userAgent) return false;
    const ua = userAgent.toLowerCase();
    return this.opts.scannerUserAgents.some((s) => ua.includes(s.toLowerCase()));
  }

  block(address: string): void {
    this.blocked.set(address, this.clock.now() + this.opts.blockSec * 1000);
    this.failures.delete(address);
  }

  /** Count one failed authentication; returns true when the source is now blocked. */
  fail(address: string): boolean {
    const now = this.clock.now();
    const since = now - this.opts.failWindowSec * 1000;
    const list = (this.failures.get(address) ?? []).filter((t) => t > since);
    list.push(now);
    this.failures.set(address, list);
    if (list.length < this.opts.failLimit) return false;
    this.block(address);
    return true;
  }

  succeed(address: string): void {
    this.failures.delete(address);
  }

  /** Forget expired entries (called periodically so a scan from many addresses does not grow memory forever). */
  sweep(): void {
    const now = this.clock.now();
    for (const [a, until] of this.blocked) if (until <= now) this.blocked.delete(a);
    const since = now - this.opts.failWindowSec * 1000;
    for (const [a, list] of this.failures) if (!list.some((t) => t > since)) this.failures.delete(a);
  }
}
