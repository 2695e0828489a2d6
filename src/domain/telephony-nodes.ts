import type { Executor } from '../store/db.js';

/**
 * The `telephony_nodes` table: one row per running telephony node with its last heartbeat. Crash recovery
 * (src/calls/nodes.ts) reads which nodes are alive and which nodes own open calls.
 */

/** Insert or refresh this node's row (start of a run). */
export async function registerNode(db: Executor, nodeId: string, now: number): Promise<void> {
  await db
    .insertInto('telephony_nodes')
    .values({ id: nodeId, started_at: now, seen_at: now })
    .onConflict((oc) => oc.column('id').doUpdateSet({ started_at: now, seen_at: now }))
    .execute();
}

/** Advertise the SIP host:port this node is reached at (once its transport is bound). */
export async function advertiseNode(db: Executor, nodeId: string, sipAddress: string): Promise<void> {
  await db.updateTable('telephony_nodes').set({ sip_address: sipAddress }).where('id', '=', nodeId).execute();
}

/** Refresh this node's heartbeat; false when its row is gone (another node judged it dead and forgot it). */
export async function touchNode(db: Executor, nodeId: string, now: number): Promise<boolean> {
  const r = await db
    .updateTable('telephony_nodes')
    .set({ seen_at: now })
    .where('id', '=', nodeId)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}

export async function removeNode(db: Executor, nodeId: string): Promise<void> {
  await db.deleteFrom('telephony_nodes').where('id', '=', nodeId).execute();
}

/** Ids of the nodes seen at or after `cutoff`. */
export async function liveNodeIds(db: Executor, cutoff: number): Promise<Set<string>> {
  const rows = await db.selectFrom('telephony_nodes').select('id').where('seen_at', '>=', cutoff).execute();
  return new Set(rows.map((r) => r.id));
}

/** Forget nodes not seen since `cutoff`; returns how many went. */
export async function pruneNodes(db: Executor, cutoff: number): Promise<number> {
  const res = await db.deleteFrom('telephony_nodes').where('seen_at', '<', cutoff).executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** The nodes that run open calls (a few rows, through the open-calls index); null: calls no node claims. */
export async function openCallOwners(db: Executor): Promise<(string | null)[]> {
  const rows = await db
    .selectFrom('calls')
    .select('node_id')
    .distinct()
    .where('ended_at', 'is', null)
    .execute();
  return rows.map((r) => r.node_id);
}
