import { type Kysely, sql } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/** The tables whose rows memoised reads depend on (API keys with their tenant's limits, the agent list). */
export const NOTIFYING_TABLES = [
  'tenants',
  'agents',
  'api_keys',
  'queue_members',
  'statuses',
  'outbound_queues',
] as const;

/**
 * PostgreSQL only: every transaction that writes one of these tables, whoever runs it (any node, the CLI, plain
 * SQL), notifies `tongdai_commit` with its schema when it commits. A node listening there knows when its memoised
 * reads may be stale without a round trip per request (src/store/pg-commits.ts). Statement-level triggers with one
 * payload: PostgreSQL folds a transaction's identical notifications into one. SQLite has `data_version` instead.
 */
export const commitNotify: PortableMigration = {
  async up(db: Kysely<unknown>, dialect: Dialect) {
    if (dialect !== 'postgres') return;
    await sql`
      create or replace function tongdai_commit_notify() returns trigger language plpgsql as $$
      begin
        perform pg_notify('tongdai_commit', tg_table_schema);
        return null;
      end $$`.execute(db);
    for (const table of NOTIFYING_TABLES)
      await sql`
        create trigger ${sql.raw(`${table}_commit_notify`)} after insert or update or delete or truncate
        on ${sql.table(table)} for each statement execute function tongdai_commit_notify()`.execute(db);
  },
};
