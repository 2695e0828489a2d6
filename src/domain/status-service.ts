import type { Clock } from '../clock.js';
import { conflict, invalid, notFound } from '../errors.js';
import { type Db, type Executor, type Tx, precompile } from '../store/db.js';
import type { Dialect } from '../store/migrations/helpers.js';
import type { Status } from '../store/schema.js';
import type { EventBus } from './events.js';
import type { LiveStatusTracker } from './live-statuses.js';
import {
  type StatusEntry,
  createCustomStatus,
  deleteCustomStatus,
  findCustomStatus,
  firstReadyStatus,
  listAllStatuses,
  updateCustomStatus,
} from './status-catalog.js';
import {
  type AgentState,
  type CustomStatusRef,
  type Decision,
  type UnchangedReason,
  customTransition,
  loginTransition,
  logoutTransition,
  resumeTransition,
  systemStatusOf,
  systemTransition,
} from './status-rules.js';
import type { Presence, SystemStatus } from './statuses.js';
import {
  type StatusHistoryEntry,
  allAgentIds,
  readAgentStatuses,
  readStatusHistory,
  readyAgentIds,
} from './status-reads.js';
import {
  type LockedAgent,
  type TxRunner,
  applyDecisions,
  lockAgents,
  outcomeWithoutChange,
  runWithRetry,
  storableIds,
} from './status-writer.js';

/** Who an outcome is about: enough for every family's wire format. */
export interface AgentBrief {
  id: number;
  uid: string;
  extension: string;
  name: string;
  email: string;
}

export type StatusOutcome =
  | { agentId: number; result: 'changed'; agent: AgentBrief; previous: string; current: string }
  | {
      agentId: number;
      result: 'unchanged';
      agent: AgentBrief;
      previous: string;
      current: string;
      reason: UnchangedReason;
      message: string;
    }
  | { agentId: number; result: 'not_found' };

export type FoundOutcome = Exclude<StatusOutcome, { result: 'not_found' }>;

/** An agent's status as every family reads it. */
export interface AgentStatusView extends AgentBrief {
  status: string;
  /** The custom status the agent is in or returns to after a call; null when logged out. */
  statusId: number | null;
  presence: Presence;
  changedAt: number | null;
  /** Distinct source addresses of the agent's unexpired SIP registrations. */
  ipAddrs: string[];
}

/**
 * The one agent status model. The database is the source of truth (nothing cached here, so the CLI or another
 * node never leaves it stale). Every change writes status_history in the same transaction and is published on
 * the bus only after that transaction commits.
 */
export class StatusService {
  private readonly run: TxRunner;
  /** One live agent's committed row, read without a transaction (see `withoutChange`). */
  private readonly committedAgent: (tenantId: number, agentId: number) => Promise<LockedAgent[]>;

  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
    private readonly clock: Clock,
    private readonly bus: EventBus,
    /** The in-memory statuses, told of each commit (src/domain/live-statuses.ts, pg-live-statuses.ts). */
    private readonly live?: LiveStatusTracker,
  ) {
    this.run = (fn) => runWithRetry(db, fn);
    this.committedAgent = precompile(
      db,
      (tenantId: number, agentId: number) =>
        db
          .selectFrom('agents')
          .select(['id', 'uid', 'extension', 'name', 'email', 'status', 'status_id'])
          .where('tenant_id', '=', tenantId)
          .where('id', '=', agentId)
          .where('deleted_at', 'is', null),
      ['number', 'number'],
    );
  }

  // ---- the tenant's statuses -------------------------------------------------------------------------------

  listStatuses(tenantId: number): Promise<StatusEntry[]> {
    return listAllStatuses(this.db, tenantId);
  }

  createStatus(tenantId: number, input: { name: string; isReady?: boolean }): Promise<Status> {
    return this.run((tx) => createCustomStatus(tx, this.clock, tenantId, input));
  }

  updateStatus(tenantId: number, id: number, input: { name?: string; isReady?: boolean }): Promise<Status> {
    return this.run(async (tx) => {
      if (!(await this.lockStatus(tx, tenantId, id))) throw notFound(`status ${id}`);
      return updateCustomStatus(tx, tenantId, id, input);
    });
  }

  deleteStatus(tenantId: number, id: number): Promise<void> {
    return this.run(async (tx) => {
      // Locked so a concurrent bulk update into this status either finishes first (and is counted) or fails.
      if (!(await this.lockStatus(tx, tenantId, id))) throw notFound(`status ${id}`);
      await deleteCustomStatus(tx, this.clock, tenantId, id);
    });
  }

  // ---- transitions ---------------------------------------------------------------------------------------

  /**
   * Set a custom status on many agents in one transaction; one outcome per requested id, in request order.
   * An unknown status or a system status is refused for the whole request (INVALID_INPUT).
   */
  async setCustomStatus(
    tenantId: number,
    agentIds: readonly number[],
    statusName: string,
    by: string,
  ): Promise<StatusOutcome[]> {
    const sys = systemStatusOf(statusName.trim());
    if (sys) throw invalid(`Agent can't be changed to system status '${sys}'`, 'system_status_target');
    const ids = [...new Set(agentIds)];
    const outcomes = await this.transition<CustomStatusRef>(
      tenantId,
      ids,
      by,
      async (_tx, _locked, target) => (a) => customTransition(a, target),
      // The status row is locked before the agents: the order rename and delete take too, so they never deadlock.
      (tx) => this.resolveTarget(tx, tenantId, statusName),
    );
    return ids.map((id) => outcomes.get(id) ?? { agentId: id, result: 'not_found' });
  }

  /** The agent logs in: Offline → the tenant's first ready custom status (e.g. Available). */
  login(tenantId: number, agentId: number, by: string): Promise<FoundOutcome> {
    return this.single(tenantId, agentId, by, async (tx) => {
      const ready = await firstReadyStatus(tx, tenantId);
      if (!ready)
        throw conflict('the tenant has no ready status to log in to; create one first', 'no_ready_status');
      return (a) => loginTransition(a, ready);
    });
  }

  /** The agent logs out (→ Offline). Refused, as unchanged, while the platform holds them in a call. */
  logout(tenantId: number, agentId: number, by: string): Promise<FoundOutcome> {
    return this.single(tenantId, agentId, by, async () => logoutTransition);
  }

  /** For the platform only (SIP/call engine, ACD): move an agent into a system status. */
  async setSystemStatus(
    tenantId: number,
    agentId: number,
    status: SystemStatus,
    by: string,
  ): Promise<FoundOutcome> {
    const decide = (a: AgentState) => systemTransition(a, status);
    return (
      (await this.withoutChange(tenantId, agentId, decide)) ??
      this.single(tenantId, agentId, by, async () => decide)
    );
  }

  /** For the platform only: the call flow is over; back to the custom status the agent had before it. */
  async resumeCustomStatus(tenantId: number, agentId: number, by: string): Promise<FoundOutcome> {
    // Whatever status the agent would resume to, an agent outside a call flow stays as they are.
    const settled = await this.withoutChange(tenantId, agentId, (a) => resumeTransition(a, null));
    if (settled) return settled;
    return this.single(tenantId, agentId, by, async (tx, locked) => {
      const resumeTo = await this.resumeTarget(tx, tenantId, locked[0]);
      return (a) => resumeTransition(a, resumeTo);
    });
  }

  // ---- reads ---------------------------------------------------------------------------------------------

  /** The status of each live agent among `agentIds` (missing ids are simply absent), in the order given. */
  async getStatuses(tenantId: number, agentIds: readonly number[]): Promise<AgentStatusView[]> {
    return readAgentStatuses(this.db, this.clock, tenantId, agentIds);
  }

  /** The status of every live agent of the tenant, by id. */
  async listAgentStatuses(tenantId: number): Promise<AgentStatusView[]> {
    return this.getStatuses(tenantId, await allAgentIds(this.db, tenantId));
  }

  /** The agent's latest status changes (newest first); another tenant's agent is "not found". */
  async history(tenantId: number, agentId: number, limit = 50): Promise<StatusHistoryEntry[]> {
    const rows = await readStatusHistory(this.db, tenantId, agentId, limit);
    if (!rows) throw notFound(`agent ${agentId}`);
    return rows;
  }

  /** For the ACD: whether the agent may be offered a call now (in a custom status flagged ready). */
  async isReady(tenantId: number, agentId: number): Promise<boolean> {
    const [v] = await this.getStatuses(tenantId, [agentId]);
    return v?.presence === 'ready';
  }

  /** For the ACD: every agent of the tenant that may be offered a call now. */
  async readyAgentIds(tenantId: number): Promise<number[]> {
    return readyAgentIds(this.db, tenantId);
  }

  // ---- machinery ---------------------------------------------------------------------------------------

  /**
   * The outcome of a platform transition that would write nothing (the agent is already there, or the step is
   * not allowed), decided on the committed row without a transaction: calls move their agents several times each
   * and many steps find nothing to do, which a transaction costs several queries to learn. Undefined when the
   * row would change or was not found: the caller then runs the transition in a transaction, which reads the row
   * again under lock. A read of committed data is the answer a transaction serialized at that read would give.
   */
  private async withoutChange(
    tenantId: number,
    agentId: number,
    decide: (a: AgentState) => Decision,
  ): Promise<FoundOutcome | undefined> {
    if (storableIds([agentId]).length === 0) return undefined;
    const [row] = await this.committedAgent(tenantId, agentId);
    if (!row) return undefined;
    const d = decide({ status: row.status, statusId: row.status_id });
    return d.kind === 'change' ? undefined : outcomeWithoutChange(row, d);
  }

  private async single(
    tenantId: number,
    agentId: number,
    by: string,
    prepare: (tx: Tx, locked: LockedAgent[]) => Promise<(a: AgentState) => Decision>,
  ): Promise<FoundOutcome> {
    const out = (await this.transition(tenantId, [agentId], by, prepare)).get(agentId);
    if (!out || out.result === 'not_found') throw notFound(`agent ${agentId}`);
    return out;
  }

  /** Lock the agents, decide each one's transition, write changes and history, then publish after commit. */
  private async transition<B = undefined>(
    tenantId: number,
    agentIds: number[],
    by: string,
    prepare: (tx: Tx, locked: LockedAgent[], before: B) => Promise<(a: AgentState) => Decision>,
    beforeLock?: (tx: Tx) => Promise<B>,
  ): Promise<Map<number, StatusOutcome>> {
    const live = this.live;
    const { outcomes, events, commit } = await this.run(async (tx) => {
      const before = beforeLock ? await beforeLock(tx) : (undefined as B);
      const locked = await lockAgents(tx, this.dialect, tenantId, agentIds);
      const decide = await prepare(tx, locked, before);
      const mark = live ? await live.mark(tx, tenantId) : 0;
      const applied = await applyDecisions(tx, this.clock, tenantId, locked, decide, by);
      const ids = applied.events.map((e) => e.agentId);
      const commit = live && ids.length > 0 ? await live.changed(tx, tenantId, mark, ids) : undefined;
      return { ...applied, commit };
    });
    // Only now is the change durable: subscribers never see a status that was rolled back.
    commit?.();
    for (const e of events) this.bus.publish(tenantId, 'agent.status_changed', e);
    return outcomes;
  }

  private async resolveTarget(tx: Tx, tenantId: number, name: string): Promise<CustomStatusRef> {
    const s = await findCustomStatus(tx, tenantId, name);
    if (!s || !(await this.lockStatus(tx, tenantId, s.id, 'share')))
      throw invalid(`status '${name}' does not exist`, 'unknown_status');
    return { id: s.id, name: s.name };
  }

  private async resumeTarget(tx: Tx, tenantId: number, a: LockedAgent | undefined) {
    if (!a || a.status_id === null) return null;
    const s = await tx
      .selectFrom('statuses')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', a.status_id)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    return s ?? (await firstReadyStatus(tx, tenantId)) ?? null;
  }

  /** PostgreSQL row lock on a status row (SQLite transactions already serialize writers). */
  private async lockStatus(
    tx: Executor,
    tenantId: number,
    id: number,
    mode: 'update' | 'share' = 'update',
  ): Promise<boolean> {
    if (this.dialect !== 'postgres') return true;
    const q = tx
      .selectFrom('statuses')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .where('deleted_at', 'is', null);
    const row = await (mode === 'update' ? q.forUpdate() : q.forShare()).executeTakeFirst();
    return row !== undefined;
  }
}
