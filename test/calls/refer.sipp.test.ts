import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, echoCarrier, startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';

const skip = await requireTool('sipp');

/**
 * Transfer asked by the agent's phone (in-dialog REFER, RFC 3515): a sipp customer queued to agent 0's sipp phone,
 * which sends the REFER and checks the 202 and both NOTIFYs (100 Trying, then 200 OK or the refusal).
 */
describe('transfer by SIP REFER from the agent phone', { skip }, () => {
  let s: TestServer;
  let trunkPort: number;
  const peers = new Peers();
  before(async () => {
    trunkPort = await freeUdpPort();
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(trunkPort) } });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0 }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  const get = (path: string) => call(`${s.url}${path}`, { headers: { 'x-api-key': s.demo.api_key } });
  const post = (path: string) =>
    call(`${s.url}${path}`, { method: 'POST', headers: { 'x-api-key': s.demo.api_key } });
  const status = async (index: number) =>
    (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [s.demo.agents[index]!.agent_id]))[0]?.status;
  /** The live call of `caller` once `ok` holds for it. */
  const liveCall = (caller: string, ok: (c: Record<string, unknown>) => boolean, what: string) =>
    waitFor(
      async () => {
        const c = (await get(`/api/calls?state=active&caller=${caller}`)).body.items?.[0];
        return c && ok(c) ? c : null;
      },
      30_000,
      what,
    );

  /** Agent 1's phone registered but not ready (Lunch): the queue offers the call to agent 0 only. */
  async function secondAgentAway(scenario: string) {
    const phone = await startAgent(peers, s, 1, scenario, { pauseMs: 200 });
    await waitFor(async () => (await status(1)) === 'Available', 10_000, 'agent 1 available');
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [s.demo.agents[1]!.agent_id], 'Lunch', 'test');
    return phone;
  }

  it('blind: agent 0 REFERs the caller to agent 1 (202, NOTIFY 100 then 200, BYE); agent 1 finishes the call', async () => {
    const a0 = s.demo.agents[0]!;
    const a1 = s.demo.agents[1]!;
    const second = await secondAgentAway('agent-answer.xml');
    const first = await startAgent(peers, s, 0, 'agent-refer.xml', {
      pauseMs: 800,
      extra: ['-key', 'refer_to', a1.extension],
    });
    const customer = await startCustomer(peers, s, 'customer-wait-bye.xml', 0, '0909555701');
    const f = await first.done;
    assert.equal(
      f.code,
      0,
      'agent 0 saw 202, NOTIFY 100 Trying, NOTIFY 200 OK, BYE: ' + f.stdout.slice(-1500),
    );
    const live = await liveCall(
      '0909555701',
      (c) => c.state === 'bridged' && c.agent_id === a1.agent_id,
      'the call bridged to agent 1',
    );
    const id = live.call_id as string;
    const detail = (await get(`/api/calls/${id}`)).body;
    assert.deepEqual(
      detail.transfers.map((t: { from_agent_id: number; outcome: string }) => [t.from_agent_id, t.outcome]),
      [[a0.agent_id, 'done']],
    );
    await waitFor(async () => (await status(1)) === 'In-call', 10_000, 'agent 1 In-call');
    // Agent 0 is released by the transfer (wrap-up is 0 s here, so straight back to their status).
    await waitFor(async () => (await status(0)) !== 'In-call', 10_000, 'agent 0 released');
    assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
    assert.equal((await customer.done).code, 0);
    assert.equal((await second.done).code, 0);
    const rec = await closedCall(s, 'call_id', id);
    assert.equal(rec.agent_id, a1.agent_id, 'the record names the agent who finished the call');
    assert.equal(rec.status_detail, 'SUCCESS');
  });

  it('blind to an external number: the REFER rings the carrier through the trunk; NOTIFY 200 once it answers', async () => {
    const a0 = s.demo.agents[0]!;
    const carrier = await echoCarrier(peers, s, trunkPort, { pauseMs: 100, timeoutMs: 60_000 });
    const first = await startAgent(peers, s, 0, 'agent-refer.xml', {
      pauseMs: 500,
      extra: ['-key', 'refer_to', '0901234567'],
    });
    const customer = await startCustomer(peers, s, 'customer-wait-bye.xml', 0, '0909555704');
    const f = await first.done;
    assert.equal(f.code, 0, 'agent 0 saw NOTIFY 200 OK once the carrier answered: ' + f.stdout.slice(-1500));
    const id = (await liveCall('0909555704', (c) => c.state === 'bridged', 'the call bridged'))
      .call_id as string;
    const detail = (await get(`/api/calls/${id}`)).body;
    assert.deepEqual(
      detail.transfers.map((t: { from_agent_id: number; to: string; outcome: string }) => [
        t.from_agent_id,
        t.to,
        t.outcome,
      ]),
      [[a0.agent_id, '0901234567', 'done']],
    );
    assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
    const c = await carrier.done;
    assert.equal(c.code, 0, 'the carrier got the INVITE and the BYE: ' + c.stdout.slice(-1500));
    assert.equal((await customer.done).code, 0);
  });

  for (const [what, target] of [
    ['an unknown extension (404)', 'nobody'],
    ['a barred international number (403)', '+14155550100'],
  ] as const) {
    it(`refused for ${what}: the final NOTIFY says so and the call stays with agent 0`, async () => {
      const a0 = s.demo.agents[0]!;
      const caller = target === 'nobody' ? '0909555702' : '0909555703';
      const first = await startAgent(peers, s, 0, 'agent-refer-refused.xml', {
        pauseMs: 500,
        extra: ['-key', 'refer_to', target],
      });
      const customer = await startCustomer(peers, s, 'customer-wait-bye.xml', 0, caller);
      const live = await liveCall(caller, (c) => c.state === 'bridged', 'the call bridged to agent 0');
      const id = live.call_id as string;
      // The phone holds the caller only once the refusal NOTIFY came: `held` proves it, with the call still up.
      const held = await waitFor(
        async () => {
          const c = (await get(`/api/calls/${id}`)).body;
          return c.state === 'held' ? c : null;
        },
        30_000,
        'held by agent 0 after the refusal',
      );
      assert.equal(held.agent_id, a0.agent_id);
      assert.deepEqual(held.transfers, [], 'nothing rang');
      assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
      const f = await first.done;
      assert.equal(
        f.code,
        0,
        'agent 0 saw 202, NOTIFY 100 Trying, NOTIFY 40x, BYE: ' + f.stdout.slice(-1500),
      );
      assert.equal((await customer.done).code, 0);
    });
  }
});
