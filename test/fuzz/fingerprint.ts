import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Db } from '../../src/store/db.js';

/**
 * Tables that change with time or bookkeeping, not with what a request wrote. `event_log` is appended in the
 * background after an event is published; the suite checks events on the bus instead.
 */
const VOLATILE = new Set(['telephony_nodes', 'kysely_migration', 'kysely_migration_lock', 'event_log']);

const tableNames = new WeakMap<Db, string[]>();

/**
 * A digest of every table's rows: equal before and after a refused request means it wrote nothing, not
 * even half a row. Rows are hashed as a sorted multiset, so storage order does not matter.
 */
export async function fingerprint(db: Db, pgSchema?: string): Promise<Record<string, string>> {
  let tables = tableNames.get(db);
  if (!tables) {
    tables = (await db.introspection.getTables())
      .filter((t) => !VOLATILE.has(t.name) && (!pgSchema || t.schema === pgSchema))
      .map((t) => t.name)
      .sort();
    tableNames.set(db, tables);
  }
  const out: Record<string, string> = {};
  if (pgSchema) {
    // One round trip: each table's rows hashed in the database, as a sorted multiset.
    const parts = tables.map(
      (name) =>
        sql`select ${name} as n, (select md5(coalesce(string_agg(md5(x::text), '' order by md5(x::text)), '')) from ${sql.table(name)} x) as h`,
    );
    const rows = await sql<{ n: string; h: string }>`${sql.join(parts, sql` union all `)}`.execute(db);
    for (const r of rows.rows) out[r.n] = r.h;
    return out;
  }
  for (const name of tables) {
    const rows = await sql<Record<string, unknown>>`select * from ${sql.table(name)}`.execute(db);
    const lines = rows.rows.map((r) =>
      JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    );
    out[name] = createHash('sha256').update(lines.sort().join('\n')).digest('hex');
  }
  return out;
}

const tenantTables = new WeakMap<Db, string[]>();

/** The digest of one tenant's rows (every table with a `tenant_id`): what another tenant must never change. */
export async function tenantFingerprint(
  db: Db,
  tenantId: number,
  pgSchema?: string,
): Promise<Record<string, string>> {
  let tables = tenantTables.get(db);
  if (!tables) {
    tables = (await db.introspection.getTables())
      .filter((t) => !VOLATILE.has(t.name) && (!pgSchema || t.schema === pgSchema))
      .filter((t) => t.columns.some((c) => c.name === 'tenant_id'))
      .map((t) => t.name)
      .sort();
    tenantTables.set(db, tables);
  }
  const out: Record<string, string> = {};
  for (const name of tables) {
    const rows = await sql<
      Record<string, unknown>
    >`select * from ${sql.table(name)} where tenant_id = ${tenantId}`.execute(db);
    const lines = rows.rows.map((r) =>
      JSON.stringify(r, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v)),
    );
    out[name] = createHash('sha256').update(lines.sort().join('\n')).digest('hex');
  }
  return out;
}
