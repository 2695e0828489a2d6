import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { claimEventIds } from '../../src/realtime/event-log.js';
import { EventLogWriter } from '../../src/realtime/log-writer.js';
import { type TestServer, newStorage, startTestServer } from '../helpers/harness.js';
import { authToken } from '../antbuddy/helpers.js';
import { publishCall, record, subscribe } from './helpers.js';

const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'];

/** A client subscribed to the demo tenant's call events (from `since`), recording what arrives. */
async function client(s: TestServer, since?: number) {
  const token = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
  const c = record(s.url);
  const ack = await subscribe(c.socket, {
    account_id: s.demo.account_id,
    auth_token: token,
    binding: 'call.*.*',
    ...(since !== undefined ? { last_event_id: since } : {}),
  });
  assert.equal(ack.ok, true);
  return c;
}

describe('realtime: event ids numbered in memory', () => {
  const storage = newStorage();
  after(async () => {
    await storage.remove();
  });

  it('reserved ids are never handed out twice, and a row inserted without an id lands above them', async () => {
    const s = await startTestServer({ storage });
    try {
      const { db, store } = s.t.ctx;
      const a = await claimEventIds(db, store.dialect, 5);
      const b = await claimEventIds(db, store.dialect, 5);
      assert.equal(a.length, 5);
      assert.deepEqual(
        [...a].sort((x, y) => x - y),
        a,
      );
      assert.ok(b[0]! > a.at(-1)!, `${b.join()} after ${a.join()}`);
      const row = await db
        .insertInto('event_log')
        .values({ tenant_id: s.demo.tenant_id, type: 'x', payload: '{}', created_at: Date.now() })
        .returning('id')
        .executeTakeFirstOrThrow();
      assert.ok(row.id > b.at(-1)!);
      await db.deleteFrom('event_log').where('id', '=', row.id).execute();
    } finally {
      await s.close();
    }
  });

  it('a crash between delivery and the log: after the restart ids go on above the ones delivered, none reused', async () => {
    // First run: events are delivered, then the process "dies" before the log writer persists them.
    const first = await startTestServer({ storage });
    const c1 = await client(first);
    const append = EventLogWriter.prototype.append;
    let delivered: number[];
    try {
      EventLogWriter.prototype.append = () => undefined;
      publishCall(first, first.demo.tenant_id, 'lost-in-crash');
      delivered = (await c1.waitFor(CALL_EVENTS, 3)).map((e) => e.data.event_id as number);
    } finally {
      EventLogWriter.prototype.append = append;
      c1.close();
      await first.close();
    }
    // Second run on the same storage: the client resumes from the last id it saw and gets what follows once.
    const second = await startTestServer({ storage });
    try {
      const c2 = await client(second, delivered.at(-1)!);
      publishCall(second, second.demo.tenant_id, 'after-restart');
      const got = await c2.waitFor(CALL_EVENTS, 3);
      assert.deepEqual(
        got.map((e) => `${e.name}/${e.data.call_id}`),
        CALL_EVENTS.map((n) => `${n}/after-restart`),
      );
      const ids = got.map((e) => e.data.event_id as number);
      assert.ok(ids[0]! > delivered.at(-1)!, `${ids.join()} after ${delivered.join()}`);
      // The crashed run's events were never logged (the documented loss): a resume from before them skips them.
      const c3 = await client(second, 0);
      const replayed = await c3.until(CALL_EVENTS, (e) => e.data.call_id === 'after-restart');
      assert.ok(!replayed.some((e) => e.data.call_id === 'lost-in-crash'));
      assert.ok(replayed.every((e) => !delivered.includes(e.data.event_id as number)));
      c2.close();
      c3.close();
    } finally {
      await second.close();
    }
  });

  it('an event delivered before it is logged is replayed to a client resuming right after it', async () => {
    const s = await startTestServer({ storage });
    try {
      const live = await client(s);
      publishCall(s, s.demo.tenant_id, 'just-now');
      const seen = await live.waitFor(CALL_EVENTS, 3);
      live.close();
      // At once, without waiting for the log: the resume waits for this node's writes before it reads.
      const back = await client(s, seen[0]!.data.event_id as number);
      const got = await back.waitFor(CALL_EVENTS, 2);
      assert.deepEqual(
        got.map((e) => e.data.event_id as number),
        seen.slice(1).map((e) => e.data.event_id as number),
      );
      back.close();
    } finally {
      await s.close();
    }
  });
});
