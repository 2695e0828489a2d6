import { type Kysely, sql } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/**
 * `tenants.status_version` counts the changes of the tenant's agents' statuses, whoever makes them (the status
 * service, the CLI, another process, plain SQL): on the embedded store a trigger bumps it in the writing
 * transaction, so the AloHub list can serve statuses from memory and still see any other writer on the next
 * request (src/domain/live-statuses.ts). On PostgreSQL the list reads statuses in its one round trip instead, and
 * the column stays 0: a per-tenant counter row would serialise every status change of a tenant across nodes.
 */
export const liveStatus: PortableMigration = {
  async up(db: Kysely<unknown>, dialect: Dialect) {
    await db.schema
      .alterTable('tenants')
      .addColumn('status_version', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    if (dialect !== 'sqlite') return;
    await sql`
      create trigger agents_status_version after update of status, status_id on agents
      for each row when old.status is not new.status or old.status_id is not new.status_id
      begin
        update tenants set status_version = status_version + 1 where id = new.tenant_id;
      end`.execute(db);
  },
};
