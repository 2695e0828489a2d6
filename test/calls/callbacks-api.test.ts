// The native callbacks and caller-options API: happy path, bad input, another tenant's queue, missing scope.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createCallback, updateCallback } from '../../src/domain/callbacks.js';
import { createTenant } from '../../src/domain/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';

describe('native API: queued callbacks and caller options', () => {
  let s: TestServer;
  let queueId: number;
  let otherKey: string;
  let callOnlyKey: string;
  before(async () => {
    s = await startTestServer();
    const db = s.t.ctx.db;
    const q = await db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', s.demo.tenant_id)
      .executeTakeFirstOrThrow();
    queueId = q.id;
    const base = { tenantId: s.demo.tenant_id, queueId, callerId: s.demo.hotline, enteredAt: 1 };
    const a = await createCallback(db, 10, { ...base, number: '0901000001', callId: 'c1' });
    const b = await createCallback(db, 20, { ...base, number: '0901000002', callId: 'c2' });
    await createCallback(db, 30, { ...base, number: '0901000003', callId: 'c3' });
    await updateCallback(db, 40, s.demo.tenant_id, a.id, {
      state: 'completed',
      attempts: 1,
      agentId: s.demo.agents[0]!.agent_id,
    });
    await updateCallback(db, 50, s.demo.tenant_id, b.id, { state: 'failed', attempts: 3, outcome: 'busy' });
    const other = await createTenant(db, s.clock, { name: 'Other callbacks tenant' });
    otherKey = (await s.t.ctx.credentials.createApiKey(other.id, ['queue'], 'k')).key;
    callOnlyKey = (await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['call'], 'k')).key;
  });
  after(async () => s?.close());

  const req = (path: string, o: { method?: string; body?: unknown; key?: string } = {}) =>
    call(`${s.url}${path}`, {
      method: o.method ?? 'GET',
      headers: { 'x-api-key': o.key ?? s.demo.api_key },
      body: o.body,
    });

  it('lists the tenant’s callbacks newest first, and only the open ones on request', async () => {
    const all = await req('/api/callbacks');
    assert.equal(all.status, 200);
    assert.deepEqual(
      all.body.callbacks.map((c: { number: string; state: string }) => `${c.number}:${c.state}`),
      ['0901000003:waiting', '0901000002:failed', '0901000001:completed'],
    );
    const open = await req('/api/callbacks?open=true');
    assert.deepEqual(
      open.body.callbacks.map((c: { call_id: string }) => c.call_id),
      ['c3'],
    );
  });

  it('counts a queue’s callbacks: offered, completed, failed, open', async () => {
    const r = await req(`/api/queues/${queueId}/callbacks`);
    assert.equal(r.status, 200);
    assert.deepEqual(r.body.counts, { offered: 3, completed: 1, failed: 1, open: 1 });
    assert.equal(r.body.callbacks[1].outcome, 'busy');
    // By request time: of those requested in [20, 30) only the failed one.
    const w = await req(`/api/queues/${queueId}/callbacks?from=20&to=30`);
    assert.deepEqual(w.body.counts, { offered: 1, completed: 0, failed: 1, open: 0 });
  });

  it('queue statistics: every queue of the tenant with its callback counts, and the totals', async () => {
    const r = await req('/api/callbacks/counts');
    assert.equal(r.status, 200);
    const mine = r.body.queues.find((q: { queue_id: number }) => q.queue_id === queueId);
    assert.deepEqual(
      { ...mine, name: undefined },
      { queue_id: queueId, name: undefined, offered: 3, completed: 1, failed: 1, open: 1 },
    );
    assert.ok(r.body.queues.length >= 1);
    for (const q of r.body.queues.filter((x: { queue_id: number }) => x.queue_id !== queueId))
      assert.equal(q.offered, 0, 'queues without callbacks count zero');
    assert.deepEqual(r.body.totals, { offered: 3, completed: 1, failed: 1, open: 1 });
    const since = await req('/api/callbacks/counts?from=15');
    assert.deepEqual(since.body.totals, { offered: 2, completed: 0, failed: 1, open: 1 });
    const other = await req('/api/callbacks/counts', { key: otherKey });
    assert.equal(other.status, 200);
    assert.deepEqual(other.body.totals, { offered: 0, completed: 0, failed: 0, open: 0 });
    assert.ok(
      !other.body.queues.some((q: { queue_id: number }) => q.queue_id === queueId),
      'another tenant does not see the queue',
    );
    const bad = await req('/api/callbacks/counts?from=-1');
    assert.equal(bad.status, 400);
    const scope = await req('/api/callbacks/counts', { key: callOnlyKey });
    assert.equal(scope.status, 403);
  });

  it('reads and changes the caller options; bad input is refused and nothing changes', async () => {
    const before = await req(`/api/queues/${queueId}/caller-options`);
    assert.equal(before.status, 200);
    assert.equal(before.body.announce_language, 'vi');
    assert.equal(before.body.callback_enabled, false);
    assert.equal(before.body.callback_key, '1');
    const r = await req(`/api/queues/${queueId}/caller-options`, {
      method: 'PATCH',
      body: { announce_language: 'en', callback_enabled: true, callback_key: '#', callback_retry_sec: 90 },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(
      [r.body.announce_language, r.body.callback_enabled, r.body.callback_key, r.body.callback_retry_sec],
      ['en', true, '#', 90],
    );
    for (const body of [
      { callback_key: '12' },
      { announce_language: 'fr' },
      { callback_max_attempts: 0 },
      { callback_caller_id: 'abc' },
    ]) {
      const bad = await req(`/api/queues/${queueId}/caller-options`, { method: 'PATCH', body });
      assert.equal(bad.status, 400, JSON.stringify(body));
    }
    const after = await req(`/api/queues/${queueId}/caller-options`);
    assert.deepEqual(after.body, r.body);
  });

  it('another tenant’s queue is not found; a key without the queue scope is refused', async () => {
    const other = await req(`/api/queues/${queueId}/callbacks`, { key: otherKey });
    assert.equal(other.status, 404);
    const patch = await req(`/api/queues/${queueId}/caller-options`, {
      method: 'PATCH',
      body: {},
      key: otherKey,
    });
    assert.equal(patch.status, 404);
    const list = await req('/api/callbacks', { key: otherKey });
    assert.deepEqual(list.body.callbacks, [], 'another tenant sees none of them');
    const scope = await req('/api/callbacks', { key: callOnlyKey });
    assert.equal(scope.status, 403);
    const anon = await call(`${s.url}/api/callbacks`);
    assert.equal(anon.status, 401);
  });
});
