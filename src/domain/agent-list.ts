import type { Executor } from '../store/db.js';
import type { Agent } from '../store/schema.js';

/** One page of the tenant's live agents in id order, with the total. */
export async function listAgentsPage(
  db: Executor,
  tenantId: number,
  offset: number,
  limit: number,
): Promise<{ total: number; rows: Agent[] }> {
  const base = db.selectFrom('agents').where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
  const [count, rows] = await Promise.all([
    base.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow(),
    base.selectAll().orderBy('id').limit(limit).offset(offset).execute(),
  ]);
  return { total: Number(count.n), rows };
}
