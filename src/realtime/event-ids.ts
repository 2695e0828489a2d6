/** Ids reserved per claim: one round trip per this many events, and at most this many skipped at a restart. */
export const ID_BLOCK = 512;

/**
 * Numbers pushed events in memory, so a tenant's chain does not wait on the database to give an event its resume
 * offset. Ids come from blocks reserved in the event log's own sequence (`claimEventIds`): unique across nodes and
 * restarts, ascending within this process. Each tenant's ids only grow: a tenant's floor is the highest id it was
 * given here or seen elsewhere (another node's relayed event; at a takeover, everything reserved until then), and
 * its next ids are above it. The next block is claimed in the background before this one runs out; a tenant
 * whose floor is above every id this process reserved (another node numbered it after our last claim) gets ids
 * claimed for it alone, a round trip in its chain, so two nodes publishing for one tenant waste no blocks.
 */
export class EventIds {
  /** Reserved ids not given out yet, ascending. */
  private pool: number[] = [];
  /** The highest id this process reserved. */
  private top = 0;
  private filling: Promise<number[]> | null = null;
  private readonly floors = new Map<number, number>();
  /** Claims made (blocks and a tenant's own), for benches. */
  readonly stats = { claims: 0 };

  constructor(
    private readonly claim: (n: number) => Promise<number[]>,
    private readonly block = ID_BLOCK,
  ) {}

  /** The tenant has an event numbered `id` elsewhere: its next ids here must be above it. */
  seen(tenantId: number, id: number): void {
    if (id > (this.floors.get(tenantId) ?? 0)) this.floors.set(tenantId, id);
  }

  /** `n` ascending ids for the tenant, each above all it had; without a wait while the reserved block lasts. */
  async take(tenantId: number, n: number): Promise<number[]> {
    for (;;) {
      const floor = this.floors.get(tenantId) ?? 0;
      if (floor >= this.top && this.top > 0) {
        // Another node numbered this tenant past everything we reserved: claim its ids alone.
        this.stats.claims++;
        const ids = await this.claim(n);
        this.seen(tenantId, ids.at(-1)!);
        return ids;
      }
      const i = this.firstAbove(floor);
      if (this.pool.length - i >= n) {
        const ids = this.pool.splice(i, n);
        this.seen(tenantId, ids.at(-1)!);
        if (this.pool.length < this.block / 2) void this.fill().catch(() => undefined);
        return ids;
      }
      await this.fill(Math.max(this.block, n));
    }
  }

  /**
   * This process takes the tenant over from another node, which may have delivered ids it never logged nor
   * relayed (it died): number the tenant above everything any node reserved so far, from a block claimed now.
   */
  async takeOver(tenantId: number): Promise<void> {
    const ids = await this.fill();
    this.seen(tenantId, ids[0]! - 1);
  }

  /** Index of the first pooled id above `floor` (the pool is sorted). */
  private firstAbove(floor: number): number {
    let lo = 0;
    let hi = this.pool.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pool[mid]! > floor) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Reserve another block (one claim at a time; callers in between share it). */
  private fill(n = this.block): Promise<number[]> {
    this.filling ??= (async () => {
      try {
        this.stats.claims++;
        const ids = await this.claim(n);
        // The sequence only grows, so a new block is above everything pooled.
        this.pool.push(...ids);
        this.top = Math.max(this.top, ids.at(-1) ?? 0);
        // Ids left below tenants' floors: keep the pool bounded, the lowest are the least likely used.
        if (this.pool.length > 4 * this.block) this.pool.splice(0, this.pool.length - 2 * this.block);
        return ids;
      } finally {
        this.filling = null;
      }
    })();
    return this.filling;
  }
}
