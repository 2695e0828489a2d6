import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import { type Db, type Executor, inTransaction } from '../store/db.js';
import type { Agent } from '../store/schema.js';
import { getAgentByExtension } from './agents.js';
import { replaceAgentQueues } from './queues.js';
import { bumpRevision } from './tenants.js';

/** The priority a callin membership gets when the caller names none (1 = first in line, as the seed's example). */
export const DEFAULT_QUEUE_PRIORITY = 1;
export const MIN_QUEUE_PRIORITY = 1;
export const MAX_QUEUE_PRIORITY = 100;

/** Throws NOT_FOUND naming the first id that is not an inbound queue of the tenant. */
async function requireInboundQueues(db: Executor, tenantId: number, ids: readonly number[]): Promise<void> {
  const unique = [...new Set(ids)];
  const found = await db
    .selectFrom('inbound_queues')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', unique)
    .execute();
  const have = new Set(found.map((r) => r.id));
  const missing = unique.find((id) => !have.has(id));
  if (missing !== undefined) throw notFound(`inbound queue ${missing}`);
}

/**
 * Make `queueIds` the agent's whole callin queue list, every membership at `priority`. Unknown ids and other
 * tenants' ids are NOT_FOUND, checked before anything is written, so a refused request changes nothing.
 */
export async function setAgentCallinQueues(
  db: Db,
  clock: Clock,
  tenantId: number,
  extension: string,
  queueIds: readonly number[],
  priority = DEFAULT_QUEUE_PRIORITY,
): Promise<Agent> {
  if (queueIds.length === 0) throw invalid('queue_ids must not be empty');
  if (!Number.isInteger(priority) || priority < MIN_QUEUE_PRIORITY || priority > MAX_QUEUE_PRIORITY)
    throw invalid(`priority must be an integer from ${MIN_QUEUE_PRIORITY} to ${MAX_QUEUE_PRIORITY}`);
  return inTransaction(db, async (tx) => {
    const agent = await getAgentByExtension(tx, tenantId, extension);
    await requireInboundQueues(tx, tenantId, queueIds);
    // replaceAgentQueues bumps the tenant revision in this same transaction.
    await replaceAgentQueues(tx, tenantId, agent.id, [...queueIds], priority);
    await tx.updateTable('agents').set({ updated_at: clock.now() }).where('id', '=', agent.id).execute();
    return agent;
  });
}

/** Set the outbound (callout) queue the agent's outgoing calls use; another tenant's queue is NOT_FOUND. */
export async function setAgentCalloutQueue(
  db: Db,
  clock: Clock,
  tenantId: number,
  extension: string,
  queueId: number,
): Promise<Agent> {
  return inTransaction(db, async (tx) => {
    const agent = await getAgentByExtension(tx, tenantId, extension);
    const q = await tx
      .selectFrom('outbound_queues')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', queueId)
      .executeTakeFirst();
    if (!q) throw notFound(`outbound queue ${queueId}`);
    await tx
      .updateTable('agents')
      .set({ callout_queue_id: queueId, updated_at: clock.now() })
      .where('id', '=', agent.id)
      .execute();
    await bumpRevision(tx, tenantId);
    return agent;
  });
}

/** Turn call recording on or off for the agent; the call engine reads `recording_enabled` for each new call. */
export async function setAgentRecording(
  db: Db,
  clock: Clock,
  tenantId: number,
  extension: string,
  enabled: boolean,
): Promise<Agent> {
  return inTransaction(db, async (tx) => {
    const agent = await getAgentByExtension(tx, tenantId, extension);
    await tx
      .updateTable('agents')
      .set({ recording_enabled: enabled ? 1 : 0, updated_at: clock.now() })
      .where('id', '=', agent.id)
      .execute();
    await bumpRevision(tx, tenantId);
    return agent;
  });
}
