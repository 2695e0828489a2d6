/**
 * A node restarting after a crash takes back the outbox leases its previous run held: the webhook that was
 * in flight is delivered at once, with the same id, instead of after the 60 s lease. Another node's lease is
 * left alone until it expires.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { enqueueWebhook } from '../../src/webhooks/deliver.js';
import { claim, releaseOwnLeases } from '../../src/webhooks/outbox.js';
import { newStorage, startTestServer } from '../helpers/harness.js';
import { startReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

test('after a restart the same node redelivers its in-flight webhook without waiting for the lease', async () => {
  const clock = new FakeClock(Date.UTC(2026, 11, 1, 9, 0, 0));
  const storage = newStorage();
  const rx = await startReceiver([200]);
  try {
    const first = await startTestServer({ storage, clock, outboxWorker: false });
    const nodeId = first.t.ctx.config.nodeId;
    const db = first.t.ctx.db;
    const id = await enqueueWebhook(db, clock, first.demo.tenant_id, {
      messageId: 'msg_restart_1',
      url: rx.url,
      headers: {},
      body: '{"n":1}',
    });
    // What the crashed run left: the job claimed by this node with a 60 s lease, never finished. A second job
    // claimed by another node stays with that node until its lease expires.
    const other = await enqueueWebhook(db, clock, first.demo.tenant_id, {
      messageId: 'msg_other_node',
      url: rx.url,
      headers: {},
      body: '{"n":2}',
    });
    for (const [job, owner] of [
      [id, nodeId],
      [other, 'some-other-node'],
    ] as const) {
      const row = await db.selectFrom('outbox').selectAll().where('id', '=', job).executeTakeFirstOrThrow();
      assert.equal(await claim(db, row, clock.now(), 60_000, owner), true);
    }
    await first.t.close();

    // The restart: the fake clock has not moved, so only a released lease lets the job run.
    const second = await startTestServer({ storage, clock, outboxWorker: true });
    try {
      const got = await waitFor(() => rx.received.find((r) => r.headers['webhook-id'] === 'msg_restart_1'));
      assert.equal(got.body, '{"n":1}');
      const done = await waitFor(async () => {
        const r = await second.t.ctx.db
          .selectFrom('outbox')
          .selectAll()
          .where('id', '=', id)
          .executeTakeFirstOrThrow();
        return r.status === 'done' ? r : undefined;
      });
      assert.equal(done.attempts, 2, 'the interrupted claim and the redelivery');
      // The other node's job is still leased: releasing our own leases again finds nothing of theirs.
      assert.equal(await releaseOwnLeases(second.t.ctx.db, nodeId, clock.now()), 0);
      const theirs = await second.t.ctx.db
        .selectFrom('outbox')
        .selectAll()
        .where('id', '=', other)
        .executeTakeFirstOrThrow();
      assert.equal(theirs.status, 'pending');
      assert.equal(theirs.locked_by, 'some-other-node');
      assert.ok(!rx.received.some((r) => r.headers['webhook-id'] === 'msg_other_node'));
    } finally {
      await second.t.close();
    }
  } finally {
    await rx.close();
    await storage.remove();
  }
});
