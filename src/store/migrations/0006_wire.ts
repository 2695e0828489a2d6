import { type Kysely, sql } from 'kysely';
import { hex24 } from '../../ids.js';
import type { Dialect, PortableMigration } from './helpers.js';

/** The OmiCall document's role names (src/domain/roles.ts DOCUMENT_ROLES, copied: a migration never changes). */
const DOCUMENT_ROLES = ['Sale', 'Trưởng nhóm sale', 'Trưởng phòng Kinh Doanh', 'Kế toán', 'Giám đốc'];

/**
 * Wire fidelity (issue 12):
 * - every existing tenant gets the OmiCall document's roles it lacks (new tenants get them at creation), and
 *   "Sale" becomes the default of a tenant that has no default role;
 * - bearer tokens remember the API key that obtained them (`GET /api/auth`) and the scopes they carry, so a token
 *   never outgrows its key and dies with it.
 */
export const wire: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema.alterTable('access_tokens').addColumn('scopes', 'text').execute();
    await db.schema.alterTable('access_tokens').addColumn('api_key_id', 'integer').execute();

    await addDocumentRoles(db);
  },
};

/** Give every tenant the document's roles it lacks; "Sale" becomes the default where a tenant has none. */
export async function addDocumentRoles(db: Kysely<unknown>): Promise<void> {
  const tenants = await sql<{ id: number }>`select id from tenants order by id`.execute(db);
  const now = Date.now();
  for (const { id } of tenants.rows) {
    const roles = await sql<{
      id: number;
      name: string;
      is_default: number;
    }>`select id, name, is_default from roles where tenant_id = ${id}`.execute(db);
    const have = new Set(roles.rows.map((r) => r.name.toLocaleLowerCase()));
    const hasDefault = roles.rows.some((r) => Number(r.is_default) === 1);
    for (const name of DOCUMENT_ROLES) {
      if (have.has(name.toLocaleLowerCase())) continue;
      const isDefault = !hasDefault && name === 'Sale' ? 1 : 0;
      await sql`insert into roles (tenant_id, uid, name, permissions, is_default, created_at)
        values (${id}, ${hex24()}, ${name}, '[]', ${isDefault}, ${now})`.execute(db);
    }
    const ownSale = roles.rows.find((r) => r.name.toLocaleLowerCase() === 'sale');
    if (!hasDefault && ownSale)
      await sql`update roles set is_default = 1 where id = ${ownSale.id}`.execute(db);
    await sql`update tenants set revision = revision + 1 where id = ${id}`.execute(db);
  }
}
