import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { FakeClock, type Clock, systemClock } from '../../src/clock.js';
import type { Tongdai } from '../../src/app.js';
import type { Envelope } from '../../src/domain/events.js';
import { createTenant } from '../../src/domain/tenants.js';
import { newStorage, startTestServer } from '../helpers/harness.js';
import { insertCallRecord } from '../../src/domain/call-history.js';

describe('crash recovery', () => {
  const storage = newStorage('tongdai-recovery-');
  after(() => storage.remove());
  /** A node on the shared storage, listening (crash recovery has run); `beforeListen` sees recovery's events. */
  const node = async (opts: { clock?: Clock; nodeId?: string; beforeListen?: (t: Tongdai) => void } = {}) =>
    (
      await startTestServer({
        storage,
        demo: false,
        clock: opts.clock ?? systemClock,
        env: opts.nodeId ? { NODE_ID: opts.nodeId } : {},
        beforeListen: opts.beforeListen,
      })
    ).t;

  it('closes calls a dead process left open, with a cause and a call.ended event', async () => {
    const first = await node();
    const tenant = await createTenant(first.ctx.db, first.ctx.clock, { name: 'recovery' });
    const started = Date.now() - 30_000;
    // What a crash leaves behind: one answered call and one still ringing, never ended.
    for (const [callId, answered] of [
      ['c-answered', started + 5000],
      ['c-ringing', null],
    ] as const) {
      await insertCallRecord(first.ctx.db, tenant.id, {
        callId,
        direction: 'inbound',
        callerNumber: '0909',
        calleeNumber: '1900',
        createdAt: started,
        answeredAt: answered,
      });
    }
    await first.close();

    const events: Envelope[] = [];
    const second = await node({ beforeListen: (t) => void t.ctx.bus.subscribe((e) => void events.push(e)) });
    try {
      const rows = await second.ctx.db.selectFrom('calls').selectAll().orderBy('call_id').execute();
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.ok(r.ended_at, `${r.call_id} closed`);
        assert.equal(r.hangup_cause, 'NORMAL_TEMPORARY_FAILURE');
        assert.equal(r.hangup_by, 'system');
        assert.match(r.reason!, /restarted/);
        assert.ok(r.duration_sec! >= 30);
      }
      assert.equal(rows[0]!.status_detail, 'SUCCESS');
      assert.ok(rows[0]!.billing_sec! >= 25);
      assert.equal(rows[1]!.status_detail, 'UNSUCCESS');
      assert.deepEqual(
        events
          .filter((e) => e.type === 'call.ended')
          .map((e) => (e.payload as { callId: string }).callId)
          .sort(),
        ['c-answered', 'c-ringing'],
      );
    } finally {
      await second.close();
    }
  });

  it('two nodes on one database: a starting node leaves a live node’s calls alone and closes a dead one’s', async () => {
    const clock = new FakeClock(Date.now());
    const a = await node({ clock, nodeId: 'node-a' });
    const tenant = await createTenant(a.ctx.db, a.ctx.clock, { name: 'two nodes' });
    const open = (callId: string, nodeId: string) =>
      insertCallRecord(a.ctx.db, tenant.id, {
        callId,
        nodeId,
        direction: 'inbound',
        callerNumber: '0909',
        calleeNumber: '1900',
        createdAt: clock.now(),
      });
    // node-a runs one call; node-c ran one and died (its heartbeat is old).
    await open('on-a', 'node-a');
    await open('on-c', 'node-c');
    await a.ctx.db
      .insertInto('telephony_nodes')
      .values({ id: 'node-c', started_at: clock.now() - 600_000, seen_at: clock.now() - 60_000 })
      .execute();
    const b = await node({ clock, nodeId: 'node-b' });
    try {
      const ended = async () =>
        Object.fromEntries(
          (
            await b.ctx.db
              .selectFrom('calls')
              .select(['call_id', 'ended_at'])
              .where('call_id', 'like', 'on-%')
              .execute()
          ).map((r) => [r.call_id, r.ended_at !== null]),
        );
      assert.deepEqual(
        await ended(),
        { 'on-a': false, 'on-c': true },
        'node-b started: only the dead node’s call closed',
      );

      // node-a keeps beating while node-b waits past the dead line: its call stays open.
      clock.advance(30_000);
      await a.telephony.node.beat();
      clock.advance(30_000);
      await b.telephony.node.beat();
      assert.deepEqual(await ended(), { 'on-a': false, 'on-c': true });

      // node-a goes silent (a crash: no graceful stop) and stays silent: node-b's next beats close its call.
      clock.advance(60_000);
      await b.telephony.node.beat();
      assert.deepEqual(await ended(), { 'on-a': true, 'on-c': true });
      const row = await b.ctx.db
        .selectFrom('calls')
        .selectAll()
        .where('call_id', '=', 'on-a')
        .executeTakeFirstOrThrow();
      assert.equal(row.hangup_cause, 'NORMAL_TEMPORARY_FAILURE');
      assert.equal(row.hangup_by, 'system');
    } finally {
      await b.close();
      await a.close();
    }
  });
});
