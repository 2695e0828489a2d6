import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Db } from '../store/db.js';
import {
  type BlockReason,
  listBlocks,
  plainIp,
  purgeExpiredBlocks,
  saveBlock,
  trunkAddresses,
} from './blocks.js';
import type { SipOptions } from './options.js';

/**
 * Brute-force and scanner protection per source address: failed authentications are counted in a sliding
 * window; a source over the limit, or one announcing a scanner User-Agent, is blocked for `blockSec`.
 *
 * Checks are synchronous against memory (they run on every packet). Blocks are written through to `sip_blocks`,
 * and `sync()` (every second) reloads that table, so a block lifted from the CLI ends here within a second and
 * a block made by another node applies here too. Trunk addresses are never blocked: a carrier's monitoring probe
 * (sipsak, a scanner-like OPTIONS) must not cut off its inbound calls.
 */
export class SourceGuard {
  private readonly failures = new Map<string, number[]>();
  private blocked = new Map<string, number>();
  private trunks = new Set<string>();
  private writes: Promise<void> = Promise.resolve();
  /** Addresses blocked while a sync was reading the table, which that read may have missed. */
  private readonly fresh = new Set<string>();
  private syncing = false;

  constructor(
    private readonly clock: Clock,
    private readonly opts: SipOptions,
    private readonly db?: Db,
    private readonly logger?: Logger,
  ) {}

  isBlocked(address: string): boolean {
    const until = this.blocked.get(address);
    if (until === undefined) return false;
    if (until > this.clock.now()) return true;
    this.blocked.delete(address);
    return false;
  }

  isTrunk(address: string): boolean {
    return this.trunks.has(plainIp(address));
  }

  isScanner(userAgent: string | undefined): boolean {
    if (!userAgent) return false;
    const ua = userAgent.toLowerCase();
    return this.opts.scannerUserAgents.some((s) => ua.includes(s.toLowerCase()));
  }

  /** Block `address` (unless it is a trunk's); returns whether it is now blocked. */
  block(address: string, reason: BlockReason, userAgent?: string): boolean {
    this.failures.delete(address);
    if (this.isTrunk(address)) return false;
    const now = this.clock.now();
    const until = now + this.opts.blockSec * 1000;
    this.blocked.set(address, until);
    this.fresh.add(address);
    const db = this.db;
    if (db) {
      const row = { address, reason, user_agent: userAgent ?? null, blocked_at: now, until };
      this.writes = this.writes
        .then(() => saveBlock(db, row))
        .catch((err: unknown) => this.logger?.error({ err, address }, 'sip block not saved'));
    }
    return true;
  }

  /**
   * Block a source that announced a scanner User-Agent, unless it is a trunk's: the trunk list is re-read first,
   * so a trunk created a moment ago is not cut off by its carrier's first monitoring probe.
   */
  async blockScanner(address: string, userAgent: string | undefined): Promise<boolean> {
    if (this.db && !this.isTrunk(address)) this.trunks = await trunkAddresses(this.db);
    return this.block(address, 'scanner', userAgent);
  }

  /** Count one failed authentication; returns true when the source is now blocked. */
  fail(address: string): boolean {
    if (this.isTrunk(address)) return false;
    const now = this.clock.now();
    const since = now - this.opts.failWindowSec * 1000;
    const list = (this.failures.get(address) ?? []).filter((t) => t > since);
    list.push(now);
    this.failures.set(address, list);
    if (list.length < this.opts.failLimit) return false;
    return this.block(address, 'auth-failures');
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

  /** Reload blocks and trunk addresses from the database (the table is the truth once pending writes land). */
  async sync(): Promise<void> {
    const db = this.db;
    if (!db || this.syncing) return;
    this.syncing = true;
    try {
      await this.writes;
      this.fresh.clear();
      const now = this.clock.now();
      this.trunks = await trunkAddresses(db);
      await purgeExpiredBlocks(db, now);
      const rows = await listBlocks(db, now);
      const next = new Map(rows.filter((r) => !this.isTrunk(r.address)).map((r) => [r.address, r.until]));
      for (const a of this.fresh) {
        const until = this.blocked.get(a);
        if (until !== undefined) next.set(a, until);
      }
      this.blocked = next;
    } finally {
      this.syncing = false;
    }
  }
}
