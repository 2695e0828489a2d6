// Queued callback end to end over SIP: the caller presses 1 (RFC 4733) and is hung up, tongdai restarts while the
// callback waits, then the agent's sipp phone rings first and a sipp carrier receives the call to the caller.
import assert from 'node:assert/strict';
import { after, afterEach, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import type { Envelope } from '../../src/domain/events.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { wallboard } from '../../src/domain/console-wallboard.js';
import { type TestServer, call, newStorage, requireTool, startTestServer } from '../helpers/harness.js';
import { scrape, value } from '../ops/scrape.js';
import {
  closedCall,
  echoCarrier,
  registerContact,
  startAgent,
  startCustomer,
} from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { authToken } from '../antbuddy/helpers.js';
import { type Recorder, record, subscribe } from '../realtime/helpers.js';

const skip = await requireTool('sipp');
const CALLER = '0909888001';

describe('queued callback over SIP, with a restart while it waits', { skip }, () => {
  const peers = new Peers();
  const storage = newStorage();
  let s: TestServer | undefined;
  const clients: Recorder[] = [];
  /** A Kazoo-style Socket.IO client bound to `callback.*` (the CALLBACK events and their states). */
  const watch = async (server: TestServer, demo: TestServer['demo']) => {
    const c = record(server.url);
    clients.push(c);
    const ack = await subscribe(c.socket, {
      account_id: demo.account_id,
      auth_token: await authToken(server.url, demo.app_id, demo.app_secret),
      binding: 'callback.*',
    });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    return c;
  };
  afterEach(() => peers.killAll());
  after(async () => {
    for (const c of clients) c.close();
    peers.killAll();
    await s?.close();
    await storage.remove();
  });

  it('press 1, hang up, restart, the agent answers, the carrier is called with the caller number', async () => {
    const trunkPort = await freeUdpPort();
    const env = { DEMO_TRUNK_PORT: String(trunkPort), METRICS_PORT: '0' };
    s = await startTestServer({ clock: systemClock, storage, env });
    const demo = s.demo;
    const db = s.t.ctx.db;
    await db
      .updateTable('inbound_queues')
      .set({ callback_enabled: 1, callback_key: '1', announce_position: 0, ring_timeout_sec: 10 })
      .execute();
    await bumpRevision(db, demo.tenant_id);
    // Someone is logged in but on a break, so the caller waits in the queue.
    const onBreak = demo.agents[1]!.agent_id;
    await registerContact(s, 1, await freeUdpPort());
    await waitFor(
      async () => (await s!.t.ctx.statuses.getStatuses(demo.tenant_id, [onBreak]))[0]?.status === 'Available',
      5000,
      'the agent logged in',
    );
    await s.t.ctx.statuses.setCustomStatus(demo.tenant_id, [onBreak], 'Lunch', 'test');

    const first = await watch(s, demo);
    const customer = await startCustomer(peers, s, 'customer-callback.xml', 0, CALLER);
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const asked = await closedCall(s, 'caller_number', CALLER);
    assert.equal(asked.reason, 'queue: callback requested');
    const [row] = await db.selectFrom('callbacks').selectAll().execute();
    assert.ok(row, 'the callback is saved');
    assert.deepEqual([row.number, row.state, row.caller_id], [CALLER, 'waiting', demo.hotline]);
    const [requested] = await first.waitFor(['CALLBACK'], 1, 5000);
    assert.deepEqual(
      [requested!.data.action, requested!.data.state, requested!.data.callback_id, requested!.data.number],
      ['requested', 'waiting', row.id, CALLER],
    );
    assert.equal(requested!.data.call_id, asked.call_id);
    const queueId = row.queue_id;
    const counts = async (server: TestServer) => {
      const r = await call(`${server.url}/api/queues/${queueId}/callbacks`, {
        headers: { 'x-api-key': demo.api_key },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      return r.body.counts as Record<string, number>;
    };
    assert.deepEqual(await counts(s), { offered: 1, completed: 0, failed: 0, open: 1 });

    // Restart on the same storage while the callback waits.
    await s.close();
    s = undefined;
    const events: Envelope[] = [];
    const s2 = await startTestServer({
      clock: systemClock,
      storage,
      env,
      demo: false,
      beforeListen: (t) => t.ctx.bus.subscribe((e) => void events.push(e)),
    });
    s = { ...s2, demo, close: s2.close };
    const server = s;
    assert.equal(server.t.telephony.callbacks.active.length, 1, 'the open callback is back in its queue');
    const second = await watch(server, demo);

    // The carrier listens on the trunk's port; the agent's phone registers (Available) and is offered the callback.
    const carrier = await echoCarrier(peers, server, trunkPort);
    const agent = await startAgent(peers, server, 0, 'agent-hangup.xml', { pauseMs: 1500 });
    const a = await agent.done;
    assert.equal(a.code, 0, a.stdout.slice(-1500) + a.stderr);
    const k = await carrier.done;
    assert.equal(k.code, 0, k.stdout.slice(-1500) + k.stderr);
    const done = await waitFor(
      async () => {
        const r = await server.t.ctx.db.selectFrom('callbacks').selectAll().executeTakeFirst();
        return r?.state === 'completed' ? r : null;
      },
      10_000,
      'the callback completed',
    );
    assert.equal(done.agent_id, demo.agents[0]!.agent_id);
    assert.equal(done.attempts, 1);
    const rec = await closedCall(server, 'callee_number', CALLER);
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.caller_number, demo.hotline, "the queue's caller id");
    assert.equal(rec.agent_id, demo.agents[0]!.agent_id);
    assert.equal(rec.status_detail, 'SUCCESS');
    const types = events.filter((e) => e.type.startsWith('callback.')).map((e) => e.type);
    assert.deepEqual(types, ['callback.offered', 'callback.completed']);
    const wire = await second.waitFor(['CALLBACK'], 2, 5000);
    assert.deepEqual(
      wire.map((e) => [e.data.action, e.data.state, e.data.callback_id]),
      [
        ['offered', 'offered', row.id],
        ['completed', 'completed', row.id],
      ],
    );
    const agentUid = (
      await server.t.ctx.db
        .selectFrom('agents')
        .select('uid')
        .where('id', '=', done.agent_id!)
        .executeTakeFirstOrThrow()
    ).uid;
    assert.equal(wire[1]!.data.agent_id, agentUid, "the agent's AntBuddy user id");

    // Queue statistics after the restart, from the rows: the API, the wallboard's tile, /metrics.
    const one = { offered: 1, completed: 1, failed: 0, open: 0 };
    assert.deepEqual(await counts(server), one);
    const all = await call(`${server.url}/api/callbacks/counts`, { headers: { 'x-api-key': demo.api_key } });
    assert.deepEqual(all.body.totals, one);
    const board = await wallboard(server.t.ctx.db, demo.tenant_id, Date.now());
    assert.deepEqual(board.queues.find((q) => q.queueId === queueId)?.callbacks, one);
    const m = await scrape(`http://127.0.0.1:${server.t.metricsPort}/metrics`);
    const t = String(demo.tenant_id);
    assert.deepEqual(
      ['offered', 'completed', 'failed', 'open'].map((k) =>
        value(m, `tongdai_queue_callbacks{count="${k}",tenant="${t}"}`),
      ),
      [1, 1, 0, 0],
    );
  });
});
