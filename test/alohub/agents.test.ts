import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createAgent, getAgentByExtension } from '../../src/domain/agents.js';
import { createInboundQueue, createOutboundQueue } from '../../src/domain/queues.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { isErrorEnvelope, revisionOf } from './fixtures.js';

describe('AloHub agents', () => {
  let s: TestServer;
  let tenantId: number;
  let salesQueue: number;
  let outbound2: number;
  const get = (path: string) => call(`${s.url}${path}`, { headers: { Authorization: s.demo.api_key } });
  const put = (path: string, body: unknown) =>
    call(`${s.url}${path}`, { method: 'PUT', headers: { 'X-Api-Key': s.demo.api_key }, body });
  const row = async (ext: string) =>
    (await get('/v1/agents?size=100')).body.data.find((a: any) => a.agentId === ext);
  const setStatus = (ext: string, status: string, statusId: number | null) =>
    s.t.ctx.db
      .updateTable('agents')
      .set({ status, status_id: statusId })
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', ext)
      .execute();

  before(async () => {
    s = await startTestServer();
    tenantId = s.demo.tenant_id;
    for (let i = 0; i < 25; i++) {
      await createAgent(s.t.ctx.db, s.clock, s.t.ctx.box, tenantId, {
        name: `Agent ${i}`,
        email: `a${i}@x.example`,
      });
    }
    salesQueue = (await createInboundQueue(s.t.ctx.db, s.clock, tenantId, { name: 'Sales' })).id;
    outbound2 = (await createOutboundQueue(s.t.ctx.db, s.clock, tenantId, 'Second line', [])).id;
  });
  after(() => s.close());

  test('pages from 0, 20 by default, in creation order; totalRecord counts every match', async () => {
    const p0 = await get('/v1/agents');
    assert.equal(p0.body.totalRecord, 28);
    assert.equal(p0.body.data.length, 20);
    assert.equal(p0.body.data[0].agentId, '1001');
    const p1 = await get('/v1/agents?page=1');
    assert.equal(p1.body.data.length, 8);
    assert.equal(p1.body.data[0].agentId, '1021');
    const beyond = await get('/v1/agents?page=2');
    assert.equal(beyond.body.totalRecord, 28);
    assert.deepEqual(beyond.body.data, []);
    const small = await get('/v1/agents?page=5&size=5');
    assert.deepEqual(
      small.body.data.map((a: any) => a.agentId),
      ['1026', '1027', '1028'],
    );
  });

  test('bad paging and filters: 400 INVALID_INPUT naming the parameter', async () => {
    for (const [q, field] of [
      ['size=0', 'size'],
      ['size=1001', 'size'],
      ['page=-1', 'page'],
      ['page=abc', 'page'],
      ['status=2', 'status'],
      ['queue_id=0', 'queue_id'],
      ['queue_id=x', 'queue_id'],
      ['team_id=abc', 'team_id'],
    ] as const) {
      const r = await get(`/v1/agents?${q}`);
      assert.equal(r.status, 400, q);
      assert.ok(isErrorEnvelope(r.body, 'INVALID_INPUT'));
      assert.match(r.body.error_message, new RegExp(`query\\.${field}`), q);
    }
  });

  test('filters: status (active flag), queue_id (callin membership), team_id (own tenant = no narrowing)', async () => {
    await s.t.ctx.db.updateTable('agents').set({ is_active: 0 }).where('extension', '=', '1003').execute();
    await bumpRevision(s.t.ctx.db, tenantId);
    const inactive = await get('/v1/agents?status=0');
    assert.deepEqual(
      inactive.body.data.map((a: any) => [a.agentId, a.status]),
      [['1003', 0]],
    );
    assert.equal((await get('/v1/agents?status=1')).body.totalRecord, 27);
    const inSupport = await get('/v1/agents?queue_id=1');
    assert.deepEqual(
      inSupport.body.data.map((a: any) => a.agentId),
      ['1001', '1002', '1003'],
    );
    assert.equal((await get('/v1/agents?queue_id=1&status=1')).body.totalRecord, 2);
    const own = await get(`/v1/agents?team_id=${tenantId}&size=100`);
    assert.equal(own.body.totalRecord, 28);
  });

  test('systemStatus/userStatus project the shared presence, fresh on every request', async () => {
    const statuses = await s.t.ctx.db
      .selectFrom('statuses')
      .select(['id', 'name'])
      .where('tenant_id', '=', tenantId)
      .execute();
    const id = (name: string) => statuses.find((x) => x.name === name)?.id ?? null;
    const rev = await revisionOf(s);
    for (const [status, statusId, system, user] of [
      ['Available', id('Available'), 'AVAILABLE', 'AVAILABLE'],
      ['Lunch', id('Lunch'), 'NOT AVAILABLE', 'AVAILABLE'],
      ['In-call', id('Available'), 'NOT AVAILABLE', 'AVAILABLE'],
      ['Offline', null, 'NOT AVAILABLE', 'LOGOUT'],
    ] as const) {
      // Status changes do not bump the revision: the cached directory must still show them at once.
      await setStatus('1002', status, statusId);
      const a = await row('1002');
      assert.deepEqual([a.systemStatus, a.userStatus], [system, user], status);
    }
    assert.equal(await revisionOf(s), rev);
    // A catalog change (Lunch now takes calls) bumps the revision and shows at once too.
    await setStatus('1002', 'Lunch', id('Lunch'));
    await s.t.ctx.db
      .updateTable('statuses')
      .set({ is_ready: 1 })
      .where('id', '=', id('Lunch') ?? 0)
      .execute();
    await bumpRevision(s.t.ctx.db, tenantId);
    assert.equal((await row('1002')).systemStatus, 'AVAILABLE');
    await s.t.ctx.db
      .updateTable('statuses')
      .set({ is_ready: 0 })
      .where('id', '=', id('Lunch') ?? 0)
      .execute();
    await bumpRevision(s.t.ctx.db, tenantId);
    assert.equal((await row('1002')).systemStatus, 'NOT AVAILABLE');
  });

  test('directory writes made outside this process (CLI, another node) are seen on the next request', async () => {
    await get('/v1/agents');
    await s.t.ctx.db
      .updateTable('agents')
      .set({ username: 'renamed', follow_me: 1 })
      .where('tenant_id', '=', tenantId)
      .where('extension', '=', '1001')
      .execute();
    await bumpRevision(s.t.ctx.db, tenantId);
    const a = await row('1001');
    assert.equal(a.userName, 'renamed');
    assert.equal(a.isFollowMe, 1);
  });

  test('type=callin replaces the whole list; priority defaults to 1 and applies to every queue', async () => {
    const rev = await revisionOf(s);
    let r = await put('/v1/agents/1001/queues', { queue_ids: [salesQueue] });
    assert.equal(r.status, 200);
    let a = await row('1001');
    assert.deepEqual(
      [a.queueCallinId, a.queueCallin, a.priority],
      [String(salesQueue), `${salesQueue}-Sales`, '1'],
    );
    assert.ok((await revisionOf(s)) > rev);
    r = await put('/v1/agents/1001/queues?type=callin', {
      queue_ids: [salesQueue, 1, salesQueue],
      priority: 3,
    });
    assert.equal(r.status, 200);
    a = await row('1001');
    assert.deepEqual(
      [a.queueCallinId, a.queueCallin, a.priority],
      [`1,${salesQueue}`, `1-Support,${salesQueue}-Sales`, '3,3'],
    );
    const members = await get(`/v1/agents?queue_id=${salesQueue}`);
    assert.deepEqual(
      members.body.data.map((x: any) => x.agentId),
      ['1001'],
    );
  });

  test('type=callout sets the callout queue from exactly one id; priority is ignored there', async () => {
    let r = await put('/api/v1/agents/1002/queues?type=callout', { queue_ids: [outbound2], priority: 5 });
    assert.equal(r.status, 200);
    const a = await row('1002');
    assert.deepEqual([a.queueCallout, a.queueCalloutName], [outbound2, 'Second line']);
    r = await put('/v1/agents/1002/queues?type=callout', { queue_ids: [1, outbound2] });
    assert.equal(r.status, 400);
    assert.match(r.body.error_message, /exactly one queue id/);
    // An inbound queue id is not an outbound queue.
    r = await put('/v1/agents/1002/queues?type=callout', { queue_ids: [salesQueue + 1000] });
    assert.equal(r.status, 404);
    assert.ok(isErrorEnvelope(r.body, 'NOT_FOUND'));
  });

  test('queue assignment input errors: 400 with the field, 404 for unknown ids, nothing written', async () => {
    const before = await row('1003');
    const rev = await revisionOf(s);
    for (const [path, body, expect] of [
      ['/v1/agents/1003/queues', { queue_ids: [] }, /queue_ids/],
      ['/v1/agents/1003/queues', {}, /"queue_ids" is required/],
      ['/v1/agents/1003/queues', { queue_ids: ['1'] }, /queue_ids\.0 must be integer/],
      ['/v1/agents/1003/queues', { queue_ids: [1], priority: 0 }, /priority/],
      ['/v1/agents/1003/queues', { queue_ids: [1], priority: 'high' }, /priority/],
      ['/v1/agents/1003/queues', { queue_ids: [1], priority: '0' }, /priority/],
      ['/v1/agents/1003/queues?type=both', { queue_ids: [1] }, /query\.type/],
      ['/v1/agents/abc/queues', { queue_ids: [1] }, /path\.id/],
    ] as const) {
      const r = await put(path, body);
      assert.equal(r.status, 400, `${path} ${JSON.stringify(body)}: ${JSON.stringify(r.body)}`);
      assert.ok(isErrorEnvelope(r.body, 'INVALID_INPUT'));
      assert.match(r.body.error_message, expect);
    }
    const missing = await put('/v1/agents/1003/queues', { queue_ids: [1, 999999] });
    assert.equal(missing.status, 404);
    assert.match(missing.body.error_message, /999999/);
    const noAgent = await put('/v1/agents/9999/queues', { queue_ids: [1] });
    assert.equal(noAgent.status, 404);
    assert.equal(await revisionOf(s), rev);
    assert.deepEqual(await row('1003'), before);
  });

  test('recording on/off with the documented message; the id keeps its leading zeros', async () => {
    await createAgent(s.t.ctx.db, s.clock, s.t.ctx.box, tenantId, {
      name: 'Zero',
      email: 'z@x.example',
      extension: '082018',
    });
    let r = await put('/v1/agents/082018/recording', { enabled: true });
    assert.deepEqual(r.body, {
      success: '1',
      error_code: 'SUCCESS',
      error_message: 'Recording enabled for agent 082018',
    });
    assert.equal((await getAgentByExtension(s.t.ctx.db, tenantId, '082018')).recording_enabled, 1);
    r = await put('/api/v1/agents/082018/recording', { enabled: false });
    assert.equal(r.body.error_message, 'Recording disabled for agent 082018');
    assert.equal((await getAgentByExtension(s.t.ctx.db, tenantId, '082018')).recording_enabled, 0);
    assert.equal((await row('082018')).agentId, '082018');
    assert.equal((await put('/v1/agents/82018/recording', { enabled: true })).status, 404);
    for (const body of [{ enabled: 'true' }, { enabled: 1 }, {}, 'not json']) {
      const bad = await put('/v1/agents/082018/recording', body);
      assert.equal(bad.status, 400, JSON.stringify(body));
      assert.ok(isErrorEnvelope(bad.body, 'INVALID_INPUT'));
    }
  });

  test('a deleted agent is neither listed nor assignable', async () => {
    await s.t.ctx.db
      .updateTable('agents')
      .set({ deleted_at: s.clock.now() })
      .where('extension', '=', '1028')
      .execute();
    await bumpRevision(s.t.ctx.db, tenantId);
    assert.equal(await row('1028'), undefined);
    assert.equal((await put('/v1/agents/1028/recording', { enabled: true })).status, 404);
  });

  test('integrator replay: priority sent back as the text GET returns it, and a 413-agent page in one request', async () => {
    // GET answers `"priority": "3"`; a client that round-trips the field sends the string.
    const r = await put('/api/v1/agents/1002/queues?type=callin', { queue_ids: [salesQueue], priority: '3' });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal((await row('1002')).priority, '3');
    for (let i = 25; i < 413; i++) {
      await createAgent(s.t.ctx.db, s.clock, s.t.ctx.box, tenantId, {
        name: `Bulk ${i}`,
        email: `b${i}@x.example`,
      });
    }
    await bumpRevision(s.t.ctx.db, tenantId);
    const page = await get('/v1/agents?page=0&size=413');
    assert.equal(page.status, 200, JSON.stringify(page.body).slice(0, 200));
    assert.equal(page.body.data.length, 413);
    assert.equal((await get('/v1/agents?size=1000')).status, 200);
    assert.equal((await get('/v1/agents?size=1001')).status, 400);
  });
});
