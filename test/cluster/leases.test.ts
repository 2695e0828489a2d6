import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import {
  LEASE_MS,
  RENEW_MS,
  TenantLeases,
  acquireLease,
  holdsLease,
  readLease,
} from '../../src/cluster/leases.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';

describe('tenant leases with fencing', () => {
  let s: TestServer;
  const clock = new FakeClock(Date.UTC(2026, 11, 2, 9));
  before(async () => {
    s = await startTestServer({ clock });
  });
  after(async () => {
    await s?.close();
  });

  it('one owner at a time; a dead owner loses the tenant within 15 s and its token is fenced off', async () => {
    const db = s.t.ctx.db;
    const tenantId = s.demo.tenant_id;
    const tenants = async () => [tenantId];
    const a = new TenantLeases({ db, clock, nodeId: 'node-a', tenants });
    const b = new TenantLeases({ db, clock, nodeId: 'node-b', tenants });
    const seen: string[] = [];
    a.onChange((t, owned) => seen.push(`a:${t}:${owned}`));
    b.onChange((t, owned) => seen.push(`b:${t}:${owned}`));

    await a.tick();
    await b.tick();
    const first = a.owns(tenantId);
    assert.ok(first, 'the first node to ask owns the tenant');
    assert.equal(b.owns(tenantId), null, 'never two owners');
    assert.deepEqual(seen, [`a:${tenantId}:true`]);

    // a renews while alive: b still cannot take it.
    for (let i = 0; i < 5; i++) {
      clock.advance(RENEW_MS);
      await a.tick();
      await b.tick();
    }
    assert.equal((await readLease(db, tenantId))!.nodeId, 'node-a');

    // a dies (no more renewals): b's rounds take the tenant once the lease expired, within 15 s.
    const diedAt = clock.now();
    let takenAt = 0;
    while (!b.owns(tenantId)) {
      clock.advance(RENEW_MS);
      await b.tick();
      takenAt = clock.now();
      assert.ok(takenAt - diedAt <= 15_000, 'taken over within 15 s');
    }
    assert.ok(takenAt - diedAt >= LEASE_MS, 'not before the old lease expired');
    const second = b.owns(tenantId)!;
    assert.equal(second.token, first.token + 1, 'the fencing token grew');
    assert.equal(
      await holdsLease(db, tenantId, 'node-a', first.token, clock.now()),
      false,
      'a is fenced off',
    );
    assert.equal(await holdsLease(db, tenantId, 'node-b', second.token, clock.now()), true);

    // a comes back from its pause: it learns it lost the tenant and does not take it back.
    await a.tick();
    assert.equal(a.owns(tenantId), null);
    assert.deepEqual(seen, [`a:${tenantId}:true`, `b:${tenantId}:true`, `a:${tenantId}:false`]);
    assert.equal(await acquireLease(db, tenantId, 'node-a', clock.now()), null);

    // A graceful stop hands the tenant over at once.
    await b.stop();
    await a.tick();
    assert.equal(a.owns(tenantId)?.token, second.token + 1);
    await a.stop();
  });
});
