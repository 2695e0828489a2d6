import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { CallRecordStore, NodeStore } from '../domain/call-store.js';
import type { EventBus } from '../domain/events.js';
import { closeInterruptedCalls } from './records.js';

/** What a telephony node touches: the nodes' table, open call records, the bus for their end, a clock. */
export interface TelephonyNodeDeps {
  store: NodeStore & Pick<CallRecordStore, 'openCalls' | 'closeOpenCall'>;
  bus: EventBus;
  clock: Clock;
  nodeId: string;
  logger: Logger;
}

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
  private afterDead?: () => Promise<unknown>;
  private sipAddress?: string;

  constructor(private readonly d: TelephonyNodeDeps) {}

  /** Register, close what dead runs left open; resolves with how many calls that closed. */
  async start(): Promise<number> {
    const { store, clock, nodeId } = this.d;
    await store.registerNode(nodeId, clock.now());
    const { closed } = await this.closeDead(true);
    this.timer = setInterval(() => void this.beat(), HEARTBEAT_MS);
    this.timer.unref();
    return closed;
  }

  /**
   * Run `fn` after a heartbeat found a node dead (closed its calls or forgot its row): the composition root resumes
   * the agents that node left in a call-owned status (its calls, or its wrap-up timers, died with it).
   */
  onDeadCallsClosed(fn: () => Promise<unknown>): void {
    this.afterDead = fn;
  }

  /** Say where the edge reaches this node's SIP (a non-owner redirects a tenant's calls there). */
  async advertise(sipAddress: string): Promise<void> {
    this.sipAddress = sipAddress;
    await this.d.store.advertiseNode(this.d.nodeId, sipAddress);
  }

  /**
   * Another node found dead before the heartbeat bound (its tenants' leases expired and it does not answer SIP,
   * src/cluster/ownership.ts): close its open calls with a cause and forget its row, so recovery resumes the agents
   * it held. Returns how many calls that closed.
   */
  async closeCallsOf(nodeId: string): Promise<number> {
    if (nodeId === this.d.nodeId) return 0;
    const closed = await closeInterruptedCalls(this.d, [nodeId]);
    await this.d.store.removeNode(nodeId);
    if (closed) this.d.logger.warn({ closed, node: nodeId }, 'closed calls of a telephony node that stopped');
    return closed;
  }

  /** One heartbeat: say we are alive, then close the calls of nodes that are not. */
  async beat(): Promise<void> {
    try {
      if (!(await this.d.store.touchNode(this.d.nodeId, this.d.clock.now()))) {
        // Judged dead while alive (a long stall): come back, or other nodes would close our next calls.
        await this.d.store.registerNode(this.d.nodeId, this.d.clock.now());
        if (this.sipAddress) await this.d.store.advertiseNode(this.d.nodeId, this.sipAddress);
      }
      const { closed, pruned } = await this.closeDead(false);
      if (closed) this.d.logger.warn({ closed }, 'closed calls of a telephony node that stopped');
      if (closed || pruned) await this.afterDead?.();
    } catch (err) {
      this.d.logger.warn({ err }, 'telephony node heartbeat failed');
    }
  }

  /** Graceful stop (after this node's calls were ended): leave the table. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.d.store.removeNode(this.d.nodeId);
  }

  private async closeDead(atStart: boolean): Promise<{ closed: number; pruned: number }> {
    const { store, clock, nodeId } = this.d;
    const cutoff = clock.now() - DEAD_AFTER_MS;
    const live = await store.liveNodeIds(cutoff);
    const owners = await store.openCallOwners();
    const dead = owners
      // Our own id at start, or no owner at all: left by a run of ours (or by a version without node ids).
      .filter((owner) => (owner === null || owner === nodeId ? atStart : !live.has(owner)));
    const closed = await closeInterruptedCalls(this.d, dead);
    const pruned = await store.pruneNodes(cutoff);
    return { closed, pruned };
  }
}
