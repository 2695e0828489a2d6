import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import type { Envelope } from '../../src/domain/events.js';
import { createTeam, addTeamMembers } from '../../src/domain/teams.js';
import { basic, insertAgents, raw } from '../statuses/fixtures.js';

const PATH = '/apps/api/v1/agent_statuses';

describe('CCAI agent statuses (seed 004 examples)', () => {
  let s: TestServer;
  let auth: Record<string, string>;
  let tenantId: number;
  let a11: { id: number; extension: string; name: string; email: string };
  let a12: typeof a11;
  let a13: typeof a11;
  let teamId: number;
  const events: Envelope[] = [];

  /** Put the three agents where the document's example has them: Lunch, In-call, Offline. */
  async function documentState() {
    const st = s.t.ctx.statuses;
    for (const a of [a11, a12, a13]) await st.setSystemStatus(tenantId, a.id, 'Offline', 'test');
    await st.login(tenantId, a11.id, 'test');
    await st.setCustomStatus(tenantId, [a11.id], 'Lunch', 'test');
    await st.login(tenantId, a12.id, 'test');
    await st.setSystemStatus(tenantId, a12.id, 'Ringing', 'test');
    await st.setSystemStatus(tenantId, a12.id, 'In-call', 'test');
  }

  before(async () => {
    s = await startTestServer();
    tenantId = s.demo.tenant_id;
    auth = { authorization: basic(s.demo.api_key) };
    [a11, a12, a13] = (await insertAgents(s, tenantId, 3, 'Doc')) as [typeof a11, typeof a11, typeof a11];
    teamId = (await createTeam(s.t.ctx.db, s.clock, tenantId, 'Team 1')).id;
    await addTeamMembers(s.t.ctx.db, tenantId, teamId, [a13.id]);
    s.t.ctx.bus.subscribe((e) => events.push(e));
  });
  after(() => s.close());

  it('POST: mixed per-agent results, exactly as the document shows them', async () => {
    await documentState();
    events.length = 0;
    const r = await call(s.url + PATH, {
      method: 'POST',
      headers: auth,
      body: { status: 'Available', agent_ids: [a11.id, a12.id], team_ids: [teamId] },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [
      {
        agent_id: a11.id,
        name: a11.name,
        email: a11.email,
        agent_number: `Agent No.${a11.extension}`,
        previous_status: 'Lunch',
        current_status: 'Available',
      },
      {
        agent_id: a12.id,
        name: a12.name,
        email: a12.email,
        agent_number: `Agent No.${a12.extension}`,
        previous_status: 'In-call',
        current_status: 'In-call',
        message: "Agent can't be changed from system status 'In-call'",
      },
      {
        agent_id: a13.id,
        name: a13.name,
        email: a13.email,
        agent_number: `Agent No.${a13.extension}`,
        previous_status: 'Offline',
        current_status: 'Offline',
        message: "Agent's status can't be changed if they are offline or logged out",
      },
    ]);
    // One event and one history row, for the one agent that changed.
    const changed = events.filter((e) => e.type === 'agent.status_changed');
    assert.equal(changed.length, 1);
    assert.deepEqual(
      { ...changed[0]!.payload, at: 0 },
      {
        agentId: a11.id,
        agentUid: (changed[0]!.payload as { agentUid: string }).agentUid,
        extension: a11.extension,
        previous: 'Lunch',
        current: 'Available',
        changedBy: (changed[0]!.payload as { changedBy: string }).changedBy,
        at: 0,
      },
    );
    const hist = await s.t.ctx.db
      .selectFrom('status_history')
      .selectAll()
      .where('agent_id', '=', a11.id)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(hist.previous_status, 'Lunch');
    assert.equal(hist.new_status, 'Available');
    assert.match(hist.changed_by, /^ccai:api_key:\d+$/);
  });

  it('POST: a status the agent already has is reported unchanged, case-insensitive names', async () => {
    const r = await call(s.url + PATH, {
      method: 'POST',
      headers: auth,
      body: { status: 'available', agent_ids: [a11.id], team_ids: [] },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body[0].current_status, 'Available');
    assert.equal(r.body[0].message, "Agent is already in status 'Available'");
  });

  it('POST: unknown status is a request-level 400 with the document message', async () => {
    const r = await call(s.url + PATH, {
      method: 'POST',
      headers: auth,
      body: { status: 'Napping', agent_ids: [a11.id, a12.id], team_ids: [] },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { message: "status 'Napping' does not exist" });
  });

  it('POST: a system status as target is a request-level 400 (team_ids may be omitted)', async () => {
    const before = await s.t.ctx.statuses.getStatuses(tenantId, [a11.id]);
    const r = await call(s.url + PATH, {
      method: 'POST',
      headers: auth,
      body: { status: 'In-call', agent_ids: [a11.id, a12.id] },
    });
    assert.equal(r.status, 400);
    assert.deepEqual(r.body, { message: "Agent can't be changed to system status 'In-call'" });
    assert.deepEqual(await s.t.ctx.statuses.getStatuses(tenantId, [a11.id]), before);
    for (const sys of ['Offline', 'ringing', 'Wrap-up']) {
      const x = await call(s.url + PATH, {
        method: 'POST',
        headers: auth,
        body: { status: sys, agent_ids: [] },
      });
      assert.equal(x.status, 400, sys);
      assert.match(x.body.message, /^Agent can't be changed to system status '(Offline|Ringing|Wrap-up)'$/);
    }
  });

  it('POST: other bad input gets a precise 400', async () => {
    const cases: [unknown, RegExp][] = [
      [{ agent_ids: [1] }, /"status" is required/],
      [{ status: '  ', agent_ids: [1] }, /status must not be empty/],
      [{ status: 'Available', agent_ids: [1, 'x'] }, /agent_ids\[1\] must be a positive integer/],
      [{ status: 'Available', agent_ids: ['11'] }, /agent_ids\[0\] must be a positive integer/],
      [{ status: 'Available', team_ids: [1.5] }, /team_ids\[0\] must be a positive integer/],
      [{ status: 'Available', agent_ids: [0] }, /agent_ids\[0\] must be a positive integer/],
      [{ status: 'Available', agent_ids: 11 }, /agent_ids must be array/],
      [{ status: 5 }, /status must be string/],
      [[1, 2], /request body must be object/],
      ['{"status": ', /JSON/],
    ];
    for (const [body, msg] of cases) {
      const r = await call(s.url + PATH, { method: 'POST', headers: auth, body });
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.deepEqual(Object.keys(r.body), ['message']);
      assert.match(r.body.message, msg, JSON.stringify(body));
    }
  });

  it('POST: an empty selection is an empty 200 (still checking the status)', async () => {
    const r = await call(s.url + PATH, { method: 'POST', headers: auth, body: { status: 'Lunch' } });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, []);
  });

  it('GET with the documented JSON body: status and ip_addrs of agents and team members', async () => {
    await documentState();
    const now = s.clock.now();
    const reg = (agent_id: number, source_ip: string, expires_at: number) => ({
      tenant_id: tenantId,
      agent_id,
      contact: `sip:${agent_id}@${source_ip}:5060`,
      source_ip,
      source_port: 5060,
      transport: 'udp',
      user_agent: 'test',
      expires_at,
      created_at: now,
    });
    await s.t.ctx.db
      .insertInto('sip_registrations')
      .values([
        reg(a11.id, '34.211.11.101', now + 60_000),
        reg(a11.id, '34.211.11.101', now + 90_000),
        reg(a12.id, '34.211.11.102', now + 60_000),
        reg(a13.id, '34.211.11.103', now + 60_000),
        reg(a13.id, '10.9.9.9', now - 1),
      ])
      .execute();
    const r = await raw(s.url + PATH, {
      headers: auth,
      body: { agent_ids: [a11.id, a12.id], team_ids: [teamId] },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.deepEqual(r.body, [
      {
        agent_id: a11.id,
        name: a11.name,
        email: a11.email,
        agent_number: `Agent No.${a11.extension}`,
        status: 'Lunch',
        ip_addrs: ['34.211.11.101'],
      },
      {
        agent_id: a12.id,
        name: a12.name,
        email: a12.email,
        agent_number: `Agent No.${a12.extension}`,
        status: 'In-call',
        ip_addrs: ['34.211.11.102'],
      },
      {
        agent_id: a13.id,
        name: a13.name,
        email: a13.email,
        agent_number: `Agent No.${a13.extension}`,
        status: 'Offline',
        ip_addrs: ['34.211.11.103'],
      },
    ]);
  });

  it('GET with query parameters: comma-separated or repeated, merged with a body', async () => {
    const comma = await call(`${s.url}${PATH}?agent_ids=${a11.id},${a12.id}`, { headers: auth });
    assert.equal(comma.status, 200);
    assert.deepEqual(
      comma.body.map((e: { agent_id: number }) => e.agent_id),
      [a11.id, a12.id],
    );
    const repeated = await call(
      `${s.url}${PATH}?agent_ids=${a12.id}&agent_ids=${a11.id}&team_ids=${teamId}`,
      {
        headers: auth,
      },
    );
    assert.deepEqual(
      repeated.body.map((e: { agent_id: number }) => e.agent_id),
      [a12.id, a11.id, a13.id],
    );
    const mixed = await raw(`${s.url}${PATH}?agent_ids=${a13.id}`, {
      headers: auth,
      body: { agent_ids: [a11.id] },
    });
    assert.deepEqual(
      mixed.body.map((e: { agent_id: number }) => e.agent_id),
      [a11.id, a13.id],
    );
  });

  it('GET: unknown agents and teams are reported as not found; no selection lists every agent', async () => {
    const r = await raw(s.url + PATH, {
      headers: auth,
      body: { agent_ids: [a11.id, 987654], team_ids: [99999] },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.slice(1), [
      { agent_id: 987654, message: 'Agent 987654 not found' },
      { team_id: 99999, message: 'Team 99999 not found' },
    ]);
    const all = await call(s.url + PATH, { headers: auth });
    assert.equal(all.status, 200);
    const ids = all.body.map((e: { agent_id: number }) => e.agent_id);
    assert.ok([a11.id, a12.id, a13.id].every((id) => ids.includes(id)));
    assert.deepEqual(
      ids,
      [...ids].sort((x: number, y: number) => x - y),
    );
  });

  it('GET: bad ids in the query or the body get a precise 400', async () => {
    const q = await call(`${s.url}${PATH}?agent_ids=11,abc`, { headers: auth });
    assert.equal(q.status, 400);
    assert.match(
      q.body.message,
      /query parameter agent_ids must be positive integers separated by commas, got "abc"/,
    );
    const b = await raw(s.url + PATH, { headers: auth, body: { team_ids: [1, -2] } });
    assert.equal(b.status, 400);
    assert.deepEqual(b.body, { message: 'team_ids[1] must be a positive integer' });
    const j = await raw(s.url + PATH, { headers: auth, body: '{"agent_ids": [1' });
    assert.deepEqual(j.body, { message: 'request body is not valid JSON' });
    assert.equal(j.status, 400);
  });

  it('accepts the key as Bearer too', async () => {
    const r = await call(s.url + PATH + `?agent_ids=${a11.id}`, {
      headers: { authorization: `Bearer ${s.demo.api_key}` },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body[0].agent_id, a11.id);
  });
});
