/** Native hold-music API: upload any WAV (converted once to 8 kHz mono), list, errors and tenancy. */
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTenant } from '../../src/domain/tenants.js';
import { MediaEngine } from '../../src/media/engine.js';
import { resolveMohFile } from '../../src/media/library.js';
import { parseWav, wavHeader } from '../../src/media/wav.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(async () => {
  await s.close();
});

/** A 44.1 kHz stereo PCM16 WAV of `sec` seconds (a 330 Hz tone). */
function cdWav(sec: number): Buffer {
  const n = Math.round(44100 * sec);
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    const v = Math.round(12000 * Math.sin((2 * Math.PI * 330 * i) / 44100));
    data.writeInt16LE(v, i * 4);
    data.writeInt16LE(v, i * 4 + 2);
  }
  const h = wavHeader(2, 44100, data.length);
  return Buffer.concat([h, data]);
}

async function upload(name: string, body: Buffer | string, key = s.demo.api_key, type = 'audio/wav') {
  const res = await fetch(`${s.url}/api/media/moh?name=${encodeURIComponent(name)}`, {
    method: 'POST',
    headers: { 'x-api-key': key, 'content-type': type },
    body,
  });
  return { status: res.status, body: (await res.json()) as any };
}

const list = async (key = s.demo.api_key) => {
  const res = await fetch(`${s.url}/api/media/moh`, { headers: { 'x-api-key': key } });
  return { status: res.status, body: (await res.json()) as any };
};

test('the demo tenant lists its generated default hold music, which its queue names', async () => {
  const r = await list();
  assert.equal(r.status, 200);
  const w = r.body.items.find((i: any) => i.name === 'waiting.wav');
  assert.deepEqual([w.kind, w.duration_ms, w.size_bytes], ['moh', 16000, 44 + 16 * 8000 * 2]);
  const q = await s.t.ctx.db
    .selectFrom('inbound_queues')
    .select('moh_file')
    .where('tenant_id', '=', s.demo.tenant_id)
    .executeTakeFirstOrThrow();
  assert.equal(q.moh_file, 'waiting.wav');
  // The file is written on first use and plays.
  const path = await resolveMohFile(s.t.ctx.db, s.config.dataDir, s.demo.tenant_id, q.moh_file);
  assert.ok(path && existsSync(path));
  const engine = new MediaEngine({ publicIp: '127.0.0.1', portMin: 35000, portMax: 35099 });
  assert.equal(engine.clip(path).pcm.length, 16 * 8000);
  await engine.close();
});

test('a 44.1 kHz stereo upload is stored as 8 kHz mono PCM16 and replaces a file of the same name', async () => {
  const r = await upload('Promo tune', cdWav(2));
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.deepEqual(
    [r.body.name, r.body.kind, r.body.duration_ms, r.body.size_bytes],
    ['Promo tune.wav', 'moh', 2000, 44 + 32000],
  );
  const file = join(s.config.dataDir, 'media', String(s.demo.tenant_id), 'Promo tune.wav');
  const wav = parseWav(readFileSync(file));
  assert.deepEqual([wav.format.sampleRate, wav.format.channels, wav.format.bitsPerSample], [8000, 1, 16]);
  const again = await upload('Promo tune.wav', cdWav(1));
  assert.equal(again.status, 201);
  assert.equal(again.body.id, r.body.id);
  const items = (await list()).body.items.filter((i: any) => i.name === 'Promo tune.wav');
  assert.deepEqual(
    items.map((i: any) => i.duration_ms),
    [1000],
  );
});

test('bad uploads get the native error envelope and store nothing', async () => {
  const before = (await list()).body.items.length;
  for (const [name, body] of [
    ['x', 'not a wav at all'],
    ['x', Buffer.concat([wavHeader(1, 8000, 0)])],
    ['../escape', cdWav(1)],
    ['.hidden', cdWav(1)],
  ] as const) {
    const r = await upload(name, body);
    assert.equal(r.status, 400, `${name}: ${JSON.stringify(r.body)}`);
    assert.equal(r.body.error.code, 'INVALID_INPUT');
    assert.ok(r.body.error.message.length > 5);
  }
  const noName = await fetch(`${s.url}/api/media/moh`, {
    method: 'POST',
    headers: { 'x-api-key': s.demo.api_key, 'content-type': 'audio/wav' },
    body: cdWav(1),
  });
  assert.equal(noName.status, 400);
  assert.equal((await list()).body.items.length, before);
});

test('credentials: none → 401, no queue scope → 403, another tenant sees only its own files', async () => {
  const anon = await fetch(`${s.url}/api/media/moh`);
  assert.equal(anon.status, 401);
  const agentOnly = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent'], 'agent-only');
  assert.equal((await upload('y', cdWav(1), agentOnly.key)).status, 403);
  assert.equal((await list(agentOnly.key)).status, 403);
  const other = await createTenant(s.t.ctx.db, s.clock, { name: 'Other media tenant' });
  const key = (await s.t.ctx.credentials.createApiKey(other.id, ['queue'], 'k')).key;
  assert.deepEqual((await list(key)).body.items, []);
  const r = await upload('Promo tune', cdWav(1), key);
  assert.equal(r.status, 201);
  assert.deepEqual(
    (await list(key)).body.items.map((i: any) => i.name),
    ['Promo tune.wav'],
  );
  assert.ok(existsSync(join(s.config.dataDir, 'media', String(other.id), 'Promo tune.wav')));
});
