import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { FakeClock } from '../../src/clock.js';
import { enqueueWebhook } from '../../src/webhooks/deliver.js';
import { getWebhookSecret } from '../../src/webhooks/secrets.js';
import { verify } from '../../src/webhooks/signing.js';
import { type TestServer, call, newStorage, startTestServer } from '../helpers/harness.js';
import { type Received, startReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';
import { assertError, assertOk } from './helpers.js';

// POST /api/v3/agent/transfer: 202 at once, the move and the signed webhook from the durable outbox.

let s: TestServer;
before(async () => {
  s = await startTestServer();
});
after(() => s.close());

const transfer = (url: string, key: string, body: unknown) =>
  call(`${url}/api/v3/agent/transfer`, { method: 'POST', headers: { 'x-api-key': key }, body });

/** Whether every outbox job has finished (so no delivery can still come). */
async function allJobsDone(t: TestServer['t']): Promise<boolean> {
  const jobs = await t.ctx.db.selectFrom('outbox').select('status').execute();
  return jobs.length > 0 && jobs.every((j) => j.status === 'done');
}

function signedBy(secret: string, r: Received, nowMs: number): boolean {
  const h = r.headers;
  return verify(
    secret,
    {
      id: String(h['webhook-id']),
      timestamp: String(h['webhook-timestamp']),
      signature: String(h['webhook-signature']),
    },
    r.body,
    Math.floor(nowMs / 1000),
  );
}

test('synchronous validation: unknown source, taken target, bad emails, bad callback and headers', async () => {
  const k = s.demo.api_key;
  const ok = { sourceEmail: 'lan@demo.tongdai.local', targetEmail: 'new@acme.vn' };
  assertError(await transfer(s.url, k, { ...ok, sourceEmail: 'ghost@acme.vn' }), 404, 'agent_not_found');
  assertError(
    await transfer(s.url, k, { ...ok, targetEmail: 'minh@demo.tongdai.local' }),
    409,
    'agent_exists',
  );
  assertError(
    await transfer(s.url, k, { ...ok, targetEmail: 'nope' }),
    400,
    'identify_info_invalid',
    /targetEmail/,
  );
  assertError(
    await transfer(s.url, k, { targetEmail: 'new@acme.vn' }),
    400,
    'invalid_request',
    /sourceEmail/,
  );
  assertError(
    await transfer(s.url, k, { ...ok, callbackResultConfig: { url: 'ftp://x.vn/h' } }),
    400,
    'callback_url_invalid',
  );
  const reserved = { url: 'http://127.0.0.1:9/h', headers: { 'Webhook-Signature': 'forged' } };
  assertError(
    await transfer(s.url, k, { ...ok, callbackResultConfig: reserved }),
    400,
    'callback_headers_invalid',
    /Webhook-Signature/,
  );
  const badPhone = { ...ok, targetInfo: { phoneNumber: 'call me' } };
  assertError(await transfer(s.url, k, badPhone), 400, 'invalid_request', /phoneNumber/);
  const jobs = await s.t.ctx.db
    .selectFrom('outbox')
    .select('id')
    .where('kind', '=', 'omicall.agent_transfer')
    .execute();
  assert.equal(jobs.length, 0, 'nothing was enqueued');
});

test('callbacks to private, loopback or link-local addresses are refused unless the operator allows them', async () => {
  const strict = await startTestServer({ env: { WEBHOOK_ALLOW_PRIVATE: 'false' } });
  try {
    for (const url of [
      'http://127.0.0.1:8080/h',
      'http://169.254.169.254/latest',
      'http://[::1]/h',
      'http://10.0.0.5/h',
    ]) {
      const res = await transfer(strict.url, strict.demo.api_key, {
        sourceEmail: 'lan@demo.tongdai.local',
        targetEmail: 'new@acme.vn',
        callbackResultConfig: { url },
      });
      assertError(res, 400, 'callback_url_invalid', /private, loopback or link-local/);
    }
  } finally {
    await strict.close();
  }
});

test('the account moves and a receiver failing twice gets exactly one successful, signed delivery', async () => {
  const clock = s.clock as FakeClock;
  const rx = await startReceiver([500, 502, 200]);
  try {
    const before = await s.t.ctx.db
      .selectFrom('agents')
      .selectAll()
      .where('email', '=', 'anh@demo.tongdai.local')
      .executeTakeFirstOrThrow();
    const queues = await s.t.ctx.db
      .selectFrom('queue_members')
      .select('queue_id')
      .where('agent_id', '=', before.id)
      .execute();
    const requestedAt = clock.now();
    const res = await transfer(s.url, s.demo.api_key, {
      sourceEmail: 'anh@demo.tongdai.local',
      targetEmail: 'Hoa@Acme.vn',
      targetInfo: { fullName: 'Phạm Thu Hoa', phoneNumber: '0912345678' },
      callbackResultConfig: { url: rx.url, headers: { 'x-crm-token': 'abc' } },
    });
    const p = assertOk(res, 202);
    assert.match(p.requestId, /^[0-9a-f-]{36}$/);
    // Move the clock only once the worker has recorded the attempt (and so scheduled the retry).
    const recorded = (n: number) => async () => {
      const rows = await s.t.ctx.db
        .selectFrom('outbox')
        .select('last_error')
        .where('kind', '=', 'webhook.deliver')
        .where('locked_until', 'is', null)
        .where('attempts', '=', n)
        .execute();
      return rows.length === 1 ? true : undefined;
    };
    await waitFor(recorded(1));
    clock.advance(2_000);
    await waitFor(recorded(2));
    clock.advance(4_000);
    await waitFor(() => (rx.received.length >= 3 ? true : undefined));
    // The delivery job is done (no retry scheduled); then, an hour later, a sentinel webhook enqueued after it
    // arrives with nothing of the transfer's before it.
    await waitFor(async () => {
      const jobs = await s.t.ctx.db
        .selectFrom('outbox')
        .select('status')
        .where('kind', '=', 'webhook.deliver')
        .execute();
      return jobs.length > 0 && jobs.every((j) => j.status === 'done');
    });
    clock.advance(3_600_000);
    await enqueueWebhook(s.t.ctx.db, clock, s.demo.tenant_id, {
      messageId: 'msg_sentinel_after_transfer',
      url: rx.url,
      headers: {},
      body: '{"sentinel":true}',
    });
    await waitFor(() => rx.received.some((r) => r.headers['webhook-id'] === 'msg_sentinel_after_transfer'));
    assert.deepEqual(
      rx.received.map((r) => r.status),
      [500, 502, 200, 200],
      'no delivery after the first 2xx, before the sentinel',
    );
    rx.received.pop();
    const secret = await getWebhookSecret(s.t.ctx.db, clock, s.t.ctx.box, s.demo.tenant_id);
    const ids = new Set(rx.received.map((r) => r.headers['webhook-id']));
    assert.equal(ids.size, 1, 'one message id across attempts');
    for (const r of rx.received) {
      // Verified at the moment it was sent: each attempt is signed afresh with the clock of that moment.
      assert.equal(signedBy(secret, r, Number(r.headers['webhook-timestamp']) * 1000), true);
      assert.equal(r.headers['x-crm-token'], 'abc');
      assert.equal(r.headers['content-type'], 'application/json');
    }
    const hook = JSON.parse(rx.received[2]!.body);
    assert.deepEqual(hook, {
      requestId: p.requestId,
      requestTimeMs: requestedAt,
      action: 'AGENT_TRANSFER',
      status: 'SUCCESS',
      responseTimeMs: hook.responseTimeMs,
      payload: { fullName: 'Phạm Thu Hoa', phoneNumber: '0912345678', email: 'hoa@acme.vn' },
    });
    const after = await s.t.ctx.db
      .selectFrom('agents')
      .selectAll()
      .where('id', '=', before.id)
      .executeTakeFirstOrThrow();
    assert.deepEqual(
      [after.uid, after.extension, after.email, after.name, after.phone],
      [before.uid, before.extension, 'hoa@acme.vn', 'Phạm Thu Hoa', '0912345678'],
    );
    assert.notEqual(
      after.sip_password_enc,
      before.sip_password_enc,
      "the old owner's SIP password stops working",
    );
    const queuesAfter = await s.t.ctx.db
      .selectFrom('queue_members')
      .select('queue_id')
      .where('agent_id', '=', before.id)
      .execute();
    assert.deepEqual(queuesAfter, queues, 'queues kept');
  } finally {
    await rx.close();
  }
});

test('a target taken between the 202 and the job ends in status ERROR, reported by the webhook', async () => {
  const storage = newStorage();
  const clock = new FakeClock(Date.UTC(2026, 10, 21, 10));
  const inst = await startTestServer({ storage, clock, outboxWorker: false });
  const rx = await startReceiver([200]);
  try {
    const cb = { url: rx.url };
    const a = assertOk(
      await transfer(inst.url, inst.demo.api_key, {
        sourceEmail: 'lan@demo.tongdai.local',
        targetEmail: 'x@acme.vn',
        callbackResultConfig: cb,
      }),
      202,
    );
    const b = assertOk(
      await transfer(inst.url, inst.demo.api_key, {
        sourceEmail: 'minh@demo.tongdai.local',
        targetEmail: 'x@acme.vn',
        callbackResultConfig: cb,
      }),
      202,
    );
    await inst.t.ctx.outbox.runDue();
    await inst.t.ctx.outbox.runDue();
    // Both were accepted; whichever job runs first wins, the other reports ERROR and changes nothing.
    const hooks = rx.received.map((r) => JSON.parse(r.body));
    assert.equal(hooks.length, 2);
    assert.deepEqual(hooks.map((h) => h.requestId).sort(), [a.requestId, b.requestId].sort());
    const won = hooks.find((h) => h.status === 'SUCCESS');
    const lost = hooks.find((h) => h.status === 'ERROR');
    assert.ok(won && lost, JSON.stringify(hooks));
    assert.equal(lost.error.code, 'agent_exists');
    assert.equal(lost.payload.email, 'x@acme.vn');
    const rows = await inst.t.ctx.db
      .selectFrom('agents')
      .select(['extension', 'email'])
      .where('extension', 'in', ['1001', '1002'])
      .orderBy('extension')
      .execute();
    const winnerExt = won.requestId === a.requestId ? '1001' : '1002';
    for (const r of rows) {
      const original = r.extension === '1001' ? 'lan@demo.tongdai.local' : 'minh@demo.tongdai.local';
      assert.equal(r.email, r.extension === winnerExt ? 'x@acme.vn' : original);
    }
  } finally {
    await rx.close();
    await inst.t.close();
    await storage.remove();
  }
});

test('killed between the 202 and the delivery: after a restart the move and the delivery happen exactly once', async () => {
  const storage = newStorage();
  const clock = new FakeClock(Date.UTC(2026, 10, 21, 11));
  const rx = await startReceiver([503, 200]);
  try {
    // First life: accept two transfers, run only one job with a failing receiver, then die.
    const first = await startTestServer({ storage, clock, outboxWorker: false });
    const cb = { url: rx.url };
    const t1 = assertOk(
      await transfer(first.url, first.demo.api_key, {
        sourceEmail: 'lan@demo.tongdai.local',
        targetEmail: 'one@acme.vn',
        callbackResultConfig: cb,
      }),
      202,
    );
    await first.t.ctx.outbox.runDue(); // the move, which enqueues the delivery
    await first.t.ctx.outbox.runDue(); // the delivery
    assert.equal(rx.received.length, 1, 'moved, first delivery failed');
    const t2 = assertOk(
      await transfer(first.url, first.demo.api_key, {
        sourceEmail: 'minh@demo.tongdai.local',
        targetEmail: 'two@acme.vn',
        callbackResultConfig: cb,
      }),
      202,
    );
    await first.t.close();
    // Second life on the same data, worker running.
    clock.advance(60_000);
    const second = await startTestServer({ storage, clock });
    try {
      // Every job done: nothing is left that could deliver again.
      await waitFor(() => (rx.received.length >= 3 ? true : undefined));
      await waitFor(() => allJobsDone(second.t));
      const ok = rx.received
        .filter((r) => r.status === 200)
        .map((r) => JSON.parse(r.body).requestId)
        .sort();
      assert.deepEqual(
        ok,
        [t1.requestId, t2.requestId].sort(),
        'each transfer delivered successfully exactly once',
      );
      assert.equal(rx.received.length, 3);
      const emails = await second.t.ctx.db
        .selectFrom('agents')
        .select(['extension', 'email'])
        .where('extension', 'in', ['1001', '1002'])
        .orderBy('extension')
        .execute();
      assert.deepEqual(
        emails.map((e) => e.email),
        ['one@acme.vn', 'two@acme.vn'],
      );
      const jobs = await second.t.ctx.db
        .selectFrom('outbox')
        .select(['kind', 'status'])
        .orderBy('id')
        .execute();
      assert.deepEqual(
        jobs.filter((j) => j.status !== 'done'),
        [],
        'every job finished',
      );
      assert.equal(jobs.filter((j) => j.kind === 'omicall.agent_transfer').length, 2);
    } finally {
      await second.t.close();
    }
  } finally {
    await rx.close();
    await storage.remove();
  }
});

test('killed mid-delivery (receiver never answers): shutdown is prompt and the restarted node delivers', async () => {
  const storage = newStorage();
  const clock = new FakeClock(Date.UTC(2026, 10, 21, 12));
  const rx = await startReceiver([0, 200]);
  try {
    const first = await startTestServer({ storage, clock });
    const body = {
      sourceEmail: 'lan@demo.tongdai.local',
      targetEmail: 'hang@acme.vn',
      callbackResultConfig: { url: rx.url },
    };
    const t1 = assertOk(await transfer(first.url, first.demo.api_key, body), 202);
    await waitFor(() => (rx.received.length >= 1 ? true : undefined));
    const started = Date.now();
    await first.t.close();
    assert.ok(Date.now() - started < 3000, 'close() does not wait for the hanging receiver');
    const second = await startTestServer({ storage, clock });
    try {
      await waitFor(() => (rx.received.length >= 2 ? true : undefined));
      await waitFor(() => allJobsDone(second.t));
      assert.deepEqual(
        rx.received.map((r) => r.status),
        [0, 200],
      );
      const hook = JSON.parse(rx.received[1]!.body);
      assert.deepEqual([hook.requestId, hook.status], [t1.requestId, 'SUCCESS']);
      assert.equal(rx.received[0]!.headers['webhook-id'], rx.received[1]!.headers['webhook-id']);
      const attempts = await second.t.ctx.db
        .selectFrom('delivery_attempts')
        .select(['attempt', 'status_code'])
        .orderBy('id')
        .execute();
      assert.deepEqual(
        attempts.map((a) => a.status_code),
        [null, 200],
      );
    } finally {
      await second.t.close();
    }
  } finally {
    await rx.close();
    await storage.remove();
  }
});
