import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { agentDials, closedCall, echoCarrier, startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { authToken, signedQuery } from '../antbuddy/helpers.js';
import { type Recorder, record, subscribe } from '../realtime/helpers.js';

const skip = await requireTool('sipp');
const WRAPUP_SEC = 8;

/**
 * Transfer to a queue with real peers: a sipp customer queued to agent 0's sipp phone, transferred by the API
 * back into the demo queue, where agent 1's sipp phone takes it. Statuses are the real status model's.
 */
describe('transfer to a queue (real peers)', { skip }, () => {
  let s: TestServer;
  let queueId: number;
  let kazoo: Recorder;
  let trunkPort: number;
  const peers = new Peers();
  before(async () => {
    trunkPort = await freeUdpPort();
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(trunkPort) } });
    // A wrap-up long enough to see agent 0 in it while agent 1 talks (and so the queue does not offer agent 0).
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: WRAPUP_SEC }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
    queueId = (
      await s.t.ctx.db
        .selectFrom('inbound_queues')
        .select('id')
        .where('tenant_id', '=', s.demo.tenant_id)
        .executeTakeFirstOrThrow()
    ).id;
    kazoo = record(s.url);
    const ack = await subscribe(kazoo.socket, {
      account_id: s.demo.account_id,
      auth_token: await authToken(s.url, s.demo.app_id, s.demo.app_secret),
      binding: 'call.*.*',
    });
    assert.equal(ack.ok, true);
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    kazoo?.close();
    await s?.close();
  });

  const get = (path: string) => call(`${s.url}${path}`, { headers: { 'x-api-key': s.demo.api_key } });
  const post = (path: string, body?: unknown) =>
    call(`${s.url}${path}`, { method: 'POST', headers: { 'x-api-key': s.demo.api_key }, body });
  const status = async (index: number) =>
    (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [s.demo.agents[index]!.agent_id]))[0]?.status;

  it('agent 0 transfers a queue call to the queue: 0 wraps up, 1 takes it (In-call); history, events, statuses follow', async () => {
    const a0 = s.demo.agents[0]!;
    const a1 = s.demo.agents[1]!;
    // Agent 1 is registered but away, so the first offer goes to agent 0.
    const second = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    await waitFor(async () => (await status(1)) === 'Available', 10_000, 'agent 1 available');
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [a1.agent_id], 'Lunch', 'test');
    const first = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 200 });
    const customer = await startCustomer(peers, s, 'customer-wait-bye.xml', 0, '0909555333');
    const live = await waitFor(
      async () => {
        const c = (await get('/api/calls?state=active&caller=0909555333')).body.items?.[0];
        return c?.state === 'bridged' ? c : null;
      },
      30_000,
      'the call bridged to agent 0',
    );
    const id: string = live.call_id;
    assert.equal(live.agent_id, a0.agent_id);
    // Agent 0 talks a while: the queue wait after the transfer must not include it.
    await new Promise((r) => setTimeout(r, 3000));
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [a1.agent_id], 'Available', 'test');

    const unknown = await post(`/api/calls/${id}/transfer`, { queue_id: queueId + 1000 });
    assert.equal(unknown.status, 404, JSON.stringify(unknown.body));
    const transferAt = Date.now();
    const r = await post(`/api/calls/${id}/transfer`, { queue_id: queueId });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.ok(['queued', 'offering'].includes(r.body.state), r.body.state);
    const f = await first.done;
    assert.equal(f.code, 0, 'agent 0 got a BYE at once: ' + f.stdout.slice(-800));

    const bridged = await waitFor(
      async () => {
        const c = (await get(`/api/calls/${id}`)).body;
        return c.state === 'bridged' && c.agent_id === a1.agent_id ? c : null;
      },
      20_000,
      'bridged to agent 1 through the queue',
    );
    await waitFor(async () => (await status(1)) === 'In-call', 10_000, 'agent 1 In-call');
    assert.equal(await status(0), 'Wrap-up', 'agent 0 wraps up the queue call it transferred');
    assert.ok(Date.now() - transferAt < WRAPUP_SEC * 1000, 'checked inside the wrap-up time');
    assert.deepEqual(
      bridged.transfers.map((t: Record<string, unknown>) => [
        t.to_kind,
        t.to_queue_id,
        t.to_agent_id,
        t.outcome,
      ]),
      [['queue', queueId, a1.agent_id, 'done']],
    );

    assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
    assert.equal((await customer.done).code, 0);
    assert.equal((await second.done).code, 0);
    const rec = await closedCall(s, 'call_id', id);
    assert.equal(rec.agent_id, a1.agent_id, 'the record names the agent who finished the call');
    await waitFor(async () => (await status(1)) === 'Wrap-up', 10_000, 'agent 1 wraps up');
    await waitFor(async () => (await status(0)) === 'Available', 20_000, 'agent 0 back after wrap-up');
    await waitFor(async () => (await status(1)) === 'Available', 20_000, 'agent 1 back after wrap-up');

    // Ended: the history is read from the record.
    const ended = (await get(`/api/calls/${id}`)).body;
    assert.equal(ended.state, 'ended');
    assert.deepEqual(
      ended.transfers.map((t: Record<string, unknown>) => [
        t.from_agent_id,
        t.to_kind,
        t.to_queue_id,
        t.to_agent_id,
        t.by,
        t.outcome,
      ]),
      [[a0.agent_id, 'queue', queueId, a1.agent_id, 'api', 'done']],
    );
    assert.equal(ended.created_at, live.created_at, "the call's start is kept");
    const waited = ended.queue_stat.wait_sec as number;
    assert.ok(waited < 3, `the queue wait counts from the re-entry (${waited} s, agent 0 talked 3 s)`);

    // AntBuddy's history shows agent 1 as the callee of the answered inbound call.
    const day = new Date().toISOString().slice(0, 10);
    const qs = signedQuery(
      { appId: s.demo.app_id, created_from: day, created_to: day },
      [s.demo.app_id, day, day],
      s.demo.app_secret,
    );
    const h = await call(`${s.url}/oapi/v1/call/histories?${qs}`);
    const item = h.body.data.find((d: { call_id: string }) => d.call_id === id);
    assert.ok(item, JSON.stringify(h.body));
    assert.deepEqual([item.callee.type, item.callee.number], ['user', a1.extension]);

    // Kazoo channels: the call's own three, and the new leg's under its own id naming the call.
    const leg = `${id}-t1`;
    await waitFor(
      async () => kazoo.events.find((e) => e.name === 'CHANNEL_DESTROY' && e.data.call_id === leg) ?? null,
      10_000,
      "the new leg's CHANNEL_DESTROY",
    );
    const legEvents = kazoo.events.filter((e) => e.data.call_id === leg);
    assert.deepEqual(
      legEvents.map((e) => e.name),
      ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'],
    );
    assert.ok(legEvents.every((e) => e.data.other_leg_call_id === id));
  });

  it('outbound: agent 0 called a customer through the trunk and hands them over to agent 1 by the API', async () => {
    const a0 = s.demo.agents[0]!;
    const a1 = s.demo.agents[1]!;
    await waitFor(async () => (await status(1)) !== 'Wrap-up', 30_000, 'agent 1 out of wrap-up');
    const carrier = await echoCarrier(peers, s, trunkPort, { pauseMs: 200 });
    const second = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    const first = await agentDials(peers, s, 0, '0909777888', { scenario: 'agent-call-wait-bye.xml' });
    const live = await waitFor(
      async () => {
        const c = (await get('/api/calls?state=active&direction=outbound')).body.items?.[0];
        return c?.state === 'bridged' ? c : null;
      },
      30_000,
      "agent 0's outbound call bridged",
    );
    const id: string = live.call_id;
    assert.equal(live.agent_id, a0.agent_id);
    const toQueue = await post(`/api/calls/${id}/transfer`, { queue_id: queueId });
    assert.equal(toQueue.status, 409, 'an outbound call is not transferred to a queue');
    const r = await post(`/api/calls/${id}/transfer`, { agent_id: a1.agent_id });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.state, 'transferring');
    const f = await first.done;
    assert.equal(f.code, 0, 'agent 0 got a BYE once agent 1 answered: ' + f.stdout.slice(-800));
    const after = await waitFor(
      async () => {
        const c = (await get(`/api/calls/${id}`)).body;
        return c.state === 'bridged' && c.agent_id === a1.agent_id ? c : null;
      },
      20_000,
      'the customer bridged to agent 1',
    );
    assert.equal(after.direction, 'outbound');
    await waitFor(async () => (await status(1)) === 'In-call', 10_000, 'agent 1 In-call');
    await waitFor(async () => (await status(0)) === 'Available', 10_000, 'agent 0 back to their status');
    assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
    assert.equal((await carrier.done).code, 0, 'the customer got a BYE');
    assert.equal((await second.done).code, 0);
    const rec = await closedCall(s, 'call_id', id);
    assert.equal(rec.agent_id, a1.agent_id);
    const ended = (await get(`/api/calls/${id}`)).body;
    assert.deepEqual(
      ended.transfers.map((t: Record<string, unknown>) => [t.from_agent_id, t.to_agent_id, t.by, t.outcome]),
      [[a0.agent_id, a1.agent_id, 'api', 'done']],
    );
    // The status seen last goes into the failure (PostgreSQL once timed out here at load 5, not reproduced).
    let last: string | undefined;
    await waitFor(
      async () => (last = await status(1)) === 'Available',
      10_000,
      'agent 1 back after the call',
    ).catch((e: Error) => {
      throw new Error(`${e.message}: agent 1 is ${last}`);
    });
  });
});
