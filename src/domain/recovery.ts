/**
 * Start-up crash recovery for what a kill -9 leaves outside the call records themselves. The telephony node
 * (src/calls/nodes.ts) has already closed the calls this node's previous run left open; here:
 *
 * 1. recordings complete on disk (finished by `repairUnfinishedRecordings`) are linked to their call record,
 *    which is only written with its `recording_id` when the call ends normally;
 * 2. agents the platform holds in a call-owned system status (Ringing, In-call, Wrap-up) with no call still
 *    running anywhere are resumed the way the status model prescribes for "the call flow is over": back to the
 *    custom status they had before the call, or Offline (docs/statuses.md), with a history row and an event.
 *
 * 3. recordings of this node whose encoding or upload a crash interrupted get their job back (due now).
 *
 * Another live node's flows are left alone: an agent whose latest call is open, or was run by a live node
 * other than this one (it may be in that node's wrap-up), is not touched.
 */
import type { Db } from '../store/db.js';
import { resumeInterruptedRecordings } from '../recordings/recover.js';
import type { StatusService } from './status-service.js';

/** Calls whose heartbeat stopped this long ago belong to a dead node (the same bound as src/calls/nodes.ts). */
const DEAD_AFTER_MS = 45_000;
const CALL_OWNED = ['Ringing', 'In-call', 'Wrap-up'] as const;
/** `changed_by` on the history rows recovery writes. */
export const RECOVERY_BY = 'platform:recovery';

export interface RecoveryDeps {
  db: Db;
  statuses: Pick<StatusService, 'resumeCustomStatus'>;
  nodeId: string;
  now: () => number;
  /**
   * Whether this node's own live calls involve the agent (a running node's recovery, e.g. after it took a tenant's
   * lease). A completed transfer writes its new agent to the call row at once (CallRecord.reassigned); this still
   * covers the agent a transfer is ringing, who is on no row yet.
   */
  inLiveCall?: (tenantId: number, agentId: number) => boolean;
}

export interface RecoveryReport {
  recordingsLinked: number;
  agentsReset: number;
  /** Recordings whose encoding or upload a crash interrupted, queued again (src/recordings/recover.ts). */
  recordingsResumed: number;
}

/** Run both repairs; call once at start, after the node closed its interrupted calls. */
export async function recoverAfterCrash(d: RecoveryDeps): Promise<RecoveryReport> {
  const recordingsLinked = await linkOrphanRecordings(d.db);
  const agentsReset = await resetStuckAgents(d);
  const recordingsResumed = await resumeInterruptedRecordings(d.db, d.nodeId, d.now);
  return { recordingsLinked, agentsReset, recordingsResumed };
}

/** Point ended calls with no recording at their completed recording (the latest, if several). */
export async function linkOrphanRecordings(db: Db): Promise<number> {
  const rows = await db
    .selectFrom('calls')
    .innerJoin('recordings', (j) =>
      j
        .onRef('recordings.call_id', '=', 'calls.call_id')
        .onRef('recordings.tenant_id', '=', 'calls.tenant_id'),
    )
    .select(['calls.id as callRow', 'recordings.id as recId'])
    .where('calls.recording_id', 'is', null)
    .where('calls.ended_at', 'is not', null)
    .where('recordings.completed_at', 'is not', null)
    .where('recordings.deleted_at', 'is', null)
    .orderBy('recordings.id')
    .execute();
  const latest = new Map<number, number>();
  for (const r of rows) latest.set(r.callRow, r.recId);
  for (const [callRow, recId] of latest) {
    await db
      .updateTable('calls')
      .set({ recording_id: recId })
      .where('id', '=', callRow)
      .where('recording_id', 'is', null)
      .execute();
  }
  return latest.size;
}

/** Resume every agent stuck in a call-owned status whose call flow no live node still runs. */
export async function resetStuckAgents(d: RecoveryDeps): Promise<number> {
  const stuck = await d.db
    .selectFrom('agents')
    .select(['id', 'tenant_id'])
    .where('status', 'in', [...CALL_OWNED])
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
  if (stuck.length === 0) return 0;
  const otherLive = await otherLiveNodes(d);
  let reset = 0;
  for (const a of stuck) {
    if (d.inLiveCall?.(a.tenant_id, a.id)) continue;
    if (await heldByLiveFlow(d.db, a.tenant_id, a.id, otherLive)) continue;
    const out = await d.statuses.resumeCustomStatus(a.tenant_id, a.id, RECOVERY_BY);
    if (out.result === 'changed') reset++;
  }
  return reset;
}

async function otherLiveNodes(d: RecoveryDeps): Promise<Set<string>> {
  const rows = await d.db
    .selectFrom('telephony_nodes')
    .select('id')
    .where('seen_at', '>=', d.now() - DEAD_AFTER_MS)
    .where('id', '!=', d.nodeId)
    .execute();
  return new Set(rows.map((r) => r.id));
}

/**
 * Whether a call still explains the agent's status: their latest call is open, or was run by another live
 * node. An offer (Ringing) may not name its agent on the call row yet, so when other nodes live and the agent
 * has no call at all, any open call of the tenant on one of them counts too.
 */
async function heldByLiveFlow(db: Db, tenantId: number, agentId: number, otherLive: Set<string>) {
  const last = await db
    .selectFrom('calls')
    .select(['ended_at', 'node_id'])
    .where('tenant_id', '=', tenantId)
    .where((eb) =>
      eb.or([
        eb('agent_id', '=', agentId),
        eb('caller_agent_id', '=', agentId),
        eb('callee_agent_id', '=', agentId),
      ]),
    )
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (last) return last.ended_at === null || (last.node_id !== null && otherLive.has(last.node_id));
  if (otherLive.size === 0) return false;
  const open = await db
    .selectFrom('calls')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('ended_at', 'is', null)
    .where('node_id', 'in', [...otherLive])
    .limit(1)
    .executeTakeFirst();
  return open !== undefined;
}
