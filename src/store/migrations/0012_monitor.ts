import type { Kysely } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/**
 * Recording control: a recording paused mid-call notes its paused spans (JSON `[{offset_ms, duration_ms}]`, where
 * each starts in the file and how long its silence is) and their total.
 */
export const monitor: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema.alterTable('recordings').addColumn('pauses', 'text').execute();
    await db.schema
      .alterTable('recordings')
      .addColumn('paused_ms', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
  },
};
