import type { Clock } from '../clock.js';
import { invalid } from '../errors.js';
import { type Db, type Executor, countAll, inTransaction } from '../store/db.js';
import type { InboundQueue, InboundQueueUpdate } from '../store/schema.js';
import { MANAGEMENT_TYPE_VALUES, getInboundQueue } from './queues.js';
import { bumpRevision } from './tenants.js';

/** An inbound queue with the hotline numbers that route to it (ascending). */
export type InboundQueueView = InboundQueue & { numbers: string[] };

export const MAX_WAIT_SEC_LIMIT = 86_400;

/** Settings an admin API may change on an inbound queue; absent fields stay as they are. */
export interface InboundQueueSettings {
  managementType?: number;
  /** Name of one of the tenant's music-on-hold files. */
  mohFile?: string;
  maxWaitSec?: number;
  announcePosition?: 0 | 1;
}

async function numbersOf(db: Executor, tenantId: number, queueIds: number[]): Promise<Map<number, string[]>> {
  const out = new Map<number, string[]>();
  if (queueIds.length === 0) return out;
  const rows = await db
    .selectFrom('numbers')
    .select(['target_id', 'number'])
    .where('tenant_id', '=', tenantId)
    .where('target_type', '=', 'queue')
    .where('target_id', 'in', queueIds)
    .orderBy('number')
    .execute();
  for (const r of rows) {
    let list = out.get(r.target_id);
    if (!list) out.set(r.target_id, (list = []));
    list.push(r.number);
  }
  return out;
}

/** One page (0-based, ascending id) of the tenant's inbound queues and how many there are in all. */
export async function listInboundQueues(
  db: Executor,
  tenantId: number,
  page: number,
  size: number,
): Promise<{ total: number; queues: InboundQueueView[] }> {
  const [count, rows] = await Promise.all([
    db
      .selectFrom('inbound_queues')
      .select(countAll().as('n'))
      .where('tenant_id', '=', tenantId)
      .executeTakeFirst(),
    db
      .selectFrom('inbound_queues')
      .selectAll()
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .limit(size)
      .offset(page * size)
      .execute(),
  ]);
  const numbers = await numbersOf(
    db,
    tenantId,
    rows.map((q) => q.id),
  );
  return {
    total: Number(count?.n ?? 0),
    queues: rows.map((q) => ({ ...q, numbers: numbers.get(q.id) ?? [] })),
  };
}

/** The tenant's inbound queue `id` with its numbers; another tenant's queue is NOT_FOUND. */
export async function getInboundQueueView(
  db: Executor,
  tenantId: number,
  id: number,
): Promise<InboundQueueView> {
  const q = await getInboundQueue(db, tenantId, id);
  const numbers = await numbersOf(db, tenantId, [id]);
  return { ...q, numbers: numbers.get(id) ?? [] };
}

function validateSettings(s: InboundQueueSettings): InboundQueueUpdate {
  const set: InboundQueueUpdate = {};
  if (s.managementType !== undefined) {
    if (!MANAGEMENT_TYPE_VALUES.includes(s.managementType))
      throw invalid(`strategy must be one of ${MANAGEMENT_TYPE_VALUES.join(', ')}`);
    set.management_type = s.managementType;
  }
  if (s.maxWaitSec !== undefined) {
    if (!Number.isInteger(s.maxWaitSec) || s.maxWaitSec < 1 || s.maxWaitSec > MAX_WAIT_SEC_LIMIT)
      throw invalid(`max_wait_sec must be from 1 to ${MAX_WAIT_SEC_LIMIT} seconds`);
    set.max_wait_sec = s.maxWaitSec;
  }
  if (s.announcePosition !== undefined) set.announce_position = s.announcePosition;
  if (s.mohFile !== undefined) set.moh_file = s.mohFile;
  if (Object.keys(set).length === 0) throw invalid('at least one setting must be given');
  return set;
}

/**
 * Change the queue's settings in one transaction: the queue must be the tenant's (NOT_FOUND otherwise) and a
 * music-on-hold file must be one of the tenant's `moh` media files (INVALID_INPUT otherwise).
 */
export async function updateInboundQueueSettings(
  db: Db,
  clock: Clock,
  tenantId: number,
  id: number,
  settings: InboundQueueSettings,
): Promise<InboundQueue> {
  const set = validateSettings(settings);
  return inTransaction(db, async (tx) => {
    await getInboundQueue(tx, tenantId, id);
    if (settings.mohFile !== undefined) {
      const file = await tx
        .selectFrom('media_files')
        .select('id')
        .where('tenant_id', '=', tenantId)
        .where('kind', '=', 'moh')
        .where('name', '=', settings.mohFile)
        .executeTakeFirst();
      if (!file)
        throw invalid(`moh_file_id: "${settings.mohFile}" is not a music-on-hold file of this tenant`);
    }
    const q = await tx
      .updateTable('inbound_queues')
      .set({ ...set, updated_at: clock.now() })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .returningAll()
      .executeTakeFirstOrThrow();
    await bumpRevision(tx, tenantId);
    return q;
  });
}
