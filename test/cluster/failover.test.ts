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
import { readLease } from '../../src/cluster/leases.js';
import { Edge, edgeAgent, edgeCustomer, inviteDirect, registerThroughEdge, sippErrors } from './edge.js';

const skip = !process.env.DATABASE_URL
  ? 'several nodes share one database: runs on PostgreSQL (DATABASE_URL and REDIS_URL, the integration suite)'
  : (await requireTool('kamailio')) || (await requireTool('sipp'));

/**
 * Two nodes on one PostgreSQL behind Kamailio: a phone registered through one node is reachable from the other
 * (shared location with its Path); the tenant's calls run on the node holding its lease (a non-owner redirects
 * them there, the edge follows); when the owner stops, the other node takes the lease, resumes the agent the
 * owner left in Wrap-up, and the next call is offered to the agent and bridged there.
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
    const agent1 = await edgeAgent(peers, edge, agentPort, 2);
    const db = nodes[1]!.t.ctx.db;
    const lease = await waitFor(() => readLease(db, tenantId), 10_000, 'a lease on the tenant');
    const leaseOwner = nodes.find((n) => n.config.nodeId === lease.nodeId)!;
    const nonOwner = nodes.find((n) => n !== leaseOwner)!;
    // A carrier's call reaching the node that does not own the tenant is redirected to the owner, unrecorded.
    const redirect = await inviteDirect(nonOwner.t.sipPort, n1!.demo.hotline);
    assert.equal(redirect.status, 302);
    assert.match(
      redirect.headers.get('contact') ?? '',
      new RegExp(`@127\\.0\\.0\\.1:${leaseOwner.t.sipPort}>`),
    );

    const first = await edgeCustomer(peers, edge, n1!.demo.hotline, '0909888001');
    const c1 = await first.done;
    assert.equal(c1.code, 0, c1.stdout.slice(-800) + sippErrors(peers) + edge.log.slice(-1500));
    const rec1 = await closedCall(n1!, 'caller_number', '0909888001');
    assert.equal(rec1.hangup_cause, 'NORMAL_CLEARING');
    assert.equal(rec1.node_id, lease.nodeId, 'the call ran on the node owning the tenant');
    assert.equal(rec1.agent_id, agentId);
    const owner = leaseOwner;
    const other = nonOwner;

    await owner.close();
    // The stopped owner handed its lease back: the other node takes the tenant at its next round (3 s), and its
    // recovery resumes the agent the stopped node left in Wrap-up.
    const taken = await waitFor(
      async () => {
        const l = await readLease(other.t.ctx.db, tenantId);
        return l?.nodeId === other.config.nodeId && l.token > lease.token ? l : null;
      },
      15_000,
      'the other node owning the tenant',
    );
    assert.ok(taken.token > lease.token, 'a new fencing token');
    await waitFor(
      async () => {
        const a = await other.t.ctx.db
          .selectFrom('agents')
          .select('status')
          .where('id', '=', agentId)
          .executeTakeFirst();
        return a && !['Ringing', 'In-call', 'Wrap-up'].includes(a.status);
      },
      15_000,
      "the agent out of the stopped node's wrap-up",
    );
    const second = await edgeCustomer(peers, edge, n1!.demo.hotline, '0909888002');
    const c2 = await second.done;
    assert.equal(c2.code, 0, c2.stdout.slice(-1500) + edge.log.slice(-2000));
    const rec2 = await closedCall(other, 'caller_number', '0909888002');
    assert.equal(rec2.node_id, other.config.nodeId, 'the surviving node took the next call');
    assert.equal(rec2.hangup_cause, 'NORMAL_CLEARING');
    assert.equal(rec2.agent_id, agentId, 'the surviving node offered the call to the agent');
    const a1 = await agent1.done;
    assert.equal(a1.code, 0, a1.stdout.slice(-1500) + a1.stderr);
  });
});
