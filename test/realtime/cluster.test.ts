import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { type TestServer, startTestServer, storageKind } from '../helpers/harness.js';
import { authToken } from '../antbuddy/helpers.js';
import { callSentinel, publishCall, record, subscribe } from './helpers.js';

const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'];
const clustered = storageKind === 'postgres' && !!process.env.REDIS_URL;

describe(
  'realtime across two nodes (PostgreSQL + Redis relay)',
  { skip: !clustered && 'needs DATABASE_URL and REDIS_URL' },
  () => {
    let a: TestServer;
    let b: TestServer;
    const open: { close(): void }[] = [];

    before(async () => {
      const clock = new FakeClock(Date.now());
      a = await startTestServer({ clock });
      // Node B shares A's database schema, data directory (secret key) and Redis.
      b = await startTestServer({ clock, env: a.env, demo: false });
    });
    after(async () => {
      for (const c of open) c.close();
      await b?.close();
      await a?.close();
    });

    it("a client on node B receives the events of a call handled by node A, in order, and only its tenant's", async () => {
      const token = await authToken(b.url, a.demo.app_id, a.demo.app_secret);
      const c = record(b.url);
      open.push(c);
      const ack = await subscribe(c.socket, {
        account_id: a.demo.account_id,
        auth_token: token,
        binding: 'call.*.*',
      });
      assert.equal(ack.ok, true, JSON.stringify(ack));
      // Let the adapter's stream reader on B start before A publishes.
      await new Promise((r) => setTimeout(r, 300));
      publishCall(a, a.demo.tenant_id, 'cross-node');
      const got = await c.waitFor(CALL_EVENTS, 3, 5000);
      assert.deepEqual(
        got.map((e) => `${e.name}/${e.data.call_id}`),
        CALL_EVENTS.map((n) => `${n}/cross-node`),
      );
    });

    it('a client that comes back on the other node resumes by last_event_id, then gets live events once', async () => {
      const token = await authToken(a.url, a.demo.app_id, a.demo.app_secret);
      const first = record(b.url);
      open.push(first);
      await subscribe(first.socket, {
        account_id: a.demo.account_id,
        auth_token: token,
        binding: 'call.*.*',
      });
      publishCall(a, a.demo.tenant_id, 'x1');
      const seen = await first.waitFor(CALL_EVENTS, 3, 5000);
      first.close();
      publishCall(a, a.demo.tenant_id, 'x2');
      // Comes back on node A this time; B's copy of the relayed events is not needed.
      const again = record(a.url);
      open.push(again);
      const ack = await subscribe(again.socket, {
        account_id: a.demo.account_id,
        auth_token: token,
        binding: 'call.*.*',
        last_event_id: seen[2]!.data.event_id,
      });
      assert.equal(ack.result.replayed, 3);
      publishCall(a, a.demo.tenant_id, 'x3');
      publishCall(a, a.demo.tenant_id, 'x-sentinel');
      assert.deepEqual(
        (await again.until(CALL_EVENTS, callSentinel('x-sentinel'), 5000)).map(
          (e) => `${e.name}/${e.data.call_id}`,
        ),
        ['x2', 'x3'].flatMap((id) => CALL_EVENTS.map((n) => `${n}/${id}`)),
      );
    });

    it('a client resuming on node B while node A keeps publishing gets every event exactly once, in order', async () => {
      const token = await authToken(a.url, a.demo.app_id, a.demo.app_secret);
      const last = (
        await a.t.ctx.db
          .selectFrom('event_log')
          .select((eb) => eb.fn.max('id').as('m'))
          .executeTakeFirst()
      )?.m;
      publishCall(a, a.demo.tenant_id, 'y1');
      const c = record(b.url);
      open.push(c);
      const acked = subscribe(c.socket, {
        account_id: a.demo.account_id,
        auth_token: token,
        binding: 'call.*.*',
        last_event_id: Number(last ?? 0),
      });
      publishCall(a, a.demo.tenant_id, 'y2');
      await acked;
      publishCall(a, a.demo.tenant_id, 'y3');
      // Relayed in A's order and emitted in B's tenant chain: a duplicate would come before the sentinel.
      publishCall(a, a.demo.tenant_id, 'y-sentinel');
      const got = await c.until(CALL_EVENTS, callSentinel('y-sentinel'), 5000);
      assert.deepEqual(
        got.map((e) => `${e.name}/${e.data.call_id}`),
        ['y1', 'y2', 'y3'].flatMap((id) => CALL_EVENTS.map((n) => `${n}/${id}`)),
      );
    });
  },
);
