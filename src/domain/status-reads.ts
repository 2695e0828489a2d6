import type { Clock } from '../clock.js';
import type { Executor } from '../store/db.js';
import type { AgentStatusView } from './status-service.js';
import { SYSTEM_STATUSES, presenceOf } from './statuses.js';
import { chunks, storableIds } from './status-writer.js';

/** The read side of the status service: plain reads of the database, the one source of truth. */

/** The status of each live agent of the tenant among `agentIds`, in the order given; unknown ids are absent. */
export async function readAgentStatuses(
  db: Executor,
  clock: Clock,
  tenantId: number,
  agentIds: readonly number[],
): Promise<AgentStatusView[]> {
  const ids = storableIds(agentIds);
  const byId = new Map<number, AgentStatusView>();
  const now = clock.now();
  for (const part of chunks(ids)) {
    const rows = await db
      .selectFrom('agents')
      .leftJoin('statuses', (j) =>
        j.onRef('statuses.id', '=', 'agents.status_id').onRef('statuses.tenant_id', '=', 'agents.tenant_id'),
      )
      .select([
        'agents.id',
        'agents.uid',
        'agents.extension',
        'agents.name',
        'agents.email',
        'agents.status',
        'agents.status_id',
        'agents.status_changed_at',
        'statuses.is_ready',
      ])
      .where('agents.tenant_id', '=', tenantId)
      .where('agents.id', 'in', part)
      .where('agents.deleted_at', 'is', null)
      .execute();
    for (const r of rows) {
      byId.set(r.id, {
        id: r.id,
        uid: r.uid,
        extension: r.extension,
        name: r.name,
        email: r.email,
        status: r.status,
        statusId: r.status_id,
        presence: presenceOf(r.status, r.is_ready),
        changedAt: r.status_changed_at,
        ipAddrs: [],
      });
    }
    const regs = await db
      .selectFrom('sip_registrations')
      .select(['agent_id', 'source_ip'])
      .distinct()
      .where('tenant_id', '=', tenantId)
      .where('agent_id', 'in', part)
      .where('expires_at', '>', now)
      .orderBy('agent_id')
      .orderBy('source_ip')
      .execute();
    for (const r of regs) byId.get(r.agent_id)?.ipAddrs.push(r.source_ip);
  }
  return ids.flatMap((id) => byId.get(id) ?? []);
}

/** Every live, active agent of the tenant in a custom status flagged ready (what the ACD may offer calls to). */
export async function readyAgentIds(db: Executor, tenantId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('agents')
    .innerJoin('statuses', (j) =>
      j.onRef('statuses.id', '=', 'agents.status_id').onRef('statuses.tenant_id', '=', 'agents.tenant_id'),
    )
    .select('agents.id')
    .where('agents.tenant_id', '=', tenantId)
    .where('agents.deleted_at', 'is', null)
    .where('agents.is_active', '=', 1)
    .where('agents.status', 'not in', [...SYSTEM_STATUSES])
    .where('statuses.is_ready', '=', 1)
    .orderBy('agents.id')
    .execute();
  return rows.map((r) => r.id);
}

/** Every live agent id of the tenant, ascending. */
export async function allAgentIds(db: Executor, tenantId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('agents')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
  return rows.map((r) => r.id);
}

export interface StatusHistoryEntry {
  previous: string;
  current: string;
  changedBy: string;
  at: number;
}

/** The agent's latest status changes, newest first; undefined when the tenant has no such live agent. */
export async function readStatusHistory(
  db: Executor,
  tenantId: number,
  agentId: number,
  limit: number,
): Promise<StatusHistoryEntry[] | undefined> {
  const [id] = storableIds([agentId]);
  if (id === undefined) return undefined;
  const agent = await db
    .selectFrom('agents')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!agent) return undefined;
  const rows = await db
    .selectFrom('status_history')
    .select(['previous_status', 'new_status', 'changed_by', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', id)
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(limit)
    .execute();
  return rows.map((r) => ({
    previous: r.previous_status,
    current: r.new_status,
    changedBy: r.changed_by,
    at: r.created_at,
  }));
}
