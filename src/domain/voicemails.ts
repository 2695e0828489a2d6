/**
 * Voicemails (docs/ivr.md "Voicemail"): a message a caller left in an IVR flow. The audio is a recording row like
 * any call's (src/recordings: encoding, storage, retention, signed links); a voicemail row names the call, the
 * mailbox and the caller. Every read takes the tenant first; another tenant's voicemail is not found.
 */
import type { Clock } from '../clock.js';
import { closeRecordingRow, openRecordingFile } from '../recordings/rows.js';
import type { Db, Executor } from '../store/db.js';

export interface VoicemailView {
  id: number;
  callId: string;
  mailbox: string | null;
  callerNumber: string;
  durationMs: number;
  createdAt: number;
  /** The recording's public name (null once the recording was deleted, by retention or the API). */
  recordingName: string | null;
}

/** Open the recording a voicemail is written into: its row and the absolute WAV path to record to. */
export async function openVoicemailRecording(
  db: Executor,
  clock: Clock,
  dataDir: string,
  r: { tenantId: number; callId: string },
): Promise<{ id: number; path: string; name: string }> {
  return openRecordingFile(db, clock, dataDir, r, 'voicemail');
}

/** The message is on disk: finish its recording (which queues encoding or storing) and write the voicemail row. */
export async function saveVoicemail(
  db: Db,
  clock: Clock,
  tenantId: number,
  v: {
    recordingId: number;
    callId: string;
    mailbox: string | null;
    callerNumber: string;
    durationMs: number;
    sizeBytes: number;
  },
): Promise<number> {
  await closeRecordingRow(db, clock, tenantId, v.recordingId, {
    durationMs: v.durationMs,
    sizeBytes: v.sizeBytes,
  });
  const row = await db
    .insertInto('voicemails')
    .values({
      tenant_id: tenantId,
      call_id: v.callId,
      recording_id: v.recordingId,
      mailbox: v.mailbox,
      caller_number: v.callerNumber,
      duration_ms: v.durationMs,
      created_at: clock.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return Number(row.id);
}

function select(db: Executor, tenantId: number) {
  return db
    .selectFrom('voicemails as v')
    .leftJoin('recordings as r', (j) => j.onRef('r.id', '=', 'v.recording_id').on('r.deleted_at', 'is', null))
    .select([
      'v.id',
      'v.call_id',
      'v.mailbox',
      'v.caller_number',
      'v.duration_ms',
      'v.created_at',
      'r.name as recording_name',
    ])
    .where('v.tenant_id', '=', tenantId);
}

type Row = {
  id: number;
  call_id: string;
  mailbox: string | null;
  caller_number: string;
  duration_ms: number;
  created_at: number;
  recording_name: string | null;
};

const view = (r: Row): VoicemailView => ({
  id: Number(r.id),
  callId: r.call_id,
  mailbox: r.mailbox,
  callerNumber: r.caller_number,
  durationMs: Number(r.duration_ms),
  createdAt: Number(r.created_at),
  recordingName: r.recording_name,
});

/** The tenant's voicemails, newest first (optionally one mailbox's). */
export async function listVoicemails(
  db: Executor,
  tenantId: number,
  o: { mailbox?: string; limit?: number } = {},
): Promise<VoicemailView[]> {
  let q = select(db, tenantId);
  if (o.mailbox !== undefined) q = q.where('v.mailbox', '=', o.mailbox);
  const rows = await q
    .orderBy('v.created_at', 'desc')
    .orderBy('v.id', 'desc')
    .limit(o.limit ?? 100)
    .execute();
  return rows.map(view);
}

/** The voicemail a call left, if any (a call leaves at most one). */
export async function voicemailOfCall(
  db: Executor,
  tenantId: number,
  callId: string,
): Promise<VoicemailView | null> {
  const r = await select(db, tenantId).where('v.call_id', '=', callId).executeTakeFirst();
  return r ? view(r) : null;
}

/** Which of these calls left a voicemail (the call history's `has_voicemail`). */
export async function callsWithVoicemail(
  db: Executor,
  tenantId: number,
  callIds: readonly string[],
): Promise<Set<string>> {
  // Guard against running an invalid query when the page is empty.
  if (callIds.length === 0) return new Set();
  const rows = await db
    .selectFrom('voicemails')
    .select('call_id')
    .where('tenant_id', '=', tenantId)
    .where('call_id', 'in', callIds)
    .execute();
  return new Set(rows.map((r) => r.call_id));
}
