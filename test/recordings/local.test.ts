/**
 * The data-directory backend: a recording moves recording → encoding → stored (MP3, the WAV dropped) or, for a
 * tenant that keeps WAV, recording → pending → stored; links serve the stored format with its content type and
 * ranges, and answer a precise 404 while a recording is not ready.
 */
import assert from 'node:assert/strict';
import { existsSync, writeFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { recordingLinksFor } from '../../src/domain/recording-links.js';
import { updateTenantLimits } from '../../src/domain/tenants.js';
import { createRecording, finishRecording } from '../../src/media/recordings.js';
import { inspectMp3 } from '../../src/recordings/mp3.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { waitFor } from '../sip/helpers/peers.js';
import { toneWav } from './helpers.js';

const clock = new FakeClock(Date.UTC(2026, 11, 2, 8));
let s: TestServer;
before(async () => {
  s = await startTestServer({ clock, env: { NODE_ID: 'local-node' } });
});
after(async () => {
  await s.close();
});

const linkTo = (name: string) => {
  const l = recordingLinksFor(s.config, clock).sign(s.demo.tenant_id, name);
  return `${s.url}/recordings/${encodeURIComponent(name)}?tenant=${l.tenantId}&expires=${l.expires}&signature=${l.signature}`;
};
const rowOf = (id: number) =>
  s.t.ctx.db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

test('mp3 (default): encoded after the call, the WAV dropped; the link serves audio/mpeg by range', async () => {
  const db = s.t.ctx.db;
  const rec = await createRecording(db, clock, s.config.dataDir, {
    tenantId: s.demo.tenant_id,
    callId: 'loc-1',
  });
  assert.equal(rec.name, 'loc-1.mp3');
  writeFileSync(rec.path, toneWav(3, { hz: 440, from: 0, to: 3 }, { hz: 1000, from: 1, to: 2 }));
  assert.equal((await rowOf(rec.id)).state, 'recording');
  const early = await fetch(linkTo(rec.name));
  assert.equal(early.status, 404);
  assert.match(((await early.json()) as { message: string }).message, /not ready yet \(recording\)/);
  await finishRecording(db, clock, s.demo.tenant_id, rec.id, { durationMs: 3000, sizeBytes: 96044 });
  const done = await waitFor(
    async () => ((await rowOf(rec.id)).state === 'stored' ? rowOf(rec.id) : null),
    20_000,
    'stored',
  );
  assert.deepEqual([done.storage, done.format, done.duration_ms], ['local', 'mp3', 3000]);
  assert.match(done.path, /loc-1\.mp3$/);
  assert.ok(!existsSync(rec.path), 'the WAV is dropped once the MP3 is verified');
  const res = await fetch(linkTo(rec.name), { headers: { Range: 'bytes=0-99' } });
  assert.equal(res.status, 206);
  assert.equal(res.headers.get('content-type'), 'audio/mpeg');
  assert.equal(res.headers.get('content-range'), `bytes 0-99/${done.size_bytes}`);
  const whole = Buffer.from(await (await fetch(linkTo(rec.name))).arrayBuffer());
  assert.equal(inspectMp3(whole).channels, 2);
  // Finishing again (both legs reporting the end) queues nothing new and keeps the stored row.
  await finishRecording(db, clock, s.demo.tenant_id, rec.id, { durationMs: 3000, sizeBytes: 96044 });
  assert.equal((await rowOf(rec.id)).state, 'stored');
});

test('a tenant keeping WAV: no encoding, stored as recorded, served as audio/wav', async () => {
  const db = s.t.ctx.db;
  await updateTenantLimits(db, s.demo.tenant_id, { recordingFormat: 'wav' });
  try {
    const rec = await createRecording(db, clock, s.config.dataDir, {
      tenantId: s.demo.tenant_id,
      callId: 'loc-2',
    });
    assert.equal(rec.name, 'loc-2.wav');
    const wav = toneWav(1, { hz: 440, from: 0, to: 1 }, { hz: 1000, from: 0, to: 1 });
    writeFileSync(rec.path, wav);
    await finishRecording(db, clock, s.demo.tenant_id, rec.id, { durationMs: 1000, sizeBytes: wav.length });
    const done = await waitFor(
      async () => ((await rowOf(rec.id)).state === 'stored' ? rowOf(rec.id) : null),
      20_000,
      'stored',
    );
    assert.deepEqual([done.storage, done.format, done.size_bytes], ['local', 'wav', wav.length]);
    const res = await fetch(linkTo(rec.name));
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), wav);
  } finally {
    await updateTenantLimits(db, s.demo.tenant_id, { recordingFormat: 'mp3' });
  }
});

test('a recording whose file is gone fails with the reason, and its link says so', async () => {
  const db = s.t.ctx.db;
  const rec = await createRecording(db, clock, s.config.dataDir, {
    tenantId: s.demo.tenant_id,
    callId: 'loc-3',
  });
  await finishRecording(db, clock, s.demo.tenant_id, rec.id, { durationMs: 0, sizeBytes: 0 });
  const failed = await waitFor(
    async () => ((await rowOf(rec.id)).state === 'failed' ? rowOf(rec.id) : null),
    20_000,
    'failed',
  );
  assert.equal(failed.state_detail, 'the recording file is missing');
  const res = await fetch(linkTo(rec.name));
  assert.equal(res.status, 404);
  assert.match(
    ((await res.json()) as { message: string }).message,
    /could not be kept: the recording file is missing/,
  );
});
