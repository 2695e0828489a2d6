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
    // A tenant id of this test's own: on PostgreSQL the server's own lease loop runs every tenant in the table.
    const tenantId = 900_000_000 + Math.floor(Math.random() * 1_000_000);
    const tenants = async () => [tenantId];
    const a = new TenantLeases({ db, clock, nodeId: 'node-a', tenants });
    const b = new TenantLeases({ db, clock, nodeId: 'node-b', tenants });
    const seen: string[] = [];
    a.onChange((t, owned) => seen.push(`a:${t}:${owned}`));
    b.onChange((t, owned, _l, previous) => seen.push(`b:${t}:${owned}` + (previous ? `<${previous}` : '')));

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
    assert.deepEqual(seen, [`a:${tenantId}:true`, `b:${tenantId}:true<node-a`, `a:${tenantId}:false`]);
    assert.equal(await acquireLease(db, tenantId, 'node-a', clock.now()), null);

    // A graceful stop hands the tenant over at once.
    await b.stop();
    await a.tick();
    assert.equal(a.owns(tenantId)?.token, second.token + 1);
    await a.stop();
  });

  it('a round costs two statements whatever the number of tenants; a dead owner’s 300 tenants move in one round', async () => {
    let statements = 0;
    const counted = s.t.ctx.db.withPlugin({
      transformQuery: (args) => (statements++, args.node),
      transformResult: (args) => Promise.resolve(args.result),
    });
    const base = 800_000_000 + Math.floor(Math.random() * 1_000_000);
    const ids = Array.from({ length: 300 }, (_, i) => base + i);
    const tenants = async () => ids;
    const a = new TenantLeases({ db: counted, clock, nodeId: 'bulk-a', tenants });
    const b = new TenantLeases({ db: counted, clock, nodeId: 'bulk-b', tenants });
    const from = new Map<number, string | null>();
    b.onChange((t, owned, _l, previous) => owned && from.set(t, previous));
    await a.tick();
    assert.ok(
      ids.every((t) => a.owns(t)),
      'the first node takes every free tenant',
    );
    statements = 0;
    await a.tick();
    assert.equal(statements, 2, 'renewal round: one UPDATE for all 300 leases, one read of the leases');
    assert.ok(ids.every((t) => a.owns(t)));
    statements = 0;
    await b.tick();
    assert.equal(statements, 2, 'a non-owner’s round while the owner lives: no writes');
    assert.ok(ids.every((t) => !b.owns(t)));
    clock.advance(LEASE_MS);
    await b.tick();
    assert.ok(
      ids.every((t) => b.owns(t)),
      'every expired lease taken in one round',
    );
    assert.ok(
      ids.every((t) => from.get(t) === 'bulk-a'),
      'each gain names the dead owner',
    );
    await b.stop();
    await a.stop(false);
    await s.t.ctx.db
      .deleteFrom('tenant_leases')
      .where('tenant_id', '>=', base)
      .where('tenant_id', '<', base + 300)
      .execute();
  });
});
