import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';
import { FakeClock } from '../../src/clock.js';
import { updateTenantLimits } from '../../src/domain/tenants.js';

describe(`HTTP rate limiting (${storageKind}${process.env.REDIS_URL ? ' + redis' : ''})`, () => {
  let s: TestServer;
  const clock = new FakeClock(Date.UTC(2030, 0, 1, 0, 0, 2));
  before(async () => {
    s = await startTestServer({ clock });
    await updateTenantLimits(s.t.ctx.db, s.demo.tenant_id, { rateLimitTenant: 100, rateLimitRoute: 5 });
  });
  after(() => s.close());

  test('concurrent requests: exactly the route limit passes, the rest get 429 with Retry-After', async () => {
    const headers = { 'X-Api-Key': s.demo.api_key };
    const results = await Promise.all(
      Array.from({ length: 12 }, () => call(`${s.url}/api/agents`, { headers })),
    );
    const ok = results.filter((r) => r.status === 200);
    const limited = results.filter((r) => r.status === 429);
    assert.equal(ok.length, 5);
    assert.equal(limited.length, 7);
    for (const r of results) {
      assert.equal(r.headers.get('x-ratelimit-limit-route'), '5');
      assert.equal(r.headers.get('x-ratelimit-limit-tenant'), '100');
      assert.ok(Number(r.headers.get('x-ratelimit-remaining-route')) >= 0);
    }
    const remaining = ok.map((r) => Number(r.headers.get('x-ratelimit-remaining-route'))).sort();
    assert.deepEqual(remaining, [0, 1, 2, 3, 4]);
    assert.equal(limited[0]!.headers.get('retry-after'), '8');
    assert.equal(limited[0]!.body.error.code, 'RATE_LIMITED');

    clock.advance(8000);
    const next = await call(`${s.url}/api/agents`, { headers });
    assert.equal(next.status, 200, 'the next window admits again');
    assert.equal(next.headers.get('x-ratelimit-remaining-route'), '4');
  });
});
