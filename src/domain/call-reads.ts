import { invalid } from '../errors.js';
import type { Executor } from '../store/db.js';
import type { Call } from '../store/schema.js';

/**
 * Reads of call records for the native calls API (`GET /api/calls`, `GET /api/calls/{id}`): filters, and cursor
 * pagination newest first (the cursor names the last row seen, so pages stay stable while new calls arrive).
 */

export const CALLS_DEFAULT_LIMIT = 50;
export const CALLS_MAX_LIMIT = 200;
export const CALL_STATUSES = ['SUCCESS', 'CANCELLED', 'BUSY', 'UNSUCCESS', 'IVR'] as const;
export type CallStatusDetail = (typeof CALL_STATUSES)[number];

export interface CallFilter {
  fromMs?: number | undefined;
  toMs?: number | undefined;
  direction?: 'inbound' | 'outbound' | 'internal' | undefined;
  queueId?: number | undefined;
  /** Calls the agent took part in: answered it, placed it or was called. */
  agentId?: number | undefined;
  status?: CallStatusDetail | undefined;
  callerNumber?: string | undefined;
  calleeNumber?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

export interface CallPage {
  rows: Call[];
  /** The cursor of the next page, null on the last. */
  next: string | null;
}

/** `<created_at>.<id>` of the last row, base64url: opaque to clients. */
function cursorOf(c: Pick<Call, 'created_at' | 'id'>): string {
  return Buffer.from(`${c.created_at}.${c.id}`).toString('base64url');
}

function parseCursor(raw: string): { createdAt: number; id: number } {
  const m = /^(\d{1,16})\.(\d{1,16})$/.exec(Buffer.from(raw, 'base64url').toString('utf8'));
  const createdAt = Number(m?.[1]);
  const id = Number(m?.[2]);
  if (!m || !Number.isSafeInteger(createdAt) || !Number.isSafeInteger(id)) {
    throw invalid('cursor is not one this API handed out (use next_cursor of the previous page)');
  }
  return { createdAt, id };
}

/** One page of the tenant's call records matching `f`, newest first. */
export async function listCalls(db: Executor, tenantId: number, f: CallFilter): Promise<CallPage> {
  const after = f.cursor === undefined ? undefined : parseCursor(f.cursor);
  let q = db.selectFrom('calls').selectAll().where('tenant_id', '=', tenantId);
  if (f.fromMs !== undefined) q = q.where('created_at', '>=', f.fromMs);
  if (f.toMs !== undefined) q = q.where('created_at', '<=', f.toMs);
  if (f.direction) q = q.where('direction', '=', f.direction);
  if (f.queueId !== undefined) q = q.where('queue_id', '=', f.queueId);
  if (f.status) q = q.where('status_detail', '=', f.status);
  if (f.callerNumber) q = q.where('caller_number', '=', f.callerNumber);
  if (f.calleeNumber) q = q.where('callee_number', '=', f.calleeNumber);
  const agentId = f.agentId;
  if (agentId !== undefined) {
    q = q.where((eb) =>
      eb.or([
        eb('agent_id', '=', agentId),
        eb('caller_agent_id', '=', agentId),
        eb('callee_agent_id', '=', agentId),
      ]),
    );
  }
  if (after) {
    q = q.where((eb) =>
      eb.or([
        eb('created_at', '<', after.createdAt),
        eb.and([eb('created_at', '=', after.createdAt), eb('id', '<', after.id)]),
      ]),
    );
  }
  const rows = await q
    .orderBy('created_at', 'desc')
    .orderBy('id', 'desc')
    .limit(f.limit + 1)
    .execute();
  const more = rows.length > f.limit;
  const page = more ? rows.slice(0, f.limit) : rows;
  return { rows: page, next: more ? cursorOf(page.at(-1)!) : null };
}

/** The tenant's record of one call (another tenant's call is not found). */
export function findCallRecord(db: Executor, tenantId: number, callId: string): Promise<Call | undefined> {
  return db
    .selectFrom('calls')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('call_id', '=', callId)
    .executeTakeFirst();
}

/** The file name of a call's live recording (null: none, or deleted). */
export async function recordingNameOfCall(
  db: Executor,
  tenantId: number,
  recordingId: number | null,
): Promise<string | null> {
  if (recordingId === null) return null;
  const r = await db
    .selectFrom('recordings')
    .select('name')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', recordingId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return r?.name ?? null;
}
