import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import pino from 'pino';
import { FakeClock } from '../../src/clock.js';
import { enqueue } from '../../src/webhooks/outbox.js';
import { OutboxWorker, PermanentJobError, backoffMs, DEFAULT_RETRY } from '../../src/webhooks/worker.js';
import { enqueueWebhook } from '../../src/webhooks/deliver.js';
import { getWebhookSecret } from '../../src/webhooks/secrets.js';
import { verify } from '../../src/webhooks/signing.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { startReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

const clock = new FakeClock(Date.UTC(2026, 10, 21, 9, 0, 0));
let s: TestServer;
const logger = pino({ level: 'silent' });

before(async () => {
  s = await startTestServer({ clock, outboxWorker: false });
});
after(() => s.close());

const row = (id: number) =>
  s.t.ctx.db.selectFrom('outbox').selectAll().where('id', '=', id).executeTakeFirstOrThrow();

test('backoff doubles from the base and is capped', () => {
  const p = { maxAttempts: 5, baseDelayMs: 1000, maxDelayMs: 5000 };
  assert.deepEqual(
    [1, 2, 3, 4, 5].map((a) => backoffMs(p, a)),
    [1000, 2000, 4000, 5000, 5000],
  );
  assert.equal(backoffMs(DEFAULT_RETRY, 1), 2000);
});

test('a failing job is retried on the backoff schedule until it succeeds, and only when due', async () => {
  const w = new OutboxWorker({ db: s.t.ctx.db, clock, logger });
  let calls = 0;
  w.register(
    'test.flaky',
    async () => {
      calls++;
      if (calls < 3) throw new Error(`boom ${calls}`);
    },
    { baseDelayMs: 1000 },
  );
  const id = await enqueue(s.t.ctx.db, clock, s.demo.tenant_id, 'test.flaky', { n: 1 });
  assert.equal(await w.runDue(), 1);
  let r = await row(id);
  assert.equal(r.status, 'pending');
  assert.equal(r.attempts, 1);
  assert.equal(r.last_error, 'boom 1');
  assert.equal(r.next_attempt_at, clock.now() + 1000);
  assert.equal(await w.runDue(), 0, 'not due yet');
  clock.advance(1000);
  assert.equal(await w.runDue(), 1);
  r = await row(id);
  assert.equal(r.next_attempt_at, clock.now() + 2000);
  clock.advance(2000);
  await w.runDue();
  r = await row(id);
  assert.equal(r.status, 'done');
  assert.equal(r.attempts, 3);
  assert.equal(calls, 3);
  clock.advance(60_000);
  assert.equal(await w.runDue(), 0, 'a done job never runs again');
});

test('the retry budget ends in status failed; a permanent error fails at once', async () => {
  const w = new OutboxWorker({ db: s.t.ctx.db, clock, logger });
  w.register(
    'test.always',
    async () => {
      throw new Error('nope');
    },
    { maxAttempts: 3, baseDelayMs: 10 },
  );
  w.register('test.permanent', async () => {
    throw new PermanentJobError('bad payload');
  });
  const a = await enqueue(s.t.ctx.db, clock, s.demo.tenant_id, 'test.always', {});
  const b = await enqueue(s.t.ctx.db, clock, s.demo.tenant_id, 'test.permanent', {});
  for (let i = 0; i < 5; i++) {
    await w.runDue();
    clock.advance(100);
  }
  assert.equal((await row(a)).status, 'failed');
  assert.equal((await row(a)).attempts, 3);
  assert.equal((await row(b)).status, 'failed');
  assert.equal((await row(b)).attempts, 1);
  assert.equal((await row(b)).last_error, 'bad payload');
});

test('a claimed job whose worker died is re-run only after its lease expires; the stale worker cannot complete it', async () => {
  const w = new OutboxWorker({ db: s.t.ctx.db, clock, logger, leaseMs: 30_000 });
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let runs = 0;
  w.register('test.slow', async (_job, jc) => {
    runs++;
    if (runs === 1) {
      await gate;
      await jc.completeWith((tx) =>
        enqueue(tx, clock, s.demo.tenant_id, 'test.marker', {}, { dedupeKey: 'stale-marker' }),
      );
    }
  });
  const id = await enqueue(s.t.ctx.db, clock, s.demo.tenant_id, 'test.slow', {});
  const first = w.runDue();
  await waitFor(async () => (await row(id)).attempts === 1, 10_000, 'the slow job claimed');
  const other = new OutboxWorker({ db: s.t.ctx.db, clock, logger });
  other.register('test.slow', async () => {
    runs++;
  });
  assert.equal(await other.runDue(), 0, 'lease still held');
  clock.advance(30_001);
  assert.equal(await other.runDue(), 1, 'lease expired: re-claimed');
  assert.equal((await row(id)).status, 'done');
  release();
  await first;
  const marker = await s.t.ctx.db
    .selectFrom('outbox')
    .select('id')
    .where('dedupe_key', '=', 'stale-marker')
    .executeTakeFirst();
  assert.equal(marker, undefined, 'the fenced completion of the stale worker rolled back');
  assert.equal(runs, 2);
});

test('webhook.deliver signs each attempt, records every attempt and stops at the first 2xx', async () => {
  const rx = await startReceiver([503, 200]);
  try {
    const body = JSON.stringify({ hello: 'world' });
    const id = await enqueueWebhook(s.t.ctx.db, clock, s.demo.tenant_id, {
      messageId: 'msg_test_1',
      url: rx.url,
      headers: { 'x-custom': 'yes' },
      body,
    });
    await s.t.ctx.outbox.runDue();
    assert.equal((await row(id)).status, 'pending');
    clock.advance(backoffMs(DEFAULT_RETRY, 1));
    await s.t.ctx.outbox.runDue();
    assert.equal((await row(id)).status, 'done');
    assert.equal(rx.received.length, 2);
    const secret = await getWebhookSecret(s.t.ctx.db, clock, s.t.ctx.box, s.demo.tenant_id);
    for (const r of rx.received) {
      assert.equal(r.body, body);
      assert.equal(r.headers['x-custom'], 'yes');
      assert.equal(r.headers['webhook-id'], 'msg_test_1');
      const ok = verify(
        secret,
        {
          id: String(r.headers['webhook-id']),
          timestamp: String(r.headers['webhook-timestamp']),
          signature: String(r.headers['webhook-signature']),
        },
        r.body,
        Math.floor(clock.now() / 1000),
      );
      assert.equal(ok, true);
    }
    const attempts = await s.t.ctx.db
      .selectFrom('delivery_attempts')
      .selectAll()
      .where('outbox_id', '=', id)
      .orderBy('attempt')
      .execute();
    assert.deepEqual(
      attempts.map((a) => [a.attempt, a.status_code]),
      [
        [1, 503],
        [2, 200],
      ],
    );
    assert.match(attempts[0]!.error ?? '', /HTTP 503/);
  } finally {
    await rx.close();
  }
});

test('a malformed job payload fails at once instead of spending the retry budget', async () => {
  const id = await enqueue(s.t.ctx.db, clock, s.demo.tenant_id, 'webhook.deliver', { url: 42 });
  const tr = await enqueue(s.t.ctx.db, clock, s.demo.tenant_id, 'omicall.agent_transfer', null);
  await s.t.ctx.outbox.runDue();
  for (const job of [id, tr]) {
    const r = await row(job);
    assert.deepEqual([r.status, r.attempts], ['failed', 1]);
    assert.match(r.last_error ?? '', /malformed/);
  }
});

test('a delivery for a webhook endpoint is signed with that endpoint secret', async () => {
  const rx = await startReceiver([200]);
  try {
    const secret = 'whsec_' + Buffer.from('endpoint-secret-of-32-bytes-long!').toString('base64');
    const ep = await s.t.ctx.db
      .insertInto('webhook_endpoints')
      .values({
        tenant_id: s.demo.tenant_id,
        url: rx.url,
        secret_enc: s.t.ctx.box.seal(secret),
        events: '*',
        created_at: clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await enqueueWebhook(s.t.ctx.db, clock, s.demo.tenant_id, {
      messageId: 'msg_ep',
      url: rx.url,
      headers: {},
      body: '{}',
      endpointId: ep.id,
    });
    await s.t.ctx.outbox.runDue();
    const r = rx.received[0]!;
    const parts = {
      id: 'msg_ep',
      timestamp: String(r.headers['webhook-timestamp']),
      signature: String(r.headers['webhook-signature']),
    };
    assert.equal(verify(secret, parts, '{}', Math.floor(clock.now() / 1000)), true);
  } finally {
    await rx.close();
  }
});
