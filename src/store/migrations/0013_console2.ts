import type { Kysely } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/**
 * Console, second part: the tenant's wallboard thresholds (JSON; null: the defaults in
 * src/domain/console-settings.ts) and an index for the wallboard's "missed offers today" (status history by day).
 */
export const console2: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema.alterTable('tenants').addColumn('console_thresholds', 'text').execute();
    await db.schema
      .createIndex('status_history_tenant_time')
      .on('status_history')
      .columns(['tenant_id', 'created_at'])
      .execute();
  },
};
