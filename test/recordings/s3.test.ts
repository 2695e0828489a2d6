/**
 * Recordings at scale, end to end against a real S3-protocol server (s3rver on a random port): a sipp call whose
 * two parties play their own tones is recorded, encoded to MP3 and uploaded; the history's link downloads it
 * with a range request; decoding finds each tone on its own channel for its duration (within 1 %); a second
 * node serves the link; a node killed while encoding or while uploading ends, once restarted, with exactly one
 * stored recording; storage away leaves the recording pending on disk with a clear log line until it is back.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import pino from 'pino';
import { RecordingRetentionJob, finishRecording } from '../../src/media/recordings.js';
import { inspectMp3 } from '../../src/recordings/mp3.js';
import { S3Storage } from '../../src/recordings/storage.js';
import { recordingsConfigFromEnv } from '../../src/recordings/config.js';
import type { Recording } from '../../src/store/schema.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { freeMediaPort, registerContact } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { signedQuery } from '../antbuddy/helpers.js';
import { BUCKET, type Node, faultProxy, s3Env, startNode, startS3 } from './faults.js';
import { mp3DecoderMissing, mp3ToWav, toneOn, toneWav } from './helpers.js';
import { toneScenarios } from './sipp-tones.js';

const skip = (await requireTool('sipp')) || (await requireTool('sox')) || mp3DecoderMissing();
const CALLER = { hz: 440, seconds: 4, waitMs: 2500 };
const AGENT = { hz: 1000, seconds: 3, waitMs: 1000 };

describe('recordings in object storage (s3rver)', { skip }, () => {
  let s3: Awaited<ReturnType<typeof startS3>>;
  let s: TestServer;
  const peers = new Peers();
  const nodes: Node[] = [];
  const work = mkdtempSync(join(tmpdir(), 'tongdai-rec-'));
  let client: S3Client;
  let link = '';
  let recordingKey = '';

  const objects = async (prefix: string) =>
    (await client.send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix }))).Contents ?? [];
  const row = (id: number) =>
    s.t.ctx.db.selectFrom('recordings').selectAll().where('id', '=', id).executeTakeFirstOrThrow();
  const stored = (id: number, timeoutMs = 90_000) =>
    waitFor(
      async () => {
        const r = await row(id);
        if (r.state === 'failed') throw new Error(`recording failed: ${r.state_detail}`);
        return r.state === 'stored' ? r : null;
      },
      timeoutMs,
      `recording ${id} stored`,
    );
  /** A finished recording of `seconds` of tones on `node`'s disk, queued for its next stage. */
  const recordingOn = async (node: string, format: 'mp3' | 'wav', seconds: number) => {
    const db = s.t.ctx.db;
    const callId = `${node}-${format}-${seconds}`;
    const rel = `recordings/${s.demo.tenant_id}/2026-12-01/${callId}.wav`;
    const file = join(s.config.dataDir, rel);
    writeFileSync(
      file,
      toneWav(seconds, { hz: 440, from: 0, to: seconds }, { hz: 1000, from: 0, to: seconds }),
    );
    const rec = await db
      .insertInto('recordings')
      .values({
        tenant_id: s.demo.tenant_id,
        call_id: callId,
        name: `${callId}.${format}`,
        path: rel,
        created_at: Date.UTC(2026, 11, 1),
        format,
        state: 'recording',
        node_id: node,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await finishRecording(db, systemClock, s.demo.tenant_id, rec.id, {
      durationMs: seconds * 1000,
      sizeBytes: statSync(file).size,
    });
    return { id: rec.id, file, stem: file.replace(/\.wav$/, '') };
  };

  before(async () => {
    s3 = await startS3();
    client = new S3Client({
      region: 'us-east-1',
      endpoint: s3.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    s = await startTestServer({
      clock: systemClock,
      env: { DEMO_TRUNK_PORT: String(await freeUdpPort()), NODE_ID: 'node-1', ...s3Env(s3.endpoint) },
    });
    await s.t.ctx.db
      .updateTable('inbound_queues')
      .set({ wrapup_sec: 0, ring_timeout_sec: 10, record_calls: 1 })
      .execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
    const { mkdirSync } = await import('node:fs');
    mkdirSync(join(s.config.dataDir, 'recordings', String(s.demo.tenant_id), '2026-12-01'), {
      recursive: true,
    });
  });
  after(async () => {
    peers.killAll();
    for (const n of nodes) await n.kill();
    await s?.close();
    client?.destroy();
    await s3?.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('a sipp call with tones is recorded, encoded to MP3 and uploaded; the history link serves it with ranges', async (t) => {
    const sc = toneScenarios(work, CALLER, AGENT);
    const port = await freeUdpPort();
    const mp = await freeMediaPort();
    const agent = peers.sippRun(
      `127.0.0.1:${s.t.sipPort}`,
      ['-sf', sc.agent, '-p', String(port), '-mp', String(mp), '-d', '300', '-m', '1'],
      60_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    await registerContact(s, 0, port);
    const csv = peers.csv('customer.csv', [[s.demo.hotline, '0909123456']]);
    const customer = peers.sippRun(
      `127.0.0.1:${s.t.sipPort}`,
      [
        '-sf',
        sc.customer,
        '-inf',
        csv,
        '-p',
        String(await freeUdpPort()),
        '-mp',
        String(await freeMediaPort()),
        '-d',
        '1500',
        '-m',
        '1',
      ],
      60_000,
    );
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const a = await agent.done;
    assert.equal(a.code, 0, a.stdout.slice(-1500) + a.stderr);

    // The history names the recording (the stored format's name) once the call is over.
    const day = new Date().toISOString().slice(0, 10);
    const qs = signedQuery(
      { appId: s.demo.app_id, created_from: day, created_to: day },
      [s.demo.app_id, day, day],
      s.demo.app_secret,
    );
    const item = await waitFor(
      async () => {
        const res = await call(`${s.url}/oapi/v1/call/histories?${qs}`);
        return (res.body.data as { recording: string }[]).find((d) => d.recording) ?? null;
      },
      15_000,
      'a recorded call in the history',
    );
    assert.match(item.recording, /\.mp3$/);
    const rec = await waitFor(
      () =>
        s.t.ctx.db
          .selectFrom('recordings')
          .selectAll()
          .where('name', '=', item.recording)
          .where('state', '=', 'stored')
          .executeTakeFirst()
          .then((r) => r ?? null),
      60_000,
      'recording stored',
    );
    assert.equal(rec.storage, 's3');
    assert.equal(rec.format, 'mp3');
    recordingKey = rec.storage_key!;
    assert.match(recordingKey, new RegExp(`^recordings/${s.demo.tenant_id}/\\d{4}-\\d\\d-\\d\\d/.+\\.mp3$`));
    // Nothing is left on local disk: the WAV went after encoding, the MP3 after the upload.
    const dir = dirname(join(s.config.dataDir, rec.path));
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith(rec.name.replace(/\.mp3$/, ''))),
      [],
    );
    const [object] = await objects(recordingKey);
    assert.equal(object?.Size, rec.size_bytes);
    // 24 kbit/s: ≤ 15 MB per call-hour.
    assert.ok(
      (rec.size_bytes / rec.duration_ms) * 3_600_000 <= 15e6,
      `${rec.size_bytes} B for ${rec.duration_ms} ms`,
    );

    const mqs = signedQuery(
      { appId: s.demo.app_id, media: rec.name },
      [s.demo.app_id, rec.name],
      s.demo.app_secret,
    );
    const res = await call(`${s.url}/oapi/v1/call/play_recording?${mqs}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    link = res.body.media as string;
    const part = await fetch(link, { headers: { Range: 'bytes=0-1023' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-type'), 'audio/mpeg');
    assert.equal(part.headers.get('content-range'), `bytes 0-1023/${rec.size_bytes}`);
    assert.equal((await part.arrayBuffer()).byteLength, 1024);
    const tail = await fetch(link, { headers: { Range: 'bytes=-100' } });
    assert.equal(tail.status, 206);
    assert.equal((await tail.arrayBuffer()).byteLength, 100);
    const bad = await fetch(link, { headers: { Range: `bytes=${rec.size_bytes}-` } });
    assert.equal(bad.status, 416);
    const whole = await fetch(link);
    assert.equal(whole.status, 200);
    const mp3 = Buffer.from(await whole.arrayBuffer());
    assert.equal(mp3.length, rec.size_bytes);
    const info = inspectMp3(mp3);
    assert.deepEqual([info.channels, info.sampleRate], [2, 8000]);

    // Decoded: the caller's tone on the left, the agent's on the right, each for its length within 1 %.
    writeFileSync(join(work, 'call.mp3'), mp3);
    mp3ToWav(join(work, 'call.mp3'), join(work, 'call.wav'));
    const callerTone = toneOn(join(work, 'call.wav'), 1, CALLER.hz);
    const agentTone = toneOn(join(work, 'call.wav'), 2, AGENT.hz);
    t.diagnostic(
      `caller ${callerTone.lengthSec}s @ ${callerTone.rmsDb} dB, agent ${agentTone.lengthSec}s @ ${agentTone.rmsDb} dB`,
    );
    assert.ok(
      Math.abs(callerTone.lengthSec - CALLER.seconds) / CALLER.seconds < 0.01,
      `caller tone ${callerTone.lengthSec}s`,
    );
    assert.ok(
      Math.abs(agentTone.lengthSec - AGENT.seconds) / AGENT.seconds < 0.01,
      `agent tone ${agentTone.lengthSec}s`,
    );
    assert.ok(toneOn(join(work, 'call.wav'), 1, AGENT.hz).rmsDb < -40, 'no agent tone on the caller channel');
    assert.ok(
      toneOn(join(work, 'call.wav'), 2, CALLER.hz).rmsDb < -40,
      'no caller tone on the agent channel',
    );
  });

  it('a second node on the same database serves the link from object storage; presigned URLs work', async () => {
    assert.ok(link, 'needs the recording of the previous test');
    const node = startNode({ ...s.env, NODE_ID: 'node-2', ...s3Env(s3.endpoint) });
    nodes.push(node);
    const base = await node.url;
    const there = new URL(link);
    const other = new URL(base);
    there.port = other.port;
    const res = await fetch(there, { headers: { Range: 'bytes=100-199' } });
    assert.equal(res.status, 206);
    assert.equal(res.headers.get('content-type'), 'audio/mpeg');
    const here = await fetch(link, { headers: { Range: 'bytes=100-199' } });
    assert.deepEqual(Buffer.from(await res.arrayBuffer()), Buffer.from(await here.arrayBuffer()));
    await node.kill();

    // The presigned URL a node redirects to when RECORDINGS_S3_PRESIGNED_REDIRECT is on: s3rver checks it.
    const storage = new S3Storage(recordingsConfigFromEnv({ ...s3Env(s3.endpoint) }).s3!);
    const url = await storage.presign(recordingKey, 60, Date.now());
    const direct = await fetch(url);
    assert.equal(direct.status, 200, await direct.clone().text());
    const expired = await fetch(await storage.presign(recordingKey, 1, Date.now() - 3_600_000));
    assert.equal(expired.status, 403);
    storage.close();
    const redirecting = startNode({
      ...s.env,
      NODE_ID: 'node-3',
      ...s3Env(s3.endpoint),
      RECORDINGS_S3_PRESIGNED_REDIRECT: 'true',
    });
    nodes.push(redirecting);
    const r = new URL(link);
    r.port = new URL(await redirecting.url).port;
    const redirect = await fetch(r, { redirect: 'manual' });
    assert.equal(redirect.status, 302);
    const followed = await fetch(redirect.headers.get('location')!);
    assert.equal(followed.status, 200);
    assert.equal(
      followed.headers.get('content-length'),
      String(
        (
          await row(
            (
              await s.t.ctx.db
                .selectFrom('recordings')
                .select('id')
                .where('storage_key', '=', recordingKey)
                .executeTakeFirstOrThrow()
            ).id,
          )
        ).size_bytes,
      ),
    );
    await redirecting.kill();
  });

  it('a node killed while encoding finishes the encoding when it restarts: one stored recording', async () => {
    const rec = await recordingOn('enc-node', 'mp3', 240);
    let node = startNode({ ...s.env, NODE_ID: 'enc-node', ...s3Env(s3.endpoint) });
    nodes.push(node);
    await waitFor(async () => existsSync(`${rec.stem}.mp3.part`) || null, 60_000, 'encoding under way');
    await node.kill();
    const mid: Recording = await row(rec.id);
    assert.equal(mid.state, 'encoding', 'the kill interrupted the encoding');
    node = startNode({ ...s.env, NODE_ID: 'enc-node', ...s3Env(s3.endpoint) });
    nodes.push(node);
    const done = await stored(rec.id).catch((e: Error) => {
      throw new Error(`${e.message}; node logs: ${JSON.stringify(node.logs.slice(-20))}`);
    });
    await node.kill();
    assert.equal(done.storage, 's3');
    assert.equal(done.duration_ms, 240_000);
    assert.equal((await objects(done.storage_key!)).length, 1);
    for (const ext of ['.wav', '.mp3', '.mp3.part'])
      assert.ok(!existsSync(rec.stem + ext), `${ext} left behind`);
  });

  it('storage away: pending on disk with a clear log line; killed mid-upload; uploaded once back', async () => {
    const proxy = await faultProxy(s3.port);
    try {
      proxy.set('refuse');
      const rec = await recordingOn('up-node', 'wav', 20);
      let node = startNode({ ...s.env, NODE_ID: 'up-node', ...s3Env(proxy.endpoint) });
      nodes.push(node);
      const line = await node.waitLog(
        'recording storage unreachable: recordings stay on local disk (pending) and upload when it is back',
      );
      assert.equal(line.bucket, BUCKET);
      const pending = await waitFor(
        async () => ((await row(rec.id)).state_detail ? row(rec.id) : null),
        10_000,
        'upload error on the row',
      );
      assert.equal(pending.state, 'pending');
      assert.match(pending.state_detail ?? '', /^upload pending: object storage upload of .+ failed/);
      assert.ok(existsSync(rec.file), 'the recording stays on local disk');
      const ready = await call(`${await node.url}/readyz`);
      assert.equal(ready.status, 200);
      assert.equal(ready.body.recordings.reachable, false);
      assert.match(ready.body.recordings.error, /failed/);

      // Storage answers again but the upload is cut off by the kill.
      proxy.set('hold');
      await proxy.requestHeld();
      await node.kill();
      assert.equal((await row(rec.id)).state, 'pending');
      proxy.set('pass');
      node = startNode({ ...s.env, NODE_ID: 'up-node', ...s3Env(proxy.endpoint) });
      nodes.push(node);
      const done = await stored(rec.id);
      await node.kill();
      assert.equal(done.storage, 's3');
      assert.equal(done.format, 'wav');
      const objs = await objects(done.storage_key!);
      assert.equal(objs.length, 1);
      assert.equal(objs[0]!.Size, done.size_bytes);
      assert.ok(!existsSync(rec.file), 'the local copy goes once stored');
    } finally {
      await proxy.close();
    }
  });

  it('retention deletes recordings from object storage and logs each deletion', async () => {
    const db = s.t.ctx.db;
    await db
      .updateTable('tenants')
      .set({ recording_retention_days: 1 })
      .where('id', '=', s.demo.tenant_id)
      .execute();
    const old = await db
      .selectFrom('recordings')
      .selectAll()
      .where('tenant_id', '=', s.demo.tenant_id)
      .where('created_at', '<', Date.now() - 86_400_000)
      .where('storage', '=', 's3')
      .where('deleted_at', 'is', null)
      .execute();
    assert.ok(old.length >= 2, 'the recordings of the kill tests are from yesterday');
    const lines: { msg: string; storage?: string; recording?: number }[] = [];
    const logger = pino({ level: 'info' }, { write: (l: string) => void lines.push(JSON.parse(l)) });
    const job = new RecordingRetentionJob({
      db,
      clock: systemClock,
      dataDir: s.config.dataDir,
      logger,
      s3: s.t.ctx.recordings.s3,
    });
    assert.equal(await job.runOnce(), old.length);
    await job.stop();
    for (const r of old) {
      assert.equal((await objects(r.storage_key!)).length, 0, `${r.storage_key} deleted from the bucket`);
      assert.notEqual((await row(r.id)).deleted_at, null);
      assert.ok(
        lines.some((l) => l.msg === 'recording deleted' && l.recording === r.id && l.storage === 's3'),
      );
    }
    // Today's recording (the sipp call) stays.
    assert.equal((await objects(recordingKey)).length, 1);
  });
});
