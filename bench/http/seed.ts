import type { Tongdai } from '../../src/app.js';
import { ensureDemoTenant } from '../../src/domain/demo.js';
import { bumpRevision, updateTenantLimits } from '../../src/domain/tenants.js';
import { hex32 } from '../../src/ids.js';
import { inTransaction } from '../../src/store/db.js';

const BATCH = 500;

/**
 * The demo tenant grown to `total` agents: every other one in the "Support" queue, a third of them Available
 * (ready), one in ten inactive. Rate limits are raised so the run measures their cost, not 429s.
 */
export async function seedBenchTenant(t: Tongdai, total: number): Promise<string> {
  const { db, clock, box, credentials } = t.ctx;
  const { tenantId } = await ensureDemoTenant({
    db,
    clock,
    box,
    credentials,
    httpUrl: '',
    sipPort: 0,
    publicIp: '127.0.0.1',
    demoTrunkPort: 0,
  });
  const queue = await db
    .selectFrom('inbound_queues')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const available = await db
    .selectFrom('statuses')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('name', '=', 'Available')
    .executeTakeFirstOrThrow();
  const sealed = box.seal('bench-password');
  const now = clock.now();
  await inTransaction(db, async (tx) => {
    for (let start = 2000; start < 2000 + total - 3; start += BATCH) {
      const rows = [];
      for (let ext = start; ext < Math.min(start + BATCH, 2000 + total - 3); ext++) {
        const ready = ext % 3 === 0;
        rows.push({
          tenant_id: tenantId,
          uid: hex32(),
          extension: String(ext),
          name: `Agent ${ext}`,
          email: `agent${ext}@bench.tongdai.local`,
          username: `agent${ext}`,
          sip_password_enc: sealed,
          is_active: ext % 10 === 0 ? 0 : 1,
          status: ready ? 'Available' : 'Offline',
          status_id: ready ? available.id : null,
          created_at: now,
          updated_at: now,
        });
      }
      const ids = await tx.insertInto('agents').values(rows).returning('id').execute();
      const members = ids
        .filter((r) => r.id % 2 === 0)
        .map((r) => ({ tenant_id: tenantId, queue_id: queue.id, agent_id: r.id, priority: 1 }));
      if (members.length > 0) await tx.insertInto('queue_members').values(members).execute();
    }
    await bumpRevision(tx, tenantId);
  });
  await updateTenantLimits(db, tenantId, { rateLimitTenant: 1_000_000_000, rateLimitRoute: 1_000_000_000 });
  return (await credentials.createApiKey(tenantId, ['agent'], 'bench')).key;
}
