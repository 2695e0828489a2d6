import type { Logger } from 'pino';
import { closeInterruptedCalls, type RecordDeps } from './records.js';

/** How often a node says it is alive, and how long without a word makes it dead. */
export const HEARTBEAT_MS = 10_000;
export const DEAD_AFTER_MS = 45_000;

/**
 * This process as one telephony node among those sharing the database: its row in `telephony_nodes` with a
 * heartbeat, and crash recovery that closes the calls of dead nodes only. At start it closes the calls its own
 * previous run left open (same node id: `NODE_ID`, by default host name and SIP port) and those of nodes whose
 * heartbeat stopped; every heartbeat it closes the calls of nodes that died since, so a node that crashed and
 * never came back does not leave its calls open either. Another live node's calls are never touched.
 */
export class TelephonyNode {
  private timer?: NodeJS.Timeout;

  constructor(private readonly d: RecordDeps & { nodeId: string; logger: Logger }) {}

  /** Register, close what dead runs left open; resolves with how many calls that closed. */
  async start(): Promise<number> {
    const { db, clock, nodeId } = this.d;
    const now = clock.now();
    await db
      .insertInto('telephony_nodes')
      .values({ id: nodeId, started_at: now, seen_at: now })
      .onConflict((oc) => oc.column('id').doUpdateSet({ started_at: now, seen_at: now }))
      .execute();
    const closed = await this.closeDead(true);
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
    return closed;
  }

  /** One heartbeat: say we are alive, then close the calls of nodes that are not. */
  async beat(): Promise<void> {
    try {
      await this.d.db
        .updateTable('telephony_nodes')
        .set({ seen_at: this.d.clock.now() })
        .where('id', '=', this.d.nodeId)
        .execute();
      const closed = await this.closeDead(false);
      if (closed) this.d.logger.warn({ closed }, 'closed calls of a telephony node that stopped');
    } catch (err) {
      this.d.logger.warn({ err }, 'telephony node heartbeat failed');
    }
  }

  /** Graceful stop (after this node's calls were ended): leave the table. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.d.db.deleteFrom('telephony_nodes').where('id', '=', this.d.nodeId).execute();
  }

  private async closeDead(atStart: boolean): Promise<number> {
    const { db, clock, nodeId } = this.d;
    const cutoff = clock.now() - DEAD_AFTER_MS;
    const live = new Set(
      (await db.selectFrom('telephony_nodes').select('id').where('seen_at', '>=', cutoff).execute()).map(
        (r) => r.id,
      ),
    );
    // Which nodes run the open calls (a few rows, through the open-calls index), then only the dead ones' calls.
    const owners = await db
      .selectFrom('calls')
      .select('node_id')
      .distinct()
      .where('ended_at', 'is', null)
      .execute();
    const dead = owners
      .map((r) => r.node_id)
      // Our own id at start, or no owner at all: left by a run of ours (or by a version without node ids).
      .filter((owner) => (owner === null || owner === nodeId ? atStart : !live.has(owner)));
    const closed = await closeInterruptedCalls(this.d, dead);
    await db.deleteFrom('telephony_nodes').where('seen_at', '<', cutoff).execute();
    return closed;
  }
}
