import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readLease } from '../../src/cluster/leases.js';
import type { DemoInfo } from '../../src/domain/demo.js';
import { type Store, openStore } from '../../src/store/db.js';
import { type Storage, newStorage, requireTool } from '../helpers/harness.js';
import { type SpawnedServer, spawnServer } from '../helpers/spawn.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { Edge, edgeAgent, edgeCustomer, registerThroughEdge, sippErrors } from './edge.js';

const skip = !process.env.DATABASE_URL
  ? 'several nodes share one database: runs on PostgreSQL (DATABASE_URL and REDIS_URL, the integration suite)'
  : (await requireTool('kamailio')) || (await requireTool('sipp'));

const CALL_OWNED = ['Ringing', 'In-call', 'Wrap-up'];

/**
 * Three real tongdai processes on one PostgreSQL behind Kamailio; the node owning the tenant is killed with -9 in
 * the middle of a bridged call. Another node owns the tenant within 15 s; the dead node's call is closed with a
 * cause by a surviving node's heartbeat (src/calls/nodes.ts) and its agent is resumed, not left In-call; the next
 * call is offered to the same agent and bridged on the new owner; each call has exactly one record.
 */
describe('kill -9 of the node owning the tenant', { skip }, () => {
  let storage: Storage;
  let store: Store;
  let edge: Edge;
  const peers = new Peers();
  const nodes = new Map<string, { srv: SpawnedServer; sipPort: number }>();
  let demo: DemoInfo;

  before(async () => {
    storage = newStorage('tongdai-kill-');
    // One at a time: each seeds the demo tenant (idempotent, not meant to race).
    for (const id of ['k1', 'k2', 'k3']) {
      const srv = spawnServer(storage, { NODE_ID: id });
      const ready = await srv.next((l) => l.ready === true, `node ${id} ready`, 60_000);
      nodes.set(id, { srv, sipPort: ready.sipPort! });
      demo = ready.demo!;
    }
    store = await openStore({
      dataDir: storage.dataDir,
      databaseUrl: process.env.DATABASE_URL,
      pgSchema: storage.pgSchema,
    });
    edge = await new Edge().start([...nodes.values()].map((n) => n.sipPort));
  });
  after(async () => {
    peers.killAll();
    edge?.stop();
    for (const n of nodes.values()) n.srv.kill();
    await store?.close();
    await storage?.remove();
  });

  it('moves the tenant within 15 s, closes the dead node’s call with a cause, and the next call is bridged', async () => {
    const db = store.db;
    const tenantId = demo.tenant_id;
    const agentId = demo.agents[0]!.agent_id;
    const agentPort = await freeUdpPort();
    await registerThroughEdge(edge, { demo }, 0, agentPort);
    await waitFor(
      () =>
        db.selectFrom('sip_registrations').select('id').where('agent_id', '=', agentId).executeTakeFirst(),
      10_000,
      'the registration in the shared table',
    );
    // Every node adopts rows other nodes wrote in its 1 s sweeper: give the slowest of them two rounds.
    await new Promise((r) => setTimeout(r, 2500));
    // The phone outlives the dead node's heartbeat bound (45 s) and the next call.
    const agent = await edgeAgent(peers, edge, agentPort, 2, 240_000);

    const first = await edgeCustomer(peers, edge, demo.hotline, '0909777001', 120_000);
    const bridged = await waitFor(
      () =>
        db
          .selectFrom('calls')
          .selectAll()
          .where('caller_number', '=', '0909777001')
          .where('answered_at', 'is not', null)
          .where('agent_id', '=', agentId)
          .executeTakeFirst(),
      30_000,
      'the first call bridged with the agent',
    );
    const lease = (await readLease(db, tenantId))!;
    assert.equal(bridged.node_id, lease.nodeId, 'the call runs on the node owning the tenant');
    const dead = nodes.get(lease.nodeId)!;

    dead.srv.kill();
    const killedAt = Date.now();
    assert.equal(await dead.srv.exited, 'SIGKILL');
    const moved = await waitFor(
      async () => {
        const l = await readLease(db, tenantId);
        return l && l.nodeId !== lease.nodeId && l.expiresAt > Date.now() ? l : null;
      },
      20_000,
      'another node owning the tenant',
    );
    const movedMs = Date.now() - killedAt;
    assert.ok(movedMs <= 15_000, `the tenant moved in ${movedMs} ms`);
    assert.ok(moved.token > lease.token, 'a new fencing token');

    // Closed by a surviving node once the dead node's heartbeat is 45 s old (src/calls/nodes.ts DEAD_AFTER_MS).
    const closed = await waitFor(
      () =>
        db
          .selectFrom('calls')
          .selectAll()
          .where('call_id', '=', bridged.call_id)
          .where('ended_at', 'is not', null)
          .executeTakeFirst(),
      90_000,
      'the dead node’s call closed',
    );
    assert.equal(closed.hangup_cause, 'NORMAL_TEMPORARY_FAILURE');
    await waitFor(
      async () => {
        const a = await db.selectFrom('agents').select('status').where('id', '=', agentId).executeTakeFirst();
        return a && !CALL_OWNED.includes(a.status) ? a : null;
      },
      20_000,
      'the agent out of the dead node’s call',
    );
    void first.done;

    const second = await edgeCustomer(peers, edge, demo.hotline, '0909777002');
    const c2 = await second.done;
    // On failure, what the database says about the calls, the agents and the leases.
    const state = async () =>
      JSON.stringify({
        calls: await db.selectFrom('calls').selectAll().orderBy('id').execute(),
        agents: await db.selectFrom('agents').select(['id', 'status']).execute(),
        leases: await db.selectFrom('tenant_leases').selectAll().execute(),
        now: Date.now(),
      });
    if (c2.code !== 0) assert.fail(c2.stdout.slice(-800) + sippErrors(peers) + (await state()));
    const rec2 = await waitFor(
      () =>
        db
          .selectFrom('calls')
          .selectAll()
          .where('caller_number', '=', '0909777002')
          .where('ended_at', 'is not', null)
          .executeTakeFirst(),
      15_000,
      'the second call record',
    ).catch(async (e: unknown) => {
      throw new Error(`${String(e)}: ${await state()}`);
    });
    assert.equal(rec2.node_id, moved.nodeId, 'the new owner ran the next call');
    assert.equal(rec2.agent_id, agentId, 'offered to and bridged with the agent');
    assert.equal(rec2.hangup_cause, 'NORMAL_CLEARING');
    for (const caller of ['0909777001', '0909777002']) {
      const rows = await db.selectFrom('calls').select('id').where('caller_number', '=', caller).execute();
      assert.equal(rows.length, 1, `one record for ${caller}`);
    }
    void agent.done;
  });
});
