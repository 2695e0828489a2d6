import { type Db, precompile } from '../store/db.js';

/**
 * Whether a bridged call is recorded: when any of its agents has recording on (AloHub
 * `PUT /v1/agents/{id}/recording`) or its queue records calls. Asked once per bridged call, so its reads are
 * compiled once and, on SQLite, run on the read-only connection (committed data, as the writer would see it).
 */
export function recordingPolicy(
  db: Db,
): (tenantId: number, agentIds: readonly number[], queueId: number | null) => Promise<boolean> {
  const agentRecords = precompile(
    db,
    (tenantId: number, agentId: number) =>
      db
        .selectFrom('agents')
        .select('recording_enabled')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', agentId),
    ['number', 'number'],
  );
  const queueRecords = precompile(
    db,
    (tenantId: number, queueId: number) =>
      db
        .selectFrom('inbound_queues')
        .select('record_calls')
        .where('tenant_id', '=', tenantId)
        .where('id', '=', queueId),
    ['number', 'number'],
  );
  return async (tenantId, agentIds, queueId) => {
    for (const id of new Set(agentIds)) {
      const [row] = await agentRecords(tenantId, id);
      if (row?.recording_enabled === 1) return true;
    }
    if (queueId === null) return false;
    const [q] = await queueRecords(tenantId, queueId);
    return q?.record_calls === 1;
  };
}
