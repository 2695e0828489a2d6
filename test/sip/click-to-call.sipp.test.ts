import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, echoCarrier, startAgent } from './helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from './helpers/peers.js';

const skip = await requireTool('sipp');

describe('POST /api/calls/click-to-call', { skip }, () => {
  let s: TestServer;
  let trunkPort: number;
  const peers = new Peers();
  before(async () => {
    trunkPort = await freeUdpPort();
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(trunkPort) } });
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  const post = (body: unknown, key = s.demo.api_key) =>
    call(`${s.url}/api/calls/click-to-call`, { method: 'POST', headers: { 'x-api-key': key }, body });

  it('rings the agent first, then the customer through the trunk, then bridges', async () => {
    const agent = await startAgent(peers, s, 0, 'agent-hangup.xml', { pauseMs: 2500 });
    // A spy on the carrier's port notes when tongdai's INVITE to the customer first arrives.
    const spy = createSocket('udp4');
    let customerInviteAt = 0;
    spy.on('message', (m) => {
      if (!customerInviteAt && m.toString().startsWith('INVITE ')) customerInviteAt = Date.now();
    });
    await new Promise<void>((r) => spy.bind(trunkPort, '127.0.0.1', () => r()));
    const res = await post({ agent_id: s.demo.agents[0]!.agent_id, number: '0901 234 567' });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.status, 'ringing_agent');
    const callId: string = res.body.call_id;
    await waitFor(() => s.t.telephony.core.calls.get(callId)?.a.answered, 5000, 'the agent answered');
    const agentAnsweredAt = Date.now();
    await waitFor(() => customerInviteAt > 0, 5000, 'INVITE to the customer');
    assert.ok(
      customerInviteAt >= agentAnsweredAt - 50,
      'the customer is called only after the agent answered',
    );
    await new Promise<void>((r) => spy.close(() => r()));
    // The carrier takes over the port and answers the retransmitted INVITE.
    const carrier = await echoCarrier(peers, s, trunkPort, { pauseMs: 100 });
    const c = await carrier.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500));
    assert.equal((await agent.done).code, 0);
    const rec = await closedCall(s, 'call_id', callId);
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.callee_number, '0901234567');
    assert.equal(rec.caller_number, s.demo.hotline);
    assert.equal(rec.agent_id, s.demo.agents[0]!.agent_id);
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.equal(rec.hangup_by, 'caller');
  });

  it('answers 400 when the agent has no registered phone', async () => {
    const res = await post({ agent_id: s.demo.agents[2]!.agent_id, number: '0901234567' });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'INVALID_INPUT');
    assert.match(res.body.error.message, /no registered SIP phone/);
  });

  it("answers 404 for another tenant's or an unknown agent, 400 for a malformed number", async () => {
    assert.equal((await post({ agent_id: 999999, number: '0901234567' })).status, 404);
    assert.equal((await post({ agent_id: s.demo.agents[0]!.agent_id, number: 'call me' })).status, 400);
    assert.equal((await post({ agent_id: s.demo.agents[0]!.agent_id })).status, 400);
  });

  it('refuses barred destinations with 403 and needs a valid key', async () => {
    await startAgent(peers, s, 1, 'agent-answer.xml');
    const barred = await post({ agent_id: s.demo.agents[1]!.agent_id, number: '+14155550100' });
    assert.equal(barred.status, 403, JSON.stringify(barred.body));
    assert.equal((await post({ agent_id: 1, number: '0901234567' }, 'td_live_nope')).status, 401);
  });
});
