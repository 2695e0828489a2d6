import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import type { Executor } from '../store/db.js';
import type { InboundQueue } from '../store/schema.js';
import { bumpRevision } from './tenants.js';

/** AloHub management types (`strategy` on the wire). */
export const MANAGEMENT_TYPES = { normal: 1, vip: 2, blacklist: 3, divert: 4, locked: 99 } as const;
export const MANAGEMENT_TYPE_VALUES: readonly number[] = Object.values(MANAGEMENT_TYPES);

/** Agent selection strategies (AloHub `agentSelector`). */
export const AGENT_SELECTORS = [
  'ring-all',
  'longest-idle',
  'round-robin',
  'top-down',
  'fewest-calls',
  'least-talk-time',
  'random',
  'ring-progressively',
] as const;
export type AgentSelector = (typeof AGENT_SELECTORS)[number];

export interface CreateInboundQueueInput {
  name: string;
  managementType?: number;
  agentSelector?: AgentSelector | null;
  mohFile?: string | null;
  maxWaitSec?: number | null;
  announcePosition?: 0 | 1 | null;
  wrapupSec?: number;
  ringTimeoutSec?: number;
  overflowTarget?: string | null;
  divertTarget?: string | null;
}

export async function createInboundQueue(
  db: Executor,
  clock: Clock,
  tenantId: number,
  input: CreateInboundQueueInput,
): Promise<InboundQueue> {
  const name = input.name.trim();
  if (!name) throw invalid('queue name is required');
  const mt = input.managementType ?? 1;
  if (!MANAGEMENT_TYPE_VALUES.includes(mt))
    throw invalid(`management type must be one of ${MANAGEMENT_TYPE_VALUES.join(', ')}`);
  const now = clock.now();
  const q = await db
    .insertInto('inbound_queues')
    .values({
      tenant_id: tenantId,
      name,
      management_type: mt,
      agent_selector: input.agentSelector ?? null,
      moh_file: input.mohFile ?? null,
      max_wait_sec: input.maxWaitSec ?? null,
      announce_position: input.announcePosition ?? null,
      wrapup_sec: input.wrapupSec ?? 5,
      ring_timeout_sec: input.ringTimeoutSec ?? 20,
      overflow_target: input.overflowTarget ?? null,
      divert_target: input.divertTarget ?? null,
      created_at: now,
      updated_at: now,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  await bumpRevision(db, tenantId);
  return q;
}

export async function getInboundQueue(db: Executor, tenantId: number, id: number): Promise<InboundQueue> {
  const q = await db
    .selectFrom('inbound_queues')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!q) throw notFound(`queue ${id}`);
  return q;
}

/** Replace the agent's callin queue memberships (AloHub semantics: the list given is the whole list). */
export async function replaceAgentQueues(
  db: Executor,
  tenantId: number,
  agentId: number,
  queueIds: number[],
  priority: number,
): Promise<void> {
  await db
    .deleteFrom('queue_members')
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .execute();
  if (queueIds.length > 0) {
    await db
      .insertInto('queue_members')
      .values(
        [...new Set(queueIds)].map((queue_id) => ({
          tenant_id: tenantId,
          queue_id,
          agent_id: agentId,
          priority,
        })),
      )
      .execute();
  }
  await bumpRevision(db, tenantId);
}

export async function createOutboundQueue(
  db: Executor,
  clock: Clock,
  tenantId: number,
  name: string,
  callerIds: string[],
): Promise<{ id: number }> {
  const row = await db
    .insertInto('outbound_queues')
    .values({ tenant_id: tenantId, name, caller_ids: JSON.stringify(callerIds), created_at: clock.now() })
    .returning('id')
    .executeTakeFirstOrThrow();
  await bumpRevision(db, tenantId);
  return row;
}
