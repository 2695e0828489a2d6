import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Routing } from '../../src/calls/routing.js';
import { createCallStore } from '../../src/domain/call-store.js';
import { createInboundQueue } from '../../src/domain/queues.js';
import { createTenant } from '../../src/domain/tenants.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';

describe('trunk routing across tenants', () => {
  let s: TestServer;
  let other: { tenantId: number; queueId: number };
  before(async () => {
    s = await startTestServer();
    const db = s.t.ctx.db;
    const t = await createTenant(db, s.clock, { name: 'second tenant' });
    const q = await createInboundQueue(db, s.clock, t.id, { name: 'Sales' });
    const trunk = await db
      .insertInto('trunks')
      .values({
        tenant_id: t.id,
        name: 'same carrier',
        host: '127.0.0.1',
        port: 5099,
        allowed_ips: JSON.stringify(['127.0.0.1']),
        username: null,
        password_enc: null,
        created_at: Date.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await db
      .insertInto('numbers')
      .values({
        tenant_id: t.id,
        number: '02899990000',
        target_type: 'queue',
        target_id: q.id,
        trunk_id: trunk.id,
        created_at: Date.now(),
      })
      .execute();
    other = { tenantId: t.id, queueId: q.id };
  });
  after(async () => s?.close());

  it('finds the tenant that owns the DID when one carrier address serves several tenants', async () => {
    const r = new Routing(createCallStore(s.t.ctx.db, s.t.ctx.clock, s.t.ctx.config.dataDir));
    const a = await r.inboundFrom('127.0.0.1', '02899990000');
    assert.equal(a.kind, 'queue');
    assert.equal(a.kind === 'queue' && a.tenant.id, other.tenantId);
    const b = await r.inboundFrom('::ffff:127.0.0.1', s.demo.hotline);
    assert.equal(b.kind === 'queue' && b.tenant.id, s.demo.tenant_id);
  });

  it('matches national, +84 and 84 forms of a DID, and nothing from an unknown address', async () => {
    const r = new Routing(createCallStore(s.t.ctx.db, s.t.ctx.clock, s.t.ctx.config.dataDir));
    for (const form of ['+842899990000', '842899990000']) {
      const t = await r.inboundFrom('127.0.0.1', form);
      assert.equal(t.kind === 'queue' && t.tenant.id, other.tenantId, form);
    }
    assert.equal((await r.inboundFrom('203.0.113.9', '02899990000')).kind, 'unknown');
    assert.equal((await r.inboundFrom('127.0.0.1', '0000')).kind, 'unknown');
  });
});
