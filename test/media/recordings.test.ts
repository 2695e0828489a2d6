/** Recording rows and files: create/finish, crash repair, and retention per tenant on an injected clock. */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { createTenant } from '../../src/domain/tenants.js';
import {
  RecordingRetentionJob,
  createRecording,
  finishRecording,
  recordingsOfCall,
  repairUnfinishedRecordings,
} from '../../src/media/recordings.js';
import { wavHeader } from '../../src/media/wav.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';

const DAY = 86_400_000;
const clock = new FakeClock(Date.UTC(2026, 5, 1));
let s: TestServer;
before(async () => {
  s = await startTestServer({ clock, demo: false });
});
after(async () => {
  await s.close();
});

test('a recording lives under <dataDir>/recordings/<tenant>/<day>/ and is finished with size and duration', async () => {
  const t = await createTenant(s.t.ctx.db, clock, { name: 'Rec A' });
  const r = await createRecording(s.t.ctx.db, clock, s.config.dataDir, { tenantId: t.id, callId: 'call/1' });
  assert.ok(r.path.startsWith(`${s.config.dataDir}/recordings/${t.id}/2026-06-01/`));
  // Recorded as WAV while the call runs; the public name is the stored format's (mp3 by default).
  assert.ok(r.path.endsWith('/call_1.wav'));
  assert.equal(r.name, 'call_1.mp3');
  await finishRecording(s.t.ctx.db, clock, t.id, r.id, { durationMs: 1500, sizeBytes: 48044 });
  const [row] = await recordingsOfCall(s.t.ctx.db, t.id, 'call/1');
  assert.deepEqual([row!.duration_ms, row!.size_bytes, row!.completed_at], [1500, 48044, clock.now()]);
  // Another tenant does not see it.
  const other = await createTenant(s.t.ctx.db, clock, { name: 'Rec B' });
  assert.deepEqual(await recordingsOfCall(s.t.ctx.db, other.id, 'call/1'), []);
});

test('a recording left open by a crash is completed from its file at start', async () => {
  const t = await createTenant(s.t.ctx.db, clock, { name: 'Rec crash' });
  const r = await createRecording(s.t.ctx.db, clock, s.config.dataDir, { tenantId: t.id, callId: 'crashed' });
  writeFileSync(r.path, Buffer.concat([wavHeader(2, 8000, 32000), Buffer.alloc(32000)]));
  assert.ok((await repairUnfinishedRecordings(s.t.ctx.db, clock, s.config.dataDir)) >= 1);
  const [row] = await recordingsOfCall(s.t.ctx.db, t.id, 'crashed');
  assert.equal(row!.duration_ms, 1000);
  // The size is the WAV's until the pipeline has encoded it (then the MP3's).
  assert.ok(row!.state === 'encoding' ? row!.size_bytes === 32044 : row!.size_bytes > 0, row!.state);
  assert.notEqual(row!.completed_at, null);
});

test('retention deletes files and marks rows past each tenant’s days; 0 keeps forever', async () => {
  const db = s.t.ctx.db;
  const short = await createTenant(db, clock, { name: 'Retain 7' });
  const forever = await createTenant(db, clock, { name: 'Retain forever' });
  await db.updateTable('tenants').set({ recording_retention_days: 7 }).where('id', '=', short.id).execute();
  await db.updateTable('tenants').set({ recording_retention_days: 0 }).where('id', '=', forever.id).execute();
  const old = await createRecording(db, clock, s.config.dataDir, { tenantId: short.id, callId: 'old' });
  const kept = await createRecording(db, clock, s.config.dataDir, { tenantId: forever.id, callId: 'kept' });
  for (const r of [old, kept]) writeFileSync(r.path, wavHeader(2, 8000, 0));
  clock.advance(6 * DAY);
  const fresh = await createRecording(db, clock, s.config.dataDir, { tenantId: short.id, callId: 'fresh' });
  writeFileSync(fresh.path, wavHeader(2, 8000, 0));
  const job = new RecordingRetentionJob({ db, clock, dataDir: s.config.dataDir });
  assert.equal(await job.runOnce(), 0);
  clock.advance(1 * DAY + 1);
  assert.equal(await job.runOnce(), 1);
  assert.ok(!existsSync(old.path) && existsSync(fresh.path) && existsSync(kept.path));
  assert.deepEqual(await recordingsOfCall(db, short.id, 'old'), []);
  assert.equal((await recordingsOfCall(db, short.id, 'fresh')).length, 1);
  clock.advance(3650 * DAY);
  await job.runOnce();
  assert.ok(existsSync(kept.path) && !existsSync(fresh.path));
  await job.stop();
});
