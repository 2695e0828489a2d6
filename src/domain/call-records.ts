import { type Db, type Executor, compileWrite } from '../store/db.js';
import { type CallRecordInput, newCallRow } from './call-history.js';

/**
 * Writes of a call's record after it was created (src/domain/call-history.ts `insertCallRecord` creates it):
 * the answer, the end, and crash recovery's closing of calls nobody runs any more. The call engine's
 * CallRecord (src/calls/records.ts) calls these through its CallStore and publishes the events itself.
 */

/** What the end of a call writes on its record. */
export interface CallEndWrite {
  endedAt: number;
  durationSec: number;
  billingSec: number;
  hangupCause: string;
  hangupBy: string;
  statusDetail: string;
  sipCode: number | null;
  reason: string | null;
  agentId: number | null;
  queueId: number | null;
  queueStat: Record<string, unknown> | null;
  recordingId: number | null;
  /** The transfer history as stored (storedTransfers), null: none. */
  transfers?: string | null;
}

/** The columns the end of a call sets. */
function endColumns(e: CallEndWrite) {
  return {
    ended_at: e.endedAt,
    duration_sec: e.durationSec,
    billing_sec: e.billingSec,
    hangup_cause: e.hangupCause,
    hangup_by: e.hangupBy,
    status_detail: e.statusDetail,
    sip_code: e.sipCode,
    reason: e.reason,
    agent_id: e.agentId,
    queue_id: e.queueId,
    queue_stat: e.queueStat ? JSON.stringify(e.queueStat) : null,
    recording_id: e.recordingId,
    transfers: e.transfers ?? null,
  };
}

/**
 * The three writes every call makes on its record (created, answered, ended), each a statement compiled once
 * rather than built anew per call (the insert is `insertCallRecord`'s without its RETURNING).
 */
export function callRecordWrites(db: Db) {
  const row = newCallRow(0, {
    callId: '',
    direction: 'inbound',
    callerNumber: '',
    calleeNumber: '',
    createdAt: 0,
  });
  type Row = ReturnType<typeof newCallRow>;
  const insert = compileWrite<Row>(db, Object.keys(row) as (keyof Row & string)[], (v) =>
    db.insertInto('calls').values(v),
  );
  type Answer = { tenant_id: number; call_id: string; answered_at: number; agent_id: number | null };
  const answer = compileWrite<Answer>(db, ['tenant_id', 'call_id', 'answered_at', 'agent_id'], (v) =>
    db
      .updateTable('calls')
      .set({ answered_at: v.answered_at, agent_id: v.agent_id })
      .where('tenant_id', '=', v.tenant_id)
      .where('call_id', '=', v.call_id),
  );
  type End = ReturnType<typeof endColumns> & { tenant_id: number; call_id: string };
  const endKeys = [...Object.keys(endColumns(sampleEnd)), 'tenant_id', 'call_id'] as (keyof End & string)[];
  const end = compileWrite<End>(db, endKeys, ({ tenant_id, call_id, ...set }) =>
    db.updateTable('calls').set(set).where('tenant_id', '=', tenant_id).where('call_id', '=', call_id),
  );
  return {
    insert: (tenantId: number, c: CallRecordInput) => insert(newCallRow(tenantId, c)),
    answered: (tenantId: number, callId: string, at: number, agentId: number | null) =>
      answer({ tenant_id: tenantId, call_id: callId, answered_at: at, agent_id: agentId }),
    ended: (tenantId: number, callId: string, e: CallEndWrite) =>
      end({ ...endColumns(e), tenant_id: tenantId, call_id: callId }),
  };
}

const sampleEnd: CallEndWrite = {
  endedAt: 0,
  durationSec: 0,
  billingSec: 0,
  hangupCause: '',
  hangupBy: '',
  statusDetail: '',
  sipCode: null,
  reason: null,
  agentId: null,
  queueId: null,
  queueStat: null,
  recordingId: null,
  transfers: null,
};

/** An open call record as crash recovery sees it. */
export interface OpenCallRow {
  id: number;
  tenantId: number;
  callId: string;
  direction: 'inbound' | 'outbound' | 'internal';
  callerNumber: string;
  calleeNumber: string;
  didNumber: string | null;
  queueId: number | null;
  agentId: number | null;
  createdAt: number;
  answeredAt: number | null;
}

const asDirection = (d: string): OpenCallRow['direction'] =>
  d === 'outbound' || d === 'internal' ? d : 'inbound';

/** Calls still open whose node is one of `owners` (null: records no node claims). */
export async function openCallsOf(db: Executor, owners: readonly (string | null)[]): Promise<OpenCallRow[]> {
  const ids = owners.filter((o): o is string => o !== null);
  const orphans = owners.includes(null);
  // Guard against running an invalid `in ()` query when no node is named.
  if (ids.length === 0 && !orphans) return [];
  const rows = await db
    .selectFrom('calls')
    .selectAll()
    .where('ended_at', 'is', null)
    .where((eb) =>
      eb.or([
        ...(ids.length ? [eb('node_id', 'in', ids)] : []),
        ...(orphans ? [eb('node_id', 'is', null)] : []),
      ]),
    )
    .execute();
  return rows.map((c) => ({
    id: c.id,
    tenantId: c.tenant_id,
    callId: c.call_id,
    direction: asDirection(c.direction),
    callerNumber: c.caller_number,
    calleeNumber: c.callee_number,
    didNumber: c.did_number,
    queueId: c.queue_id,
    agentId: c.agent_id,
    createdAt: c.created_at,
    answeredAt: c.answered_at,
  }));
}

/** Close one open call nobody runs any more; false when it was closed meanwhile. */
export async function closeOpenCall(
  db: Executor,
  c: OpenCallRow,
  e: { endedAt: number; hangupCause: string; statusDetail: string; reason: string },
): Promise<boolean> {
  const r = await db
    .updateTable('calls')
    .set({
      ended_at: e.endedAt,
      duration_sec: Math.round((e.endedAt - c.createdAt) / 1000),
      billing_sec: c.answeredAt === null ? 0 : Math.round((e.endedAt - c.answeredAt) / 1000),
      hangup_cause: e.hangupCause,
      hangup_by: 'system',
      status_detail: e.statusDetail,
      reason: e.reason,
    })
    .where('id', '=', c.id)
    .where('ended_at', 'is', null)
    .executeTakeFirst();
  return Number(r.numUpdatedRows) > 0;
}
