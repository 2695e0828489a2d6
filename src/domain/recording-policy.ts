import type { Executor } from '../store/db.js';

/**
 * Whether a bridged call is recorded: when any of its agents has recording on (AloHub
 * `PUT /v1/agents/{id}/recording`) or its queue records calls.
 */
export async function recordingWanted(
  db: Executor,
  tenantId: number,
  agentIds: readonly number[],
  queueId: number | null,
): Promise<boolean> {
  if (agentIds.length > 0) {
    const rows = await db
      .selectFrom('agents')
      .select('recording_enabled')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', agentIds)
      .execute();
    if (rows.some((r) => r.recording_enabled === 1)) return true;
  }
  if (queueId === null) return false;
  const q = await db
    .selectFrom('inbound_queues')
    .select('record_calls')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', queueId)
    .executeTakeFirst();
  return q?.record_calls === 1;
}
