import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { insertCallRecord } from '../../src/domain/call-history.js';
import { insertRecording } from '../../src/domain/recording-links.js';
import { createTenant } from '../../src/domain/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';

/** The native calls API over stored records: filters, cursor pages, one call, actions on ended calls, isolation. */
describe('native calls API: records', () => {
  let s: TestServer;
  let otherKey: string;
  let otherCallId: string;
  const ids: string[] = [];
  let queueId: number;
  const T0 = Date.UTC(2026, 10, 1, 8, 0, 0);

  before(async () => {
    s = await startTestServer();
    const tenantId = s.demo.tenant_id;
    const q = await s.t.ctx.db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .executeTakeFirstOrThrow();
    queueId = q.id;
    const agentId = s.demo.agents[0]!.agent_id;
    // Five calls a minute apart, oldest first: two answered inbound ones, a missed one, two outbound.
    const specs = [
      { direction: 'inbound', answered: true, status: 'SUCCESS', caller: '0901000001' },
      { direction: 'inbound', answered: false, status: 'CANCELLED', caller: '0901000002' },
      { direction: 'inbound', answered: true, status: 'SUCCESS', caller: '0901000003' },
      { direction: 'outbound', answered: true, status: 'SUCCESS', caller: '02873000000' },
      { direction: 'outbound', answered: false, status: 'BUSY', caller: '02873000000' },
    ] as const;
    for (const [i, c] of specs.entries()) {
      const callId = randomUUID();
      ids.push(callId);
      const at = T0 + i * 60_000;
      const inbound = c.direction === 'inbound';
      await insertCallRecord(s.t.ctx.db, tenantId, {
        callId,
        direction: c.direction,
        callerNumber: c.caller,
        calleeNumber: inbound ? s.demo.hotline : '0909999999',
        callerAgentId: inbound ? null : agentId,
        didNumber: inbound ? s.demo.hotline : null,
        queueId: inbound ? queueId : null,
        agentId: c.answered || !inbound ? agentId : null,
        createdAt: at,
        answeredAt: c.answered ? at + 5_000 : null,
        endedAt: at + 30_000,
        durationSec: 30,
        billingSec: c.answered ? 25 : 0,
        hangupCause: c.answered ? 'NORMAL_CLEARING' : c.status === 'BUSY' ? 'USER_BUSY' : 'ORIGINATOR_CANCEL',
        hangupBy: 'caller',
        statusDetail: c.status,
        queueStat: inbound
          ? { outcome: c.answered ? 'answered' : 'abandoned', wait_sec: 5, misses: [] }
          : null,
      });
    }
    const rec = await insertRecording(s.t.ctx.db, tenantId, {
      callId: ids[0]!,
      name: `${ids[0]}.wav`,
      path: `recordings/${ids[0]}.wav`,
      sizeBytes: 44,
      durationMs: 0,
      at: T0,
    });
    await s.t.ctx.db
      .updateTable('calls')
      .set({ recording_id: rec.id })
      .where('call_id', '=', ids[0]!)
      .execute();
    const other = await createTenant(s.t.ctx.db, s.clock, { name: 'Other calls tenant' });
    otherKey = (await s.t.ctx.credentials.createApiKey(other.id, ['call'], 'k')).key;
    otherCallId = randomUUID();
    await insertCallRecord(s.t.ctx.db, other.id, {
      callId: otherCallId,
      direction: 'inbound',
      callerNumber: '0901000001',
      calleeNumber: '1900',
      createdAt: T0,
      endedAt: T0 + 1000,
    });
  });
  after(async () => s?.close());

  const get = (path: string, key = s.demo.api_key) =>
    call(`${s.url}${path}`, { headers: { 'x-api-key': key } });
  const post = (path: string, key = s.demo.api_key) =>
    call(`${s.url}${path}`, { method: 'POST', headers: { 'x-api-key': key } });

  it('lists newest first and pages by cursor without overlap', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const r = await get(`/api/calls?limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      assert.equal(r.status, 200, JSON.stringify(r.body));
      seen.push(...r.body.items.map((c: { call_id: string }) => c.call_id));
      cursor = r.body.next_cursor;
      pages++;
    } while (cursor);
    assert.equal(pages, 3);
    assert.deepEqual(seen, [...ids].reverse(), 'every call once, newest first');
    assert.ok(!seen.includes(otherCallId), "never another tenant's call");
  });

  it('filters by direction, status, agent, caller, callee and time range', async () => {
    const only = async (q: string) =>
      (await get(`/api/calls?${q}`)).body.items.map((c: { call_id: string }) => c.call_id) as string[];
    assert.deepEqual(await only('direction=outbound'), [ids[4], ids[3]]);
    assert.deepEqual(await only('status=CANCELLED'), [ids[1]]);
    assert.deepEqual(await only(`caller=0901000003`), [ids[2]]);
    assert.deepEqual(await only(`callee=0909999999&status=BUSY`), [ids[4]]);
    assert.deepEqual(await only(`agent_id=${s.demo.agents[0]!.agent_id}`), [ids[4], ids[3], ids[2], ids[0]]);
    assert.deepEqual(await only(`queue_id=${queueId}&direction=inbound`), [ids[2], ids[1], ids[0]]);
    assert.deepEqual(await only(`from=${T0 + 60_000}&to=${T0 + 120_000}`), [ids[2], ids[1]]);
    const one = (await get(`/api/calls?caller=0901000001`)).body.items[0];
    assert.equal(one.state, 'ended');
    assert.equal(one.status_detail, 'SUCCESS');
    assert.equal(one.has_recording, true);
  });

  it('answers bad filters with 400 in the native shape', async () => {
    for (const q of [
      'cursor=bm9wZQ',
      `from=${T0}&to=${T0 - 1}`,
      'direction=sideways',
      'status=WHATEVER',
      'limit=1000',
      'limit=1e23',
      'agent_id=99999999999',
      'state=ended',
      'state=active&status=SUCCESS',
    ]) {
      const r = await get(`/api/calls?${q}`);
      assert.equal(r.status, 400, `${q}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_INPUT', q);
      assert.equal(typeof r.body.error.message, 'string');
    }
  });

  it('one call: legs, queue statistics, transfers and a signed recording link', async () => {
    const r = await get(`/api/calls/${ids[0]}`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const c = r.body;
    assert.equal(c.call_id, ids[0]);
    assert.equal(c.state, 'ended');
    assert.deepEqual(
      c.legs.map((l: { side: string; role: string; number: string; answered: boolean }) => [
        l.side,
        l.role,
        l.number,
        l.answered,
      ]),
      [
        ['a', 'caller', '0901000001', true],
        ['b', 'callee', s.demo.hotline, true],
      ],
    );
    assert.equal(c.legs[1].agent_id, s.demo.agents[0]!.agent_id);
    assert.equal(c.queue_stat.outcome, 'answered');
    assert.deepEqual(c.transfers, []);
    assert.equal(c.recording.name, `${ids[0]}.wav`);
    assert.match(c.recording.url, /^\/recordings\/.+\.wav\?tenant=\d+&expires=\d+&signature=/);
    const missed = (await get(`/api/calls/${ids[1]}`)).body;
    assert.equal(missed.recording, null);
    assert.equal(missed.legs[1].answered, false);
  });

  it("another tenant's call and an unknown id are 404; actions on an ended call are 409 naming the state", async () => {
    for (const path of [`/api/calls/${otherCallId}`, '/api/calls/nope']) {
      const r = await get(path);
      assert.equal(r.status, 404, path);
      assert.equal(r.body.error.code, 'NOT_FOUND');
    }
    assert.equal((await get(`/api/calls/${ids[0]}`, otherKey)).status, 404);
    assert.deepEqual(
      (await get('/api/calls', otherKey)).body.items.map((c: { call_id: string }) => c.call_id),
      [otherCallId],
    );
    for (const action of ['hangup', 'hold', 'resume']) {
      const ended = await post(`/api/calls/${ids[0]}/${action}`);
      assert.equal(ended.status, 409, action);
      assert.deepEqual(ended.body.error, {
        code: 'CONFLICT',
        message: `the call is ended: ${action} is not possible now`,
        state: 'ended',
      });
      assert.equal((await post(`/api/calls/${ids[0]}/${action}`, otherKey)).status, 404, action);
      assert.equal((await post(`/api/calls/nope/${action}`)).status, 404, action);
    }
  });

  it('needs the call scope', async () => {
    const agentOnly = (await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent'], 'agent-only')).key;
    const r = await get('/api/calls', agentOnly);
    assert.equal(r.status, 403);
    assert.equal(r.body.error.code, 'INSUFFICIENT_SCOPE');
    assert.equal((await post(`/api/calls/${ids[0]}/hangup`, agentOnly)).status, 403);
    assert.equal((await get('/api/calls', 'td_live_nope')).status, 401);
  });

  it('state=active lists only live calls (none here)', async () => {
    const r = await get('/api/calls?state=active');
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, { items: [], next_cursor: null });
  });

  it('is documented in the OpenAPI document, 409 included', async () => {
    const spec = (await call(`${s.url}/openapi.json`)).body;
    for (const path of ['/api/calls', '/api/calls/{id}', '/api/calls/{id}/hangup', '/api/calls/{id}/hold']) {
      assert.ok(spec.paths[path], path);
    }
    assert.ok(
      spec.paths['/api/calls/{id}/resume'].post.responses['409'],
      'the 409 with the state is documented',
    );
    const params = spec.paths['/api/calls'].get.parameters.map((p: { name: string }) => p.name);
    for (const n of [
      'from',
      'to',
      'direction',
      'queue_id',
      'agent_id',
      'status',
      'caller',
      'callee',
      'state',
      'cursor',
    ]) {
      assert.ok(params.includes(n), n);
    }
  });
});
