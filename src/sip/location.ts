import type { Clock } from '../clock.js';
import type { Db } from '../store/db.js';
import { type Remote, type TransportName, isWebSocket } from './transport.js';

/** One registered contact of an agent. Requests go to `remote` (where REGISTER came from), not to the
 * Contact's host: that is what makes phones behind NAT reachable (RFC 3581 symmetric response routing). */
export interface Binding {
  tenantId: number;
  agentId: number;
  contact: string;
  remote: Remote;
  expiresAt: number;
  callId: string;
  cseq: number;
  userAgent: string | null;
  /** RFC 3327: the Path the REGISTER came through (outermost proxy first); requests to the contact carry it as
   * their Route set and go to its first hop (`remote`). Absent or empty: the phone is reached directly. */
  path?: string[];
}

export type RegistrationListener = (tenantId: number, agentId: number, registered: boolean) => void;

const key = (tenantId: number, agentId: number) => `${tenantId}:${agentId}`;

/**
 * The location service: live bindings in memory (routing reads them per call) written through to
 * `sip_registrations`, so a restarted node keeps reaching phones whose registration has not expired.
 */
export class LocationService {
  private readonly bindings = new Map<string, Binding[]>();
  private readonly listeners: RegistrationListener[] = [];
  private writes: Promise<void> = Promise.resolve();
  /** Several nodes (docs/cluster.md): when `sync` last read the table, and when this node last changed each agent. */
  private syncedAt = 0;
  private readonly localAt = new Map<string, number>();
  private syncing?: Promise<void>;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  onChange(l: RegistrationListener): void {
    this.listeners.push(l);
  }

  /** Load unexpired bindings persisted by a previous run. */
  async load(): Promise<void> {
    this.syncedAt = this.clock.now();
    const rows = await this.db
      .selectFrom('sip_registrations')
      .selectAll()
      .where('expires_at', '>', this.clock.now())
      .execute();
    for (const r of rows) {
      // A WebSocket binding lives as long as its connection, which did not survive the restart.
      if (isWebSocket(r.transport as TransportName)) continue;
      const list = this.bindings.get(key(r.tenant_id, r.agent_id)) ?? [];
      list.push({
        tenantId: r.tenant_id,
        agentId: r.agent_id,
        contact: r.contact,
        remote: { transport: r.transport as TransportName, address: r.source_ip, port: r.source_port },
        expiresAt: r.expires_at,
        callId: '',
        cseq: 0,
        userAgent: r.user_agent,
        ...(r.path ? { path: JSON.parse(r.path) as string[] } : {}),
      });
      this.bindings.set(key(r.tenant_id, r.agent_id), list);
    }
  }

  /** Live contacts of an agent, newest first. */
  lookup(tenantId: number, agentId: number): Binding[] {
    const now = this.clock.now();
    return (this.bindings.get(key(tenantId, agentId)) ?? []).filter((b) => b.expiresAt > now);
  }

  isRegistered(tenantId: number, agentId: number): boolean {
    return this.lookup(tenantId, agentId).length > 0;
  }

  /**
   * Replace the agent's bindings with `next` (the registrar computed them); notifies on login/logout edges.
   * Routing on this node sees the change at once; the returned promise settles when `sip_registrations` holds it,
   * so the registrar answers 200 only once every node (and the HTTP API) can see the binding.
   */
  replace(tenantId: number, agentId: number, next: Binding[]): Promise<void> {
    const was = this.isRegistered(tenantId, agentId);
    if (next.length) this.bindings.set(key(tenantId, agentId), next);
    else this.bindings.delete(key(tenantId, agentId));
    const written = this.persist(tenantId, agentId, next);
    const is = next.some((b) => b.expiresAt > this.clock.now());
    if (was !== is) for (const l of this.listeners) l(tenantId, agentId, is);
    return written;
  }

  /**
   * Adopt registrations other nodes wrote since the last call (several nodes behind Kamailio: a phone registered
   * through any node is reachable from every node, through its Path). Rows this node wrote, or agents it changed
   * since, are left alone; listeners are not told (the node that took the REGISTER did that). An un-REGISTER on
   * another node is not seen here (rows deleted); such a binding lapses at its expiry.
   */
  sync(skewMs = 2000): Promise<void> {
    this.syncing ??= this.readShared(skewMs).finally(() => (this.syncing = undefined));
    return this.syncing;
  }

  private async readShared(skewMs: number): Promise<void> {
    const startedAt = this.clock.now();
    await this.writes;
    const rows = await this.db
      .selectFrom('sip_registrations')
      .selectAll()
      .where('created_at', '>=', this.syncedAt - skewMs)
      .where('expires_at', '>', startedAt)
      .execute();
    const byAgent = new Map<string, typeof rows>();
    for (const r of rows) {
      // Another node's browser is reached only down its own WebSocket connection, which this node does not hold.
      if (isWebSocket(r.transport as TransportName)) continue;
      const k = key(r.tenant_id, r.agent_id);
      byAgent.set(k, [...(byAgent.get(k) ?? []), r]);
    }
    for (const [k, list] of byAgent) {
      const newest = Math.max(...list.map((r) => Number(r.created_at)));
      if ((this.localAt.get(k) ?? 0) >= newest) continue;
      this.bindings.set(
        k,
        list.map((r) => ({
          tenantId: r.tenant_id,
          agentId: r.agent_id,
          contact: r.contact,
          remote: { transport: r.transport as TransportName, address: r.source_ip, port: r.source_port },
          expiresAt: Number(r.expires_at),
          callId: '',
          cseq: 0,
          userAgent: r.user_agent,
          ...(r.path ? { path: JSON.parse(r.path) as string[] } : {}),
        })),
      );
      this.localAt.set(k, newest);
    }
    this.syncedAt = startedAt;
  }

  /**
   * A SIP-over-WebSocket connection closed: its bindings lapse at `at` (a short grace period) unless the browser
   * reconnects and registers again first, which replaces them with bindings on the new connection. `sweep`
   * removes them and reports the agent unregistered when nothing else is left.
   */
  connectionLost(remote: Remote, at: number): number {
    let n = 0;
    for (const list of this.bindings.values()) {
      for (const b of list) {
        const r = b.remote;
        if (r.transport !== remote.transport || r.address !== remote.address || r.port !== remote.port)
          continue;
        if (b.expiresAt > at) b.expiresAt = at;
        n++;
      }
    }
    return n;
  }

  /** Drop expired bindings; agents left without any are reported as unregistered. */
  sweep(): void {
    const now = this.clock.now();
    for (const [k, list] of this.bindings) {
      const live = list.filter((b) => b.expiresAt > now);
      if (live.length === list.length) continue;
      const { tenantId, agentId } = list[0]!;
      if (live.length) this.bindings.set(k, live);
      else this.bindings.delete(k);
      void this.persist(tenantId, agentId, live);
      if (!live.length) for (const l of this.listeners) l(tenantId, agentId, false);
    }
  }

  /**
   * Writes are chained so the table always ends with the latest state of each agent, and each one replaces the
   * agent's rows in one transaction so a reader never sees the agent without bindings half-way through.
   */
  private persist(tenantId: number, agentId: number, list: Binding[]): Promise<void> {
    const now = this.clock.now();
    this.localAt.set(key(tenantId, agentId), now);
    this.writes = this.writes
      .then(() =>
        this.db.transaction().execute(async (trx) => {
          await trx
            .deleteFrom('sip_registrations')
            .where('tenant_id', '=', tenantId)
            .where('agent_id', '=', agentId)
            .execute();
          if (!list.length) return;
          await trx
            .insertInto('sip_registrations')
            .values(
              list.map((b) => ({
                tenant_id: tenantId,
                agent_id: agentId,
                contact: b.contact,
                source_ip: b.remote.address,
                source_port: b.remote.port,
                transport: b.remote.transport,
                user_agent: b.userAgent,
                path: b.path?.length ? JSON.stringify(b.path) : null,
                expires_at: b.expiresAt,
                created_at: now,
              })),
            )
            .execute();
        }),
      )
      // A failed write leaves the live binding in memory (this node still routes to it); the phone's next
      // REGISTER writes it again.
      .catch(() => undefined);
    return this.writes;
  }

  /** Wait for pending writes (shutdown, tests). */
  flush(): Promise<void> {
    return this.writes;
  }
}
