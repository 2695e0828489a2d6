import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { readLease } from '../../src/cluster/leases.js';
import type { DemoInfo } from '../../src/domain/demo.js';
import { type Store, openStore } from '../../src/store/db.js';
import { type Storage, newStorage, requireTool } from '../helpers/harness.js';
import { type SpawnedServer, spawnServer } from '../helpers/spawn.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { type Recorder, record, subscribe } from '../realtime/helpers.js';
import { Peers, freeUdpPort } from '../sip/helpers/peers.js';
import { edgeAgent, edgeCustomer, inviteDirect, registerThroughEdge, sippErrors } from './edge.js';
import { PrivatePostgres, PrivateRedis, postgresBin } from './private-services.js';

const pgBin = postgresBin();
// With the other cluster tests in the PostgreSQL suite; the servers it restarts are its own, not DATABASE_URL's.
const missing = !process.env.DATABASE_URL
  ? 'several nodes on PostgreSQL: runs in the PostgreSQL suite (DATABASE_URL), on private servers of its own'
  : !pgBin
    ? 'PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin (apt-get install postgresql)'
    : (await requireTool('redis-server')) || (await requireTool('sipp'));
if (missing && process.env.DATABASE_URL && process.env.CI) throw new Error(`${missing}: CI must have it`);

interface Answer {
  node: string;
  status: number;
  body: string;
  retryAfter: string | null;
}

/** AloHub's agent list on every node, one request after another per node, until stopped: what each answered. */
function traffic(nodes: Map<string, { url: string }>, apiKey: string) {
  const answers: Answer[] = [];
  let running = true;
  const loops = [...nodes].map(async ([node, { url }]) => {
    while (running) {
      try {
        const r = await fetch(`${url}/v1/agents`, {
          headers: { Authorization: apiKey },
          signal: AbortSignal.timeout(30_000),
        });
        answers.push({
          node,
          status: r.status,
          body: await r.text(),
          retryAfter: r.headers.get('retry-after'),
        });
      } catch (e) {
        // A refused or reset connection: the node crashed or hung up on a request in flight.
        answers.push({ node, status: 0, body: String(e), retryAfter: null });
      }
      await sleep(100);
    }
  });
  return {
    answers,
    since: (i: number) => answers.slice(i),
    async stop() {
      running = false;
      await Promise.all(loops);
    },
  };
}

const countStatuses = (answers: Answer[]) =>
  answers.reduce<Record<number, number>>((m, a) => ((m[a.status] = (m[a.status] ?? 0) + 1), m), {});

/** Every answer is a success or AloHub's own failure envelope with a 503 and Retry-After: never a 500, a stack, a crash. */
function assertFamilyShaped(answers: Answer[]) {
  for (const a of answers) {
    if (a.status === 200) continue;
    assert.equal(a.status, 503, `node ${a.node} answered ${a.status}: ${a.body.slice(0, 300)}`);
    assert.deepEqual(JSON.parse(a.body), {
      success: '0',
      error_code: 'FAIL',
      error_message: 'storage unavailable, retry shortly',
    });
    assert.equal(a.retryAfter, '1');
  }
}

/**
 * PostgreSQL and Redis restarting mid-traffic under two nodes (issue #17, "Bad input and faults"), on servers of
 * the test's own (test/cluster/private-services.ts: the machine's shared ones are never restarted). Requests in
 * flight and during the outage fail with the family's error, no node crashes, and once the server is back every
 * node serves again, the tenant is owned, and a carrier call is bridged with an agent; after Redis's restart a
 * Socket.IO client on one node again gets the events of a call on the other.
 */
describe('PostgreSQL and Redis restarting under two nodes', { skip: missing }, () => {
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let storage: Storage;
  let store: Store;
  let demo: DemoInfo;
  let wsToken: string;
  const nodes = new Map<string, { srv: SpawnedServer; sipPort: number; url: string }>();
  const peers = new Peers();
  const clients: Recorder[] = [];
  let agentPort = 0;
  const logs: string[] = [];

  before(async () => {
    pg = await new PrivatePostgres(pgBin!).init();
    redis = await new PrivateRedis().start();
    storage = newStorage('tongdai-outage-', pg.url);
    for (const id of ['o1', 'o2']) {
      const srv = spawnServer(storage, {
        NODE_ID: id,
        REDIS_URL: redis.url,
        CHILD_WS_TOKEN: '1',
        RATE_LIMIT_TENANT: '100000',
        RATE_LIMIT_ROUTE: '100000',
        LOG_LEVEL: 'warn',
      });
      // The nodes' warnings and errors, for a failed assertion's message.
      srv.onLine((l) => {
        if ((l.level ?? 0) >= 40) logs.push(`${id}: ${JSON.stringify(l).slice(0, 600)}`);
      });
      const ready = await srv.next((l) => l.ready === true, `node ${id} ready`, 120_000);
      nodes.set(id, { srv, sipPort: ready.sipPort!, url: ready.url! });
      demo = ready.demo!;
      wsToken = ready.wsToken!;
    }
    store = await openStore({ dataDir: storage.dataDir, databaseUrl: pg.url, pgSchema: storage.pgSchema });
  });
  after(async () => {
    for (const c of clients) c.close();
    peers.killAll();
    for (const n of nodes.values()) n.srv.kill();
    await store?.close().catch(() => undefined);
    await redis?.stop();
    await pg?.destroy();
    await storage?.remove().catch(() => undefined);
  });

  afterEach(() => peers.killAll());

  /** The node owning the demo tenant once the store answers again (a live lease). */
  const owner = () =>
    waitFor(
      async () => {
        const l = await readLease(store.db, demo.tenant_id).catch(() => null);
        return l && l.expiresAt > Date.now() ? nodes.get(l.nodeId) : null;
      },
      60_000,
      'a live lease on the tenant',
    );

  /** A carrier's call straight to the owner, bridged with agent 0 (registered at the first call). */
  async function bridgedCall(caller: string) {
    const own = await owner();
    if (!agentPort) {
      agentPort = await freeUdpPort();
      await registerThroughEdge({ port: own.sipPort }, { demo }, 0, agentPort);
      // Every node adopts registrations other nodes wrote in its 1 s sweeper: give the slowest two rounds.
      await sleep(2500);
    }
    const agent = await edgeAgent(peers, { port: own.sipPort }, agentPort, 1);
    const customer = await edgeCustomer(peers, { port: own.sipPort }, demo.hotline, caller, 6000);
    const c = await customer.done;
    const state = async () =>
      JSON.stringify({
        calls: await store.db.selectFrom('calls').selectAll().where('caller_number', '=', caller).execute(),
        agents: await store.db.selectFrom('agents').select(['id', 'status']).execute(),
        logs: logs.slice(-10),
      });
    // sipp's whole final screen (its message table has the unexpected-message column), its stderr and error log.
    assert.equal(
      c.code,
      0,
      c.stdout.slice(-4000) + c.stderr.slice(-1000) + sippErrors(peers) + (await state()),
    );
    const a = await agent.done;
    assert.equal(a.code, 0, a.stdout.slice(-800) + (await state()));
    const rec = await waitFor(
      () =>
        store.db
          .selectFrom('calls')
          .selectAll()
          .where('caller_number', '=', caller)
          .where('ended_at', 'is not', null)
          .executeTakeFirst(),
      20_000,
      `the record of ${caller}`,
    );
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
    assert.equal(rec.agent_id, demo.agents[0]!.agent_id);
    return rec;
  }

  const exited = new Set<string>();
  const alive = () => {
    for (const id of nodes.keys()) assert.equal(exited.has(id), false, `node ${id} is running`);
  };
  before(() => {
    for (const [id, n] of nodes) void n.srv.exited.then(() => exited.add(id));
  });

  it('PostgreSQL stops and starts under traffic: the family’s 503 meanwhile, no crash, service and calls resume', async (t) => {
    await bridgedCall('0909555001');
    const before = (await readLease(store.db, demo.tenant_id))!;
    const load = traffic(nodes, demo.api_key);
    await waitFor(() => load.answers.filter((a) => a.status === 200).length >= 4, 30_000, 'traffic flowing');
    await pg.stop('fast');
    const stoppedAt = Date.now();
    const fromStop = load.answers.length;
    // Each node answers the outage in the family's shape; /readyz says which component is down.
    for (const id of nodes.keys()) {
      await waitFor(
        () => load.since(fromStop).some((a) => a.node === id && a.status === 503),
        30_000,
        `node ${id} answering the outage`,
      );
    }
    const ready = await fetch(`${nodes.get('o1')!.url}/readyz`);
    assert.equal(ready.status, 503);
    const report = (await ready.json()) as { components: Record<string, { status: string }> };
    assert.equal(report.components.database!.status, 'down');
    // A carrier's call meanwhile is refused with a final response (the caller's carrier can try elsewhere).
    const own = nodes.get(before.nodeId)!;
    const refused = await inviteDirect(own.sipPort, demo.hotline);
    assert.ok(refused.status >= 500, `INVITE during the outage: ${refused.status}`);
    t.diagnostic(`INVITE during the PostgreSQL outage answered ${refused.status}`);
    alive();

    await pg.start();
    const fromStart = load.answers.length;
    for (const id of nodes.keys()) {
      await waitFor(
        () => load.since(fromStart).some((a) => a.node === id && a.status === 200),
        60_000,
        `node ${id} serving again`,
      );
    }
    t.diagnostic(
      `service back ${Date.now() - stoppedAt} ms after the stop (PostgreSQL down for the first part)`,
    );
    await load.stop();
    alive();
    assertFamilyShaped(load.answers);
    assert.ok(
      load.answers.some((a) => a.status === 503),
      'the outage was seen',
    );
    assert.equal((await fetch(`${nodes.get('o2')!.url}/readyz`)).status, 200);

    await bridgedCall('0909555002');
    alive();
  });

  it('Redis stops and starts under traffic: no crash, the relay resumes (a call on one node reaches a client on the other)', async (t) => {
    const load = traffic(nodes, demo.api_key);
    await waitFor(() => load.answers.filter((a) => a.status === 200).length >= 4, 30_000, 'traffic flowing');
    await redis.stop();
    const fromStop = load.answers.length;
    await waitFor(() => load.answers.length >= fromStop + 10, 30_000, 'requests during the Redis outage');
    alive();
    await redis.start();
    const fromStart = load.answers.length;
    for (const id of nodes.keys()) {
      await waitFor(
        () => load.since(fromStart).some((a) => a.node === id && a.status === 200),
        60_000,
        `node ${id} serving after Redis came back`,
      );
    }
    await load.stop();
    alive();
    t.diagnostic(`answers: ${JSON.stringify(countStatuses(load.answers))}`);
    assertFamilyShaped(load.answers);

    const own = await owner();
    const [otherId] = [...nodes].filter(([, n]) => n !== own).map(([id]) => id);
    const c = record(nodes.get(otherId!)!.url);
    clients.push(c);
    const ack = await subscribe(c.socket, {
      account_id: demo.account_id,
      auth_token: wsToken,
      binding: 'call.*.*',
    });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    // The relay's subscriber reconnects on its own backoff (ioredis, ≤ 2 s): another call if the first was early.
    let attempt = 0;
    const rec = await waitFor(
      async () => {
        const r = await bridgedCall(`09095551${String(++attempt).padStart(2, '0')}`);
        const seen = () =>
          c.events.some((e) => e.name === 'CHANNEL_DESTROY' && e.data?.call_id === r.call_id);
        return (await waitFor(seen, 5000, 'the call’s events').catch(() => false)) ? r : null;
      },
      90_000,
      'a call on the owner seen by a client on the other node',
    );
    const names = c.events.filter((e) => e.data?.call_id === rec.call_id).map((e) => e.name);
    assert.deepEqual(names.slice(0, 3), ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY']);
    alive();
  });
});
