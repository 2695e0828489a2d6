import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort } from '../sip/helpers/peers.js';
import { Edge, edgeAgent, edgeCustomer, registerThroughEdge } from './edge.js';

const skip = (await requireTool('kamailio')) || (await requireTool('sipp'));

/**
 * One tongdai node behind deploy/kamailio/kamailio.cfg (the vertical slice of docs/cluster.md): the phone registers
 * through Kamailio (Path), the carrier's call to the hotline enters through Kamailio, tongdai rings the phone via
 * the Path, the call is bridged with RTP echoed both ways, and the record closes normally.
 */
describe('Kamailio edge in front of a node', { skip }, () => {
  let s: TestServer;
  let edge: Edge;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    edge = await new Edge().start([s.t.sipPort]);
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    edge?.stop();
    await s?.close();
  });

  it('registers with a Path, rings the agent through Kamailio and bridges a carrier call', async () => {
    const agentPort = await freeUdpPort();
    await registerThroughEdge(edge, s, 0, agentPort);
    const [binding] = s.t.telephony.sip.location.lookup(s.demo.tenant_id, s.demo.agents[0]!.agent_id);
    assert.ok(binding?.path?.length, 'the binding keeps the Path Kamailio added');
    assert.match(binding.path[0]!, new RegExp(`127\\.0\\.0\\.1:${edge.port};lr`));
    assert.match(binding.path[0]!, new RegExp(`received=.*${agentPort}`), 'add_path_received');
    assert.deepEqual(binding.remote, { transport: 'udp', address: '127.0.0.1', port: edge.port });

    const agent = await edgeAgent(peers, edge, agentPort);
    const caller = '0909777001';
    const customer = await edgeCustomer(peers, edge, s.demo.hotline, caller);
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr + edge.log.slice(-3000));
    const a = await agent.done;
    assert.equal(a.code, 0, a.stdout.slice(-1500) + a.stderr);
    const rec = await closedCall(s, 'caller_number', caller);
    assert.equal(rec.direction, 'inbound');
    assert.equal(rec.agent_id, s.demo.agents[0]!.agent_id);
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
  });
});
