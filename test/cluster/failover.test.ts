import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import {
  type Storage,
  type TestServer,
  newStorage,
  requireTool,
  startTestServer,
} from '../helpers/harness.js';
import { closedCall } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { Edge, edgeAgent, edgeCustomer, registerThroughEdge } from './edge.js';

const skip = !process.env.DATABASE_URL
  ? 'several nodes share one database: runs on PostgreSQL (DATABASE_URL and REDIS_URL, the integration suite)'
  : (await requireTool('kamailio')) || (await requireTool('sipp'));

/**
 * Two nodes on one PostgreSQL behind Kamailio: a phone registered through one node is reachable from the other
 * (shared location with its Path); when the node that took a call stops, Kamailio's probes and failover send the
 * next call to the other node, which rings the same phone through the edge and bridges it.
 */
describe('two nodes behind Kamailio', { skip }, () => {
  let storage: Storage;
  const nodes: TestServer[] = [];
  let edge: Edge;
  const peers = new Peers();
  before(async () => {
    storage = newStorage('tongdai-cluster-');
    for (const id of ['n1', 'n2']) {
      nodes.push(await startTestServer({ storage, clock: systemClock, env: { NODE_ID: id } }));
    }
    edge = await new Edge().start(nodes.map((n) => n.t.sipPort));
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    edge?.stop();
    for (const n of nodes) await n.close().catch(() => undefined);
    await storage?.remove();
  });

  it('reaches the agent from either node, and sends the next call to the other node when the node that took one stops', async () => {
    const [n1] = nodes;
    const agentId = n1!.demo.agents[0]!.agent_id;
    const tenantId = n1!.demo.tenant_id;
    const agentPort = await freeUdpPort();
    await registerThroughEdge(edge, n1!, 0, agentPort);
    for (const n of nodes) {
      await waitFor(
        () => n.t.telephony.sip.location.lookup(tenantId, agentId)[0]?.path?.length,
        10_000,
        `the registration on node ${n.config.nodeId}`,
      );
    }
    const agent1 = await edgeAgent(peers, edge, agentPort);

    const first = await edgeCustomer(peers, edge, n1!.demo.hotline, '0909888001');
    const c1 = await first.done;
    assert.equal(c1.code, 0, c1.stdout.slice(-1500) + edge.log.slice(-2000));
    const rec1 = await closedCall(n1!, 'caller_number', '0909888001');
    assert.equal(rec1.hangup_cause, 'NORMAL_CLEARING');
    const a1 = await agent1.done;
    assert.equal(a1.code, 0, a1.stdout.slice(-1500) + a1.stderr);
    const owner = nodes.find((n) => n.config.nodeId === rec1.node_id)!;
    const other = nodes.find((n) => n !== owner)!;
    assert.ok(owner && other, `the call ran on a known node (${rec1.node_id})`);

    await owner.close();
    const second = await edgeCustomer(peers, edge, n1!.demo.hotline, '0909888002');
    const c2 = await second.done;
    assert.equal(c2.code, 0, c2.stdout.slice(-1500) + edge.log.slice(-2000));
    const rec2 = await closedCall(other, 'caller_number', '0909888002');
    assert.equal(rec2.node_id, other.config.nodeId, 'the surviving node took the next call');
    assert.equal(rec2.hangup_cause, 'NORMAL_CLEARING');
    // Not yet: the surviving node answers the call but does not offer it to the agent (its ACD/status state is
    // per node until tenant leases drive it: docs/cluster.md "Not yet"), so rec2.agent_id is null today.
  });
});
