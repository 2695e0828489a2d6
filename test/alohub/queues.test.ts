import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createInboundQueue, getInboundQueue } from '../../src/domain/queues.js';
import { DEFAULT_MOH_NAME } from '../../src/media/library.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { addMediaFile, createOtherTenant, isErrorEnvelope, revisionOf } from './fixtures.js';

describe('AloHub inbound queues', () => {
  let s: TestServer;
  let tenantId: number;
  const h = () => ({ Authorization: s.demo.api_key });
  const get = (path: string) => call(`${s.url}${path}`, { headers: h() });
  const put = (path: string, body: unknown) => call(`${s.url}${path}`, { method: 'PUT', headers: h(), body });

  before(async () => {
    s = await startTestServer();
    tenantId = s.demo.tenant_id;
    for (const name of ['Sales', 'Billing', 'VIP', 'Night']) {
      await createInboundQueue(s.t.ctx.db, s.clock, tenantId, { name });
    }
    await addMediaFile(s, tenantId, 'jazz.wav');
    await addMediaFile(s, tenantId, 'beep.wav', 'prompt');
    await createOtherTenant(s);
  });
  after(() => s.close());

  test('list: pages from 0, ascending ids, documented fields with nulls for unset settings', async () => {
    const all = await get('/v1/queues/inbound');
    assert.equal(all.body.totalRecord, 5);
    assert.deepEqual(
      all.body.data.map((q: any) => q.callinName),
      ['Support', 'Sales', 'Billing', 'VIP', 'Night'],
    );
    assert.deepEqual(all.body.data[0], {
      callinId: 1,
      callinName: 'Support',
      strategy: 1,
      musicinQueue: DEFAULT_MOH_NAME,
      timeWait: '120',
      agentSelector: 'longest-idle',
      nguongRanhRoi: '1',
      callinNumber: s.demo.hotline,
    });
    assert.deepEqual(all.body.data[1], {
      callinId: 2,
      callinName: 'Sales',
      strategy: 1,
      musicinQueue: null,
      timeWait: null,
      agentSelector: null,
      nguongRanhRoi: null,
      callinNumber: null,
    });
    const page = await get('/api/v1/queues/inbound?page=1&size=2');
    assert.equal(page.body.totalRecord, 5);
    assert.deepEqual(
      page.body.data.map((q: any) => q.callinId),
      [3, 4],
    );
    assert.deepEqual((await get('/v1/queues/inbound?page=9')).body.data, []);
    for (const q of ['size=0', 'size=1001', 'page=-1', 'size=ten']) {
      const r = await get(`/v1/queues/inbound?${q}`);
      assert.equal(r.status, 400, q);
      assert.match(r.body.error_message, /^query\.(size|page)/);
    }
  });

  test('callinNumber joins several hotlines with commas', async () => {
    await s.t.ctx.db
      .insertInto('numbers')
      .values({
        tenant_id: tenantId,
        number: '02873019000',
        target_type: 'queue',
        target_id: 1,
        trunk_id: null,
        created_at: 0,
      })
      .execute();
    const q = (await get('/v1/queues/inbound/1')).body;
    assert.equal(q.callinNumber, `02873019000,${s.demo.hotline}`);
  });

  test('detail: the bare object; unknown id 404, malformed id 400', async () => {
    const q = await get('/v1/queues/inbound/2');
    assert.equal(q.status, 200);
    assert.equal(q.body.callinName, 'Sales');
    assert.equal(q.body.success, undefined);
    const missing = await get('/v1/queues/inbound/4242');
    assert.equal(missing.status, 404);
    assert.ok(isErrorEnvelope(missing.body, 'NOT_FOUND'));
    for (const id of ['abc', '0', '99999999999']) {
      const r = await get(`/v1/queues/inbound/${id}`);
      assert.equal(r.status, 400, id);
      assert.match(r.body.error_message, /^path\.id/);
    }
  });

  test('update: every field, alone or together, shows in the detail and bumps the revision', async () => {
    const events: number[] = [];
    const off = s.t.ctx.bus.on('queue.changed', (t, p) => t === tenantId && events.push(p.queueId));
    for (const strategy of [2, 3, 4, 99, 1]) {
      const r = await put('/v1/queues/inbound/2', { strategy });
      assert.equal(r.status, 200);
      assert.equal((await get('/v1/queues/inbound/2')).body.strategy, strategy);
    }
    const rev = await revisionOf(s);
    const r = await put('/api/v1/queues/inbound/2', {
      moh_file_id: 'jazz.wav',
      max_wait_sec: '180',
      strategy: 2,
      announce_position: '0',
    });
    assert.deepEqual(r.body, {
      success: '1',
      error_code: 'SUCCESS',
      error_message: 'Inbound queue updated successfully',
    });
    const q = (await get('/v1/queues/inbound/2')).body;
    assert.deepEqual([q.musicinQueue, q.timeWait, q.strategy, q.nguongRanhRoi], ['jazz.wav', '180', 2, '0']);
    assert.ok((await revisionOf(s)) > rev);
    assert.equal(events.length, 6);
    off();
  });

  test('update input errors: 400 with the field and reason, nothing half-written', async () => {
    const before = await getInboundQueue(s.t.ctx.db, tenantId, 3);
    const rev = await revisionOf(s);
    for (const [body, expect] of [
      [{}, /at least one of moh_file_id, max_wait_sec, strategy, announce_position/],
      [{ strategy: 5 }, /strategy must be one of 1, 2, 3, 4, 99/],
      [{ strategy: '1' }, /body\.strategy must be integer/],
      [{ strategy: 1.5 }, /body\.strategy must be integer/],
      [{ strategy: null }, /body\.strategy must be integer/],
      [{ max_wait_sec: 180 }, /body\.max_wait_sec must be string/],
      [{ max_wait_sec: 'abc' }, /max_wait_sec must be a numeric string/],
      [{ max_wait_sec: '-5' }, /max_wait_sec must be a numeric string/],
      [{ max_wait_sec: '0' }, /max_wait_sec must be from 1 to 86400/],
      [{ max_wait_sec: '86401' }, /max_wait_sec must be from 1 to 86400/],
      [{ announce_position: '2' }, /announce_position must be "0" or "1"/],
      [{ announce_position: 1 }, /body\.announce_position must be string/],
      [{ moh_file_id: '' }, /moh_file_id/],
      [{ moh_file_id: 'missing.wav' }, /"missing.wav" is not a music-on-hold file/],
      // A prompt is not music on hold, and another tenant's file is not this tenant's.
      [{ moh_file_id: 'beep.wav' }, /"beep.wav" is not a music-on-hold file/],
      [{ moh_file_id: 'other-moh.wav' }, /"other-moh.wav" is not a music-on-hold file/],
      [{ strategy: 2, moh_file_id: 'missing.wav' }, /missing.wav/],
      [{ strategy: 2, max_wait_sec: 'x' }, /max_wait_sec/],
      ['{"strategy": 2', /JSON/i],
    ] as const) {
      const r = await put('/v1/queues/inbound/3', body);
      assert.equal(r.status, 400, `${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.ok(isErrorEnvelope(r.body, 'INVALID_INPUT'));
      assert.match(r.body.error_message, expect, JSON.stringify(body));
    }
    assert.deepEqual(await getInboundQueue(s.t.ctx.db, tenantId, 3), before);
    assert.equal(await revisionOf(s), rev);
    assert.equal((await put('/v1/queues/inbound/4242', { strategy: 2 })).status, 404);
  });
});
