/**
 * At start, after a crash: every recording of this node still `encoding` or `pending` gets its stage job back
 * in the outbox as due now, whatever became of the job (gave up while storage was away for longer than its
 * budget, or was lost), so the encoding or upload a crash interrupted finishes. Jobs still pending are left as
 * they are (the pipeline takes back its own leases when it starts).
 */
import type { Db } from '../store/db.js';
import { type RecordingStage, queueStage } from './rows.js';

export async function resumeInterruptedRecordings(
  db: Db,
  nodeId: string,
  now: () => number,
): Promise<number> {
  const rows = await db
    .selectFrom('recordings')
    .select(['id', 'tenant_id', 'state', 'node_id'])
    .where('state', 'in', ['encoding', 'pending'])
    .where('deleted_at', 'is', null)
    .where((eb) => eb.or([eb('node_id', '=', nodeId), eb('node_id', 'is', null)]))
    .execute();
  let resumed = 0;
  for (const r of rows) {
    const stage: RecordingStage = r.state === 'encoding' ? 'encode' : 'upload';
    const key = `recording:${r.id}:${stage}`;
    const job = await db
      .selectFrom('outbox')
      .select(['id', 'status'])
      .where('dedupe_key', '=', key)
      .executeTakeFirst();
    if (job?.status === 'pending') continue;
    if (job) {
      await db
        .updateTable('outbox')
        .set({
          status: 'pending',
          next_attempt_at: now(),
          locked_until: null,
          locked_by: null,
          updated_at: now(),
        })
        .where('id', '=', job.id)
        .execute();
    } else {
      await queueStage(db, { now }, r.tenant_id, r.id, stage, r.node_id);
    }
    resumed++;
  }
  return resumed;
}
