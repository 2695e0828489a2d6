import type { Kysely } from 'kysely';
import { type Dialect, type PortableMigration, notNull } from './helpers.js';

/**
 * SIP source blocks (scanner User-Agents, repeated authentication failures) live in a table, so that
 * `tongdai sip blocks list|lift` sees and lifts them while the server runs, and every node shares them.
 */
export const sip: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema
      .createTable('sip_blocks')
      .addColumn('address', 'text', (c) => c.primaryKey())
      .addColumn('reason', 'text', notNull)
      .addColumn('user_agent', 'text')
      .addColumn('blocked_at', 'bigint', notNull)
      .addColumn('until', 'bigint', notNull)
      .execute();
  },
};
