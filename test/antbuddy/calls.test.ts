import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { insertCallRecord } from '../../src/domain/call-history.js';
import { insertRecording } from '../../src/domain/recording-links.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { signedQuery } from './helpers.js';

const DAY = 86_400_000;

describe('AntBuddy call histories and recordings', () => {
  let s: TestServer;
  let clock: FakeClock;
  let appId: string;
  let secret: string;
  let agents: { id: number; uid: string; username: string | null; extension: string }[];
  const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(2044, 7)]);
  const t0 = Date.UTC(2026, 2, 10, 8, 0, 0);
  let queue: { id: number };
  let queueId: number;

  const histories = (from: string, to: string, extra: Record<string, string> = {}) =>
    call(
      `${s.url}/oapi/v1/call/histories?${signedQuery({ appId, created_from: from, created_to: to, ...extra }, [appId, from, to], secret)}`,
    );
  const playRecording = (media: string, id = appId, sec = secret) =>
    call(`${s.url}/oapi/v1/call/play_recording?${signedQuery({ appId: id, media }, [id, media], sec)}`);

  before(async () => {
    clock = new FakeClock(t0 + DAY);
    s = await startTestServer({ clock });
    appId = s.demo.app_id;
    secret = s.demo.app_secret;
    const db = s.t.ctx.db;
    agents = await db
      .selectFrom('agents')
      .select(['id', 'uid', 'username', 'extension'])
      .where('tenant_id', '=', s.demo.tenant_id)
      .orderBy('id')
      .execute();
    queue = await db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', s.demo.tenant_id)
      .executeTakeFirstOrThrow();
    mkdirSync(join(s.config.dataDir, 'recordings'), { recursive: true });
    writeFileSync(join(s.config.dataDir, 'recordings', 'in-1.wav'), wav);
    const rec = await insertRecording(db, s.demo.tenant_id, {
      callId: 'in-1',
      name: 'in-1.wav',
      path: 'recordings/in-1.wav',
      sizeBytes: wav.length,
      durationMs: 1000,
      at: t0,
    });
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'in-1',
      direction: 'inbound',
      callerNumber: '01693608879',
      calleeNumber: agents[0]!.extension,
      calleeAgentId: agents[0]!.id,
      agentId: agents[0]!.id,
      didNumber: '02873019555',
      queueId: (queueId = queue.id),
      createdAt: t0,
      answeredAt: t0 + 7000,
      endedAt: t0 + 50_000,
      durationSec: 50,
      billingSec: 43,
      hangupCause: 'NORMAL_CLEARING',
      statusDetail: 'SUCCESS',
      queueStat: {
        call_id: 'in-1',
        queue_id: String(queue.id),
        wait_time: 7,
        status: 'processed',
        talk_time: 43,
        hung_up_by: 'agent',
        misses: [],
      },
      recordingId: rec.id,
    });
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'out-1',
      direction: 'outbound',
      callerNumber: agents[1]!.extension,
      callerAgentId: agents[1]!.id,
      calleeNumber: '0909000111',
      createdAt: t0 + 3600_000,
      endedAt: t0 + 3600_000 + 20_000,
      durationSec: 20,
      hangupCause: 'USER_BUSY',
      statusDetail: 'BUSY',
    });
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'int-1',
      direction: 'internal',
      callerNumber: agents[0]!.extension,
      callerAgentId: agents[0]!.id,
      calleeNumber: agents[1]!.extension,
      calleeAgentId: agents[1]!.id,
      createdAt: t0 + 7200_000,
      answeredAt: t0 + 7200_000 + 2000,
      endedAt: t0 + 7200_000 + 12_000,
    });
  });
  after(() => s.close());

  it('returns every documented field, newest first', async () => {
    const res = await histories('2026-03-10', '2026-03-10');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.total, 3);
    assert.equal(res.body.page, 1);
    assert.equal(res.body.limit, 20);
    const [internal, outbound, inbound] = res.body.data;
    assert.deepEqual(inbound, {
      call_id: 'in-1',
      caller: { number: '01693608879', type: 'realnumber' },
      callee: { number: agents[0]!.extension, type: 'user', username: agents[0]!.username },
      class: 'trunking',
      did_number: '02873019555',
      direction: 'to_ab',
      status_detail: 'SUCCESS',
      duration_seconds: 50,
      billing_seconds: 43,
      unix_timestamp: t0 / 1000,
      hangup_cause: 'NORMAL_CLEARING',
      recording: 'in-1.wav',
      queue_stat: [
        {
          _id: inbound.queue_stat[0]._id,
          call_id: 'in-1',
          queue_id: String(queueId),
          __v: 0,
          org: s.demo.account_id,
          wait_time: 7,
          caller_id_number: '01693608879',
          caller_id_name: '01693608879',
          status: 'processed',
          entered_timestamp: t0 / 1000,
          handled_timestamp: t0 / 1000 + 7,
          processed_timestamp: t0 / 1000 + 50,
          agent_id: agents[0]!.uid,
          username: agents[0]!.username,
          talk_time: 43,
          hung_up_by: 'agent',
          end_call_reason: 'agent_hungup',
          misses: [],
        },
      ],
    });
    assert.equal(outbound.direction, 'from_ab');
    assert.equal(outbound.did_number, null);
    assert.equal(outbound.status_detail, 'BUSY');
    assert.equal(outbound.recording, '');
    assert.deepEqual(outbound.queue_stat, []);
    assert.equal(outbound.caller.type, 'user');
    assert.equal(internal.class, 'one_one');
    assert.equal(internal.status_detail, 'SUCCESS');
    assert.equal(internal.duration_seconds, 12);
  });

  it('accepts unix seconds and ISO date-times; pages from 1', async () => {
    const from = String(t0 / 1000);
    const to = String(t0 / 1000 + 3600);
    const res = await histories(from, to);
    assert.equal(res.body.total, 2);
    const iso = await histories('2026-03-10T08:30:00Z', '2026-03-10T10:00:00+00:00');
    assert.deepEqual(
      iso.body.data.map((d: any) => d.call_id),
      ['int-1', 'out-1'],
    );
    const page2 = await call(
      `${s.url}/oapi/v1/call/histories?${signedQuery({ appId, created_from: '2026-03-10', created_to: '2026-03-10', limit: '2', page: '2' }, [appId, '2026-03-10', '2026-03-10', '2', '2'], secret)}`,
    );
    assert.deepEqual(
      page2.body.data.map((d: any) => d.call_id),
      ['in-1'],
    );
  });

  it('refuses windows over 31 days, reversed windows, bad dates and limits with a precise 400', async () => {
    const long = await histories('2026-01-01', '2026-02-02');
    assert.equal(long.status, 400);
    assert.deepEqual(long.body, {
      message: 'created_from and created_to are more than 31 days apart',
      code: 'invalid_input',
    });
    assert.equal((await histories('2026-01-31', '2026-01-01')).status, 400);
    const junk = await histories('yesterday', '2026-01-01');
    assert.equal(junk.status, 400);
    assert.match(junk.body.message, /created_from must be unix seconds/);
    const big = await call(
      `${s.url}/oapi/v1/call/histories?${signedQuery({ appId, created_from: '2026-03-10', created_to: '2026-03-10', limit: '101' }, [appId, '2026-03-10', '2026-03-10'], secret)}`,
    );
    assert.equal(big.status, 400);
    assert.equal(big.body.code, 'invalid_input');
    const missing = await call(`${s.url}/oapi/v1/call/histories?appId=${appId}&hash=x`);
    assert.equal(missing.status, 400);
    assert.match(missing.body.message, /created_from/);
  });

  it("never shows another tenant's calls or recordings", async () => {
    const other = await otherTenant(s);
    const res = await call(
      `${s.url}/oapi/v1/call/histories?${signedQuery({ appId: other.appId, created_from: '2026-03-10', created_to: '2026-03-10' }, [other.appId, '2026-03-10', '2026-03-10'], other.appSecret)}`,
    );
    assert.equal(res.status, 200);
    assert.deepEqual(res.body.data, []);
    const rec = await playRecording('in-1.wav', other.appId, other.appSecret);
    assert.equal(rec.status, 404);
    assert.equal(rec.body.code, 'not_found');
  });

  it('play_recording hands out a signed URL that serves the file with ranges', async () => {
    const res = await playRecording('in-1.wav');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const url = new URL(res.body.media);
    assert.equal(url.pathname, '/recordings/in-1.wav');
    const full = await fetch(url);
    assert.equal(full.status, 200);
    assert.equal(full.headers.get('accept-ranges'), 'bytes');
    assert.equal(full.headers.get('content-type'), 'audio/wav');
    assert.deepEqual(Buffer.from(await full.arrayBuffer()), wav);
    const part = await fetch(url, { headers: { range: 'bytes=0-3' } });
    assert.equal(part.status, 206);
    assert.equal(part.headers.get('content-range'), `bytes 0-3/${wav.length}`);
    assert.equal(Buffer.from(await part.arrayBuffer()).toString(), 'RIFF');
    const tail = await fetch(url, { headers: { range: 'bytes=-10' } });
    assert.equal(tail.status, 206);
    assert.equal(
      tail.headers.get('content-range'),
      `bytes ${wav.length - 10}-${wav.length - 1}/${wav.length}`,
    );
    const beyond = await fetch(url, { headers: { range: `bytes=${wav.length}-` } });
    assert.equal(beyond.status, 416);
    assert.equal(beyond.headers.get('content-range'), `bytes */${wav.length}`);
    await beyond.text();
  });

  it('a tampered or expired link is 403; a missing recording is 404', async () => {
    const res = await playRecording('in-1.wav');
    const url = new URL(res.body.media);
    const sig = url.searchParams.get('signature')!;
    const tampered = new URL(url);
    tampered.searchParams.set('signature', (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1));
    const t = await call(tampered.toString());
    assert.equal(t.status, 403);
    assert.equal(t.body.code, 'link_invalid');
    const longer = new URL(url);
    longer.searchParams.set('expires', String(Number(url.searchParams.get('expires')) + 3600));
    assert.equal((await call(longer.toString())).status, 403);
    const otherTenant = new URL(url);
    otherTenant.searchParams.set('tenant', String(s.demo.tenant_id + 1));
    assert.equal((await call(otherTenant.toString())).status, 403);
    clock.advance(10 * 60_000 + 1000);
    try {
      const expired = await call(url.toString());
      assert.equal(expired.status, 403);
      assert.equal(expired.body.code, 'link_expired');
    } finally {
      clock.advance(-(10 * 60_000 + 1000));
    }
    assert.equal((await playRecording('nope.wav')).status, 404);
  });
});
