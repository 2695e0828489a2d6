import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { REPLAY_LIMIT, appendEvent, eventsSince, purgeEvents } from '../../src/realtime/event-log.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { authToken } from '../antbuddy/helpers.js';
import { waitFor } from '../sip/helpers/peers.js';
import { publishCall, record, subscribe } from './helpers.js';

const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'];

describe('realtime: missed events after a reconnect', () => {
  let s: TestServer;
  let clock: FakeClock;
  let token: string;
  const open: { close(): void }[] = [];

  before(async () => {
    clock = new FakeClock(Date.now());
    s = await startTestServer({ clock });
    token = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
  });
  after(async () => {
    for (const c of open) c.close();
    await s.close();
  });

  it('a client that drops and reconnects re-subscribes with the last event_id it saw: every event once, in order', async () => {
    // The documented client pattern: remember the highest event_id, send it with every (re)subscribe.
    const c = record(s.url);
    open.push(c);
    let lastSeen: number | undefined;
    c.socket.onAny((_name: string, data: { event_id?: unknown } | undefined) => {
      if (typeof data?.event_id === 'number') lastSeen = Math.max(lastSeen ?? 0, data.event_id);
    });
    c.socket.on('connect', () => {
      c.socket.emit('subscribe', {
        account_id: s.demo.account_id,
        auth_token: token,
        binding: 'call.*.*',
        last_event_id: lastSeen,
      });
    });
    await c.waitFor(['subscribed'], 1);
    publishCall(s, s.demo.tenant_id, 'before-drop');
    await c.waitFor(CALL_EVENTS, 3);
    const reconnected = new Promise<void>((resolve) => c.socket.once('connect', () => resolve()));
    // Kill the transport (not a clean disconnect), as a network drop would; the client reconnects by itself.
    // Events published at once may reach the server's side of the dead connection: the replay brings them back.
    c.socket.io.engine.close();
    publishCall(s, s.demo.tenant_id, 'while-away-1');
    publishCall(s, s.demo.tenant_id, 'while-away-2');
    await reconnected;
    const [, again] = await c.waitFor(['subscribed'], 2);
    assert.equal(again!.data.replayed, 6);
    publishCall(s, s.demo.tenant_id, 'after');
    const got = await c.waitFor(CALL_EVENTS, 12);
    assert.deepEqual(
      got.map((e) => `${e.name}/${e.data.call_id}`),
      ['before-drop', 'while-away-1', 'while-away-2', 'after'].flatMap((id) =>
        CALL_EVENTS.map((n) => `${n}/${id}`),
      ),
    );
    // The position travels inside the data (event_id), so nothing is appended after it.
    assert.notEqual(c.socket.recovered, true);
    assert.ok(got.every((e) => e.argc === 1));
  });

  it('a fresh connection resumes from last_event_id: replayed in order, then live, without duplicates', async () => {
    const first = record(s.url);
    open.push(first);
    await subscribe(first.socket, { account_id: s.demo.account_id, auth_token: token, binding: 'call.*.*' });
    publishCall(s, s.demo.tenant_id, 'seen');
    const seen = await first.waitFor(CALL_EVENTS, 3);
    const lastId = seen[2]!.data.event_id as number;
    first.close();
    publishCall(s, s.demo.tenant_id, 'missed-a');
    publishCall(s, s.demo.tenant_id, 'missed-b');

    const second = record(s.url);
    open.push(second);
    const ack = await subscribe(second.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.*.*',
      last_event_id: lastId,
    });
    assert.equal(ack.ok, true);
    assert.equal(ack.result.replayed, 6);
    publishCall(s, s.demo.tenant_id, 'live');
    const got = await second.waitFor(CALL_EVENTS, 9);
    assert.deepEqual(
      got.map((e) => `${e.name}/${e.data.call_id}`),
      ['missed-a', 'missed-b', 'live'].flatMap((id) => CALL_EVENTS.map((n) => `${n}/${id}`)),
    );
    const ids = got.map((e) => e.data.event_id as number);
    assert.deepEqual(
      ids,
      [...ids].sort((a, b) => a - b),
    );
    assert.equal(new Set(ids).size, ids.length);
  });

  it("a resume replays only the subscriber's own tenant and bindings", async () => {
    const {} = await import('../antbuddy/helpers.js');
    const other = await otherTenant(s);
    publishCall(s, other.tenant.id, 'foreign');
    publishCall(s, s.demo.tenant_id, 'own');
    // The demo tenant's own resume is ordered after 'own'; the other tenant's stream is not, so wait for its rows.
    await waitFor(
      async () =>
        (
          await s.t.ctx.db
            .selectFrom('event_log')
            .select('id')
            .where('tenant_id', '=', other.tenant.id)
            .execute()
        ).length >= 3,
      3000,
      "the other tenant's events in the log",
    );
    const c = record(s.url);
    open.push(c);
    const ack = await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.CHANNEL_DESTROY.*',
      last_event_id: 0,
    });
    assert.equal(ack.ok, true);
    const got = c.events.filter((e) => CALL_EVENTS.includes(e.name));
    assert.ok(got.length > 0);
    assert.ok(got.every((e) => e.name === 'CHANNEL_DESTROY' && e.data.account_id === s.demo.account_id));
    assert.ok(!got.some((e) => e.data.call_id === 'foreign'));
  });

  it('a long absence is replayed whole, page after page, then live', async () => {
    const db = s.t.ctx.db;
    const wire = (i: number) => ({
      event_name: 'CHANNEL_CREATE',
      account_id: s.demo.account_id,
      call_id: `bulk-${i}`,
    });
    const count = REPLAY_LIMIT * 2 + 5;
    const rows = await db
      .insertInto('event_log')
      .values(
        Array.from({ length: count }, (_, i) => ({
          tenant_id: s.demo.tenant_id,
          type: 'CHANNEL_CREATE',
          payload: JSON.stringify({ key: `bulk-${i}`, wire: wire(i) }),
          created_at: clock.now(),
        })),
      )
      .returning('id')
      .execute();
    const ids = rows.map((r) => r.id).sort((a, b) => a - b);
    const c = record(s.url);
    open.push(c);
    // Two thousand rows replay before the ack: give it more than the helper's 3 s on a loaded machine.
    const ack = await c.socket.timeout(15_000).emitWithAck('subscribe', {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.CHANNEL_CREATE.*',
      last_event_id: ids[0]! - 1,
    });
    assert.equal(ack.result.replayed, count);
    publishCall(s, s.demo.tenant_id, 'after-bulk');
    const got = await c.waitFor(['CHANNEL_CREATE'], count + 1, 10_000);
    assert.deepEqual(
      got.map((e) => e.data.call_id),
      [...Array.from({ length: count }, (_, i) => `bulk-${i}`), 'after-bulk'],
    );
  });

  it('old events are cleaned up and no longer replayed', async () => {
    const db = s.t.ctx.db;
    const old = clock.now() - 11 * 60_000;
    const id = await appendEvent(
      db,
      s.demo.tenant_id,
      'CHANNEL_CREATE',
      JSON.stringify({ key: 'x', wire: {} }),
      old,
    );
    assert.equal((await eventsSince(db, s.demo.tenant_id, id - 1, old)).length >= 1, true);
    const removed = await purgeEvents(db, ['CHANNEL_CREATE'], clock.now() - 10 * 60_000);
    assert.ok(removed >= 1);
    const left = await db.selectFrom('event_log').select('id').where('id', '=', id).execute();
    assert.equal(left.length, 0);
  });
});
