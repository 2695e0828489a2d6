import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { insertAgents } from './fixtures.js';

describe('native status and team API', () => {
  let s: TestServer;
  let h: Record<string, string>;
  let agents: { id: number; extension: string }[];

  before(async () => {
    s = await startTestServer();
    h = { 'x-api-key': s.demo.api_key };
    agents = await insertAgents(s, s.demo.tenant_id, 3, 'Native');
  });
  after(() => s.close());

  const api = (
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string> } = {},
  ) => call(s.url + path, { ...init, headers: { ...h, ...init.headers } });

  it('lists custom then system statuses', async () => {
    const r = await api('/api/statuses');
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.statuses.map((x: { name: string; kind: string }) => `${x.kind}:${x.name}`),
      [
        'custom:Available',
        'custom:Lunch',
        'custom:Meeting',
        'custom:Break',
        'system:Offline',
        'system:Ringing',
        'system:In-call',
        'system:Wrap-up',
      ],
    );
    assert.equal(r.body.statuses[0].is_ready, true);
  });

  it('creates, renames and deletes custom statuses with precise refusals', async () => {
    const c = await api('/api/statuses', { method: 'POST', body: { name: ' Training ' } });
    assert.equal(c.status, 201);
    assert.deepEqual(
      { ...c.body, id: 0 },
      { id: 0, name: 'Training', kind: 'custom', is_ready: false, position: 4 },
    );
    const dup = await api('/api/statuses', { method: 'POST', body: { name: 'training' } });
    assert.equal(dup.status, 409);
    assert.deepEqual(dup.body, { error: { code: 'CONFLICT', message: "status 'Training' already exists" } });
    const sys = await api('/api/statuses', { method: 'POST', body: { name: 'in-call' } });
    assert.equal(sys.status, 409);
    assert.match(sys.body.error.message, /system status 'In-call'/);
    const empty = await api('/api/statuses', { method: 'POST', body: { name: '  ' } });
    assert.equal(empty.status, 400);
    assert.equal(empty.body.error.message, 'status name must not be empty');
    // An undeclared field is ignored, never assigned.
    const extra = await api('/api/statuses', { method: 'POST', body: { name: 'X', tenant_id: 1 } });
    assert.equal(extra.status, 201);
    const xs = await s.t.ctx.db.selectFrom('statuses').select('tenant_id').where('name', '=', 'X').execute();
    assert.deepEqual(
      xs.map((x) => x.tenant_id),
      [s.demo.tenant_id],
    );

    const a = agents[0]!;
    await api(`/api/agents/${a.id}/login`, { method: 'POST' });
    await api(`/api/agents/${a.id}/status`, { method: 'PUT', body: { status: 'training' } });
    const ren = await api(`/api/statuses/${c.body.id}`, { method: 'PATCH', body: { name: 'Coaching' } });
    assert.equal(ren.status, 200);
    assert.equal(ren.body.name, 'Coaching');
    const st = await api(`/api/agents/${a.id}/status`);
    assert.equal(st.body.status, 'Coaching', 'agents in a renamed status follow the new name');
    const inUse = await api(`/api/statuses/${c.body.id}`, { method: 'DELETE' });
    assert.equal(inUse.status, 409);
    assert.match(inUse.body.error.message, /in use by 1 agent;/);
    await api(`/api/agents/${a.id}/logout`, { method: 'POST' });
    const del = await api(`/api/statuses/${c.body.id}`, { method: 'DELETE' });
    assert.equal(del.status, 204);
    assert.equal((await api(`/api/statuses/${c.body.id}`, { method: 'DELETE' })).status, 404);
    const recreate = await api('/api/statuses', { method: 'POST', body: { name: 'Training' } });
    assert.equal(recreate.status, 201, 'a deleted name can be used again');
  });

  it('never leaves the tenant without a ready status', async () => {
    const list = (await api('/api/statuses')).body.statuses;
    const available = list.find((x: { name: string }) => x.name === 'Available');
    const r = await api(`/api/statuses/${available.id}`, { method: 'PATCH', body: { is_ready: false } });
    assert.equal(r.status, 409);
    assert.match(r.body.error.message, /last ready status/);
  });

  it('login, set status, logout, with the projections of each family', async () => {
    const a = agents[1]!;
    const login = await api(`/api/agents/${a.id}/login`, { method: 'POST' });
    assert.deepEqual(login.body, {
      agent_id: a.id,
      previous_status: 'Offline',
      current_status: 'Available',
      changed: true,
    });
    let st = await api(`/api/agents/${a.id}/status`);
    assert.equal(st.body.presence, 'ready');
    assert.deepEqual(st.body.alohub, { systemStatus: 'AVAILABLE', userStatus: 'AVAILABLE' });
    assert.equal(st.body.antbuddy_state, 'ready');
    const again = await api(`/api/agents/${a.id}/login`, { method: 'POST' });
    assert.equal(again.body.changed, false);
    const lunch = await api(`/api/agents/${a.id}/status`, { method: 'PUT', body: { status: 'Lunch' } });
    assert.deepEqual(lunch.body, {
      agent_id: a.id,
      previous_status: 'Available',
      current_status: 'Lunch',
      changed: true,
    });
    st = await api(`/api/agents/${a.id}/status`);
    assert.equal(st.body.antbuddy_state, 'paused');
    assert.deepEqual(st.body.alohub, { systemStatus: 'NOT AVAILABLE', userStatus: 'AVAILABLE' });

    await s.t.ctx.statuses.setSystemStatus(s.demo.tenant_id, a.id, 'In-call', 'test');
    const busy = await api(`/api/agents/${a.id}/status`, { method: 'PUT', body: { status: 'Available' } });
    assert.equal(busy.status, 409);
    assert.equal(busy.body.error.message, "Agent can't be changed from system status 'In-call'");
    assert.equal((await api(`/api/agents/${a.id}/logout`, { method: 'POST' })).status, 409);
    st = await api(`/api/agents/${a.id}/status`);
    assert.equal(st.body.antbuddy_state, 'connected');
    await s.t.ctx.statuses.resumeCustomStatus(s.demo.tenant_id, a.id, 'test');

    const out = await api(`/api/agents/${a.id}/logout`, { method: 'POST' });
    assert.deepEqual(out.body, {
      agent_id: a.id,
      previous_status: 'Lunch',
      current_status: 'Offline',
      changed: true,
    });
    st = await api(`/api/agents/${a.id}/status`);
    assert.deepEqual(st.body.alohub, { systemStatus: 'NOT AVAILABLE', userStatus: 'LOGOUT' });
    assert.equal(st.body.antbuddy_state, 'logged_out');
    const off = await api(`/api/agents/${a.id}/status`, { method: 'PUT', body: { status: 'Lunch' } });
    assert.equal(off.status, 409);
    assert.equal(off.body.error.message, "Agent's status can't be changed if they are offline or logged out");
  });

  it("status history: newest first, who and when, limited; another tenant's agent is not found", async () => {
    const a = agents[1]!;
    const r = await api(`/api/agents/${a.id}/status-history?limit=3`);
    assert.equal(r.status, 200);
    assert.deepEqual(
      r.body.items.map(
        (h: { previous_status: string; new_status: string }) => `${h.previous_status}>${h.new_status}`,
      ),
      ['Lunch>Offline', 'In-call>Lunch', 'Lunch>In-call'],
    );
    assert.match(r.body.items[0].changed_by, /^api_key:\d+$/);
    assert.equal(r.body.items[1].changed_by, 'test');
    assert.equal(r.body.items[0].at, s.clock.now());
    assert.equal((await api(`/api/agents/${a.id}/status-history?limit=0`)).status, 400);
    assert.equal((await api('/api/agents/987654/status-history')).status, 404);
  });

  it('refuses unknown and system statuses, unknown agents', async () => {
    const a = agents[2]!;
    const sys = await api(`/api/agents/${a.id}/status`, { method: 'PUT', body: { status: 'Wrap-up' } });
    assert.equal(sys.status, 400);
    assert.equal(sys.body.error.message, "Agent can't be changed to system status 'Wrap-up'");
    const unk = await api(`/api/agents/${a.id}/status`, { method: 'PUT', body: { status: 'Napping' } });
    assert.equal(unk.status, 400);
    assert.equal(unk.body.error.message, "status 'Napping' does not exist");
    const r = await api('/api/agents/999999/login', { method: 'POST' });
    assert.equal(r.status, 404);
    assert.equal(r.body.error.code, 'NOT_FOUND');
    // An id no 32-bit column can hold is bad input, answered before any query.
    const huge = await api('/api/agents/99999999999/logout', { method: 'POST' });
    assert.equal(huge.status, 400);
    assert.equal(huge.body.error.code, 'INVALID_INPUT');
    assert.equal((await api('/api/agents/abc/login', { method: 'POST' })).status, 400);
  });

  it('teams: CRUD and membership', async () => {
    const c = await api('/api/teams', { method: 'POST', body: { name: 'Night shift' } });
    assert.equal(c.status, 201);
    assert.equal(c.body.member_count, 0);
    const dup = await api('/api/teams', { method: 'POST', body: { name: 'night SHIFT' } });
    assert.equal(dup.status, 409);
    const id = c.body.id;
    const add = await api(`/api/teams/${id}/members`, {
      method: 'POST',
      body: { agent_ids: [agents[0]!.id, agents[1]!.id] },
    });
    assert.deepEqual(add.body, { added: [agents[0]!.id, agents[1]!.id] });
    const again = await api(`/api/teams/${id}/members`, {
      method: 'POST',
      body: { agent_ids: [agents[0]!.id] },
    });
    assert.deepEqual(again.body, { added: [] });
    const bad = await api(`/api/teams/${id}/members`, {
      method: 'POST',
      body: { agent_ids: [agents[2]!.id, 987654] },
    });
    assert.equal(bad.status, 404);
    assert.equal(bad.body.error.message, 'agent 987654 not found');
    const members = await api(`/api/teams/${id}/members`);
    assert.deepEqual(
      members.body.members.map((m: { agent_id: number }) => m.agent_id),
      [agents[0]!.id, agents[1]!.id],
      'all or nothing: the failed add added nobody',
    );
    assert.equal((await api(`/api/teams/${id}`)).body.member_count, 2);
    assert.equal((await api(`/api/teams/${id}/members/${agents[0]!.id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await api(`/api/teams/${id}/members/${agents[0]!.id}`, { method: 'DELETE' })).status, 404);
    const ren = await api(`/api/teams/${id}`, { method: 'PATCH', body: { name: 'Late shift' } });
    assert.equal(ren.body.name, 'Late shift');
    const list = await api('/api/teams');
    assert.deepEqual(
      list.body.teams.map((t: { name: string; member_count: number }) => [t.name, t.member_count]),
      [['Late shift', 1]],
    );
    assert.equal((await api(`/api/teams/${id}`, { method: 'DELETE' })).status, 204);
    assert.equal((await api(`/api/teams/${id}`)).status, 404);
    assert.equal((await api(`/api/teams/${id}/members`)).status, 404);
  });
});
