import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, echoCarrier, startCustomer } from './helpers/agents.js';
import { Linphone } from './helpers/linphone.js';
import { Peers, freeUdpPort, waitFor } from './helpers/peers.js';

const skip = (await requireTool('linphonec')) || (await requireTool('sipp'));

describe('linphonec (linphone-cli) on the default settings', { skip }, () => {
  let s: TestServer;
  let trunkPort: number;
  const peers = new Peers();
  const phones: Linphone[] = [];
  before(async () => {
    trunkPort = await freeUdpPort();
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(trunkPort) } });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0 }).execute();
  });
  afterEach(async () => {
    for (const p of phones.splice(0)) await p.quit();
    peers.killAll();
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  async function registered(index: number): Promise<Linphone> {
    const agent = s.demo.agents[index]!;
    const phone = await Linphone.start(peers, s, agent);
    phones.push(phone);
    await waitFor(
      async () => {
        const [v] = await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [agent.agent_id]);
        return v?.status === 'Available';
      },
      30_000,
      `linphonec registered agent ${agent.extension} and logged it in`,
    ).catch((e: Error) => {
      throw phone.explain(e);
    });
    return phone;
  }

  it('registers with the default digest challenge (answering MD5, offered first) and logs the agent in', async () => {
    const phone = await registered(0);
    const log = phone.log();
    assert.match(log, /WWW-Authenticate: Digest [^\n]*algorithm=MD5/);
    assert.match(log, /WWW-Authenticate: Digest [^\n]*algorithm=SHA-256/);
    assert.match(log, /\nAuthorization: +Digest [^\n]*algorithm=MD5, username="1001"/);
    // The server logs the agent in as it sends the 200; linphone may read that answer a moment later: ask again.
    let asked = 0;
    await waitFor(
      () => {
        if (/registered, identity=.*sip:1001@/.test(phone.output)) return true;
        if (asked++ % 10 === 0) phone.send('status register');
        return false;
      },
      10_000,
      'linphonec reporting itself registered',
    ).catch((e: Error) => {
      throw phone.explain(e);
    });
  });

  it('auto-answers a customer call queued to it; audio flows both ways', async () => {
    const agent = s.demo.agents[0]!;
    const phone = await registered(0);
    const customer = await startCustomer(peers, s, 'customer-call.xml', 3000, '0909777000');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr + phone.output.slice(-1500));
    const rec = await closedCall(s, 'caller_number', '0909777000');
    assert.equal(rec.agent_id, agent.agent_id, JSON.stringify(rec));
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
    const m = s.t.telephony.core.recent.get(rec.call_id)!.mediaStats!;
    assert.ok(m.b!.packetsOut > 20, `tongdai → linphone ${m.b!.packetsOut}`);
    assert.ok(m.b!.packetsIn > 20, `linphone → tongdai ${m.b!.packetsIn}`);
    assert.ok(m.a.packetsOut > 20, `tongdai → customer ${m.a.packetsOut}`);
  });

  it('calls out through the trunk: authenticated INVITE, bridged to the carrier, hung up by linphone', async () => {
    const phone = await registered(1);
    const carrier = await echoCarrier(peers, s, trunkPort);
    phone.send(`call sip:0901777000@${s.demo.sip_domain}`);
    // Talk for two seconds once the carrier answered, then hang up from the phone.
    await waitFor(
      () => /Call [0-9]+ .*connected|Media streams established/i.test(phone.output),
      20_000,
      'the call connected',
    ).catch((e: Error) => {
      throw phone.explain(e);
    });
    await new Promise((r) => setTimeout(r, 2000));
    phone.send('terminate');
    const c = await carrier.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + phone.output.slice(-1500));
    const log = phone.log();
    assert.match(log, /SIP\/2.0 407 Proxy Authentication Required/);
    assert.match(log, /Proxy-Authorization: +Digest [^\n]*username="1002", +uri="sip:0901777000@/);
    const rec = await closedCall(s, 'callee_number', '0901777000');
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.caller_agent_id, s.demo.agents[1]!.agent_id);
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.equal(rec.hangup_by, 'caller');
    const m = s.t.telephony.core.recent.get(rec.call_id)!.mediaStats!;
    assert.ok(m.a.packetsIn > 20, `linphone → tongdai ${m.a.packetsIn}`);
    assert.ok(m.a.packetsOut > 20, `tongdai → linphone ${m.a.packetsOut}`);
  });
});
