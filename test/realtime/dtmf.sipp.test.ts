import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { freeMediaPort, startAgent } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort } from '../sip/helpers/peers.js';
import { authToken } from '../antbuddy/helpers.js';
import { type Recorder, record, subscribe } from './helpers.js';

const skip = await requireTool('sipp');
const SCENARIO = fileURLToPath(new URL('./fixtures/customer-dtmf.xml', import.meta.url));

describe('DTMF from a real call reaches Socket.IO subscribers', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  let c: Recorder;

  before(async () => {
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(await freeUdpPort()) } });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0, ring_timeout_sec: 5 }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
    c = record(s.url);
    const ack = await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: await authToken(s.url, s.demo.app_id, s.demo.app_secret),
      binding: 'call.*.*',
    });
    assert.equal(ack.ok, true);
  });
  after(async () => {
    peers.killAll();
    c?.close();
    await s?.close();
  });

  it("the customer's key press (RFC 4733) arrives as DTMF between the call's ANSWER and DESTROY", async () => {
    const agent = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 200 });
    const csv = peers.csv('customer-dtmf.csv', [[s.demo.hotline, '0909123456']]);
    const customer = await peers.sippRun(
      `127.0.0.1:${s.t.sipPort}`,
      [
        '-sf',
        SCENARIO,
        '-inf',
        csv,
        '-p',
        String(await freeUdpPort()),
        '-mp',
        String(await freeMediaPort()),
      ].concat(['-d', '1500', '-m', '1']),
      60_000,
    ).done;
    assert.equal(customer.code, 0, customer.stdout.slice(-1500) + customer.stderr);
    await agent.done;
    const got = await c.waitFor(['CHANNEL_ANSWER', 'DTMF', 'CHANNEL_DESTROY'], 3, 10_000);
    const callId = got[0]!.data.call_id;
    const names = c.events.filter((e) => e.data?.call_id === callId).map((e) => e.name);
    const caller = c.events.find((e) => e.name === 'DTMF' && e.data.leg === 'caller');
    assert.ok(caller, JSON.stringify(c.events));
    assert.equal(caller.data.call_id, callId);
    assert.equal(caller.data.dtmf_digit, '5');
    assert.ok(caller.data.dtmf_duration > 0);
    assert.ok(names.indexOf('CHANNEL_ANSWER') < names.indexOf('DTMF'), names.join());
    assert.ok(names.indexOf('DTMF') < names.indexOf('CHANNEL_DESTROY'), names.join());
  });
});
