import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { bumpRevision, createTenant } from '../../src/domain/tenants.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, waitFor } from '../sip/helpers/peers.js';

const skip = await requireTool('sipp');

/** The native calls API on a live call: a sipp customer queued to a sipp agent, acted on through HTTP. */
describe('native calls API: live calls', { skip }, () => {
  let s: TestServer;
  let otherKey: string;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    const other = await createTenant(s.t.ctx.db, s.clock, { name: 'Other live tenant' });
    otherKey = (await s.t.ctx.credentials.createApiKey(other.id, ['call'], 'k')).key;
    // No wrap-up, so agent 0 takes the second test's call right after the first.
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0 }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  const get = (path: string, key = s.demo.api_key) =>
    call(`${s.url}${path}`, { headers: { 'x-api-key': key } });
  const post = (path: string, key = s.demo.api_key) =>
    call(`${s.url}${path}`, { method: 'POST', headers: { 'x-api-key': key } });

  it('lists the live call with state=active, holds, resumes and hangs it up; refusals name the state', async () => {
    const agent = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 300 });
    const customer = await startCustomer(peers, s, 'customer-wait-bye.xml', 0, '0909555111');
    const live = await waitFor(
      async () => {
        const r = await get('/api/calls?state=active');
        const c = r.body.items?.[0];
        return c?.state === 'bridged' ? c : null;
      },
      10_000,
      'the bridged call in state=active',
    );
    const id: string = live.call_id;
    assert.equal(live.caller_number, '0909555111');
    assert.equal(live.agent_id, s.demo.agents[0]!.agent_id);
    assert.deepEqual(
      (await get('/api/calls?state=active', otherKey)).body.items,
      [],
      'not listed for another tenant',
    );
    assert.deepEqual((await get('/api/calls?state=active&direction=outbound')).body.items, []);

    const detail = (await get(`/api/calls/${id}`)).body;
    assert.equal(detail.state, 'bridged');
    assert.deepEqual(
      detail.states.map((x: { state: string }) => x.state),
      ['routing', 'queued', 'offering', 'bridged'],
    );
    assert.deepEqual(
      detail.legs.map((l: { side: string; answered: boolean }) => [l.side, l.answered]),
      [
        ['a', true],
        ['b', true],
      ],
    );

    assert.equal(
      (await post(`/api/calls/${id}/hold`, otherKey)).status,
      404,
      "another tenant's call is not found",
    );
    const resumeBridged = await post(`/api/calls/${id}/resume`);
    assert.equal(resumeBridged.status, 409);
    assert.equal(resumeBridged.body.error.state, 'bridged');

    const held = await post(`/api/calls/${id}/hold`);
    assert.equal(held.status, 200, JSON.stringify(held.body));
    assert.equal(held.body.state, 'held');
    const again = await post(`/api/calls/${id}/hold`);
    assert.equal(again.status, 409);
    assert.deepEqual(again.body.error, {
      code: 'CONFLICT',
      message: 'the call is held: hold is not possible now',
      state: 'held',
    });
    const resumed = await post(`/api/calls/${id}/resume`);
    assert.equal(resumed.status, 200);
    assert.equal(resumed.body.state, 'bridged');

    const hung = await post(`/api/calls/${id}/hangup`);
    assert.equal(hung.status, 200);
    assert.equal(hung.body.state, 'ended');
    const twice = await post(`/api/calls/${id}/hangup`);
    assert.equal(twice.status, 409);
    assert.equal(twice.body.error.state, 'ended');

    assert.equal((await customer.done).code, 0, 'the customer got a BYE');
    assert.equal((await agent.done).code, 0, 'the agent got a BYE');
    const rec = await closedCall(s, 'call_id', id);
    assert.equal(rec.hangup_by, 'system');
    assert.equal(rec.reason, 'hung up through the API');
    assert.equal(rec.status_detail, 'SUCCESS');
    const after = (await get(`/api/calls/${id}`)).body;
    assert.equal(after.state, 'ended');
    assert.deepEqual(after.states, []);
  });

  it('blind-transfers the call from agent 0 to agent 1 through the API', async () => {
    const first = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 200 });
    const customer = await startCustomer(peers, s, 'customer-wait-bye.xml', 0, '0909555222');
    const live = await waitFor(
      async () => {
        const c = (await get('/api/calls?state=active&caller=0909555222')).body.items?.[0];
        return c?.state === 'bridged' ? c : null;
      },
      10_000,
      'the call bridged to agent 0',
    );
    const id: string = live.call_id;
    assert.equal(live.agent_id, s.demo.agents[0]!.agent_id);
    const bad = await call(`${s.url}/api/calls/${id}/transfer`, {
      method: 'POST',
      headers: { 'x-api-key': s.demo.api_key },
      body: { agent_id: s.demo.agents[1]!.agent_id, number: '0901234567' },
    });
    assert.equal(bad.status, 400, 'exactly one destination');
    const second = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    const r = await call(`${s.url}/api/calls/${id}/transfer`, {
      method: 'POST',
      headers: { 'x-api-key': s.demo.api_key },
      body: { agent_id: s.demo.agents[1]!.agent_id },
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.state, 'transferring');
    assert.equal((await first.done).code, 0, 'agent 0 got a BYE once agent 1 answered');
    const after = await waitFor(
      async () => {
        const c = (await get(`/api/calls/${id}`)).body;
        return c.state === 'bridged' ? c : null;
      },
      10_000,
      'bridged to agent 1',
    );
    assert.equal(after.agent_id, s.demo.agents[1]!.agent_id);
    assert.deepEqual(
      after.transfers.map((t: { from_agent_id: number; outcome: string }) => [t.from_agent_id, t.outcome]),
      [[s.demo.agents[0]!.agent_id, 'done']],
    );
    assert.deepEqual(after.states.map((x: { state: string }) => x.state).slice(-2), [
      'transferring',
      'bridged',
    ]);
    assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
    assert.equal((await customer.done).code, 0);
    assert.equal((await second.done).code, 0);
    const rec = await closedCall(s, 'call_id', id);
    assert.equal(
      rec.agent_id,
      s.demo.agents[1]!.agent_id,
      'the record names the agent who finished the call',
    );
    assert.equal(rec.status_detail, 'SUCCESS');
  });
});
