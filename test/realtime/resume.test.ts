import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { appendEvent, eventsSince, purgeEvents } from '../../src/realtime/event-log.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { authToken } from '../antbuddy/helpers.js';
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

  it('a v4 client that drops and reconnects gets the missed events in order (connection state recovery)', async () => {
    const c = record(s.url);
    open.push(c);
    await subscribe(c.socket, { account_id: s.demo.account_id, auth_token: token, binding: 'call.*.*' });
    publishCall(s, s.demo.tenant_id, 'before-drop');
    await c.waitFor(CALL_EVENTS, 3);
    const reconnected = new Promise<void>((resolve) => c.socket.once('connect', () => resolve()));
    // Kill the transport (not a clean disconnect), as a network drop would; the client reconnects by itself.
    c.socket.io.engine.close();
    await new Promise((r) => setTimeout(r, 20));
    publishCall(s, s.demo.tenant_id, 'while-away-1');
    publishCall(s, s.demo.tenant_id, 'while-away-2');
    await reconnected;
    assert.equal(c.socket.recovered, true);
    const got = await c.waitFor(CALL_EVENTS, 9);
    assert.deepEqual(
      got.slice(3).map((e) => `${e.name}/${e.data.call_id}`),
      ['while-away-1', 'while-away-2'].flatMap((id) => CALL_EVENTS.map((n) => `${n}/${id}`)),
    );
    // Still subscribed after recovery: new events keep flowing.
    publishCall(s, s.demo.tenant_id, 'after');
    await c.waitFor(CALL_EVENTS, 12);
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
    const { secondTenant } = await import('../antbuddy/helpers.js');
    const other = await secondTenant(s);
    publishCall(s, other.tenant.id, 'foreign');
    publishCall(s, s.demo.tenant_id, 'own');
    await new Promise((r) => setTimeout(r, 100));
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
