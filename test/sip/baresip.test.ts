import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, startCustomer } from './helpers/agents.js';
import { Baresip } from './helpers/baresip.js';
import { Peers } from './helpers/peers.js';

const skip = (await requireTool('baresip')) || (await requireTool('sipp'));

describe('a baresip agent in auto-answer mode takes a queued call', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0 }).execute();
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  it('registers (logging the agent in), answers the offer, audio flows both ways', async () => {
    const agent = s.demo.agents[2]!;
    const phone = await Baresip.start(peers, s, agent);
    await phone.registered(s, agent);
    const customer = await startCustomer(peers, s, 'customer-call.xml', 3000, '0909555000');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const rec = await closedCall(s, 'caller_number', '0909555000');
    assert.equal(rec.agent_id, agent.agent_id, JSON.stringify(rec));
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
    assert.ok(rec.billing_sec! >= 2, `billing ${rec.billing_sec}`);
    const m = s.t.telephony.core.recent.get(rec.call_id)!.mediaStats!;
    assert.ok(m.a.packetsIn > 20, `customer → tongdai ${m.a.packetsIn}`);
    assert.ok(m.b!.packetsOut > 20, `tongdai → baresip ${m.b!.packetsOut}`);
    assert.ok(m.b!.packetsIn > 20, `baresip → tongdai ${m.b!.packetsIn}`);
    assert.ok(m.a.packetsOut > 20, `tongdai → customer ${m.a.packetsOut}`);
    await phone.quit();
  });
});
