import type { Kysely } from 'kysely';
import { type Dialect, type PortableMigration, notNull } from './helpers.js';

/**
 * Which node runs each call, and which nodes are alive: crash recovery closes only the calls of its own previous
 * run and of nodes whose heartbeat stopped, never those of another live node on the same database.
 */
export const nodes: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    const s = db.schema;
    await s.alterTable('calls').addColumn('node_id', 'text').execute();
    await s
      .createTable('telephony_nodes')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('started_at', 'bigint', notNull)
      .addColumn('seen_at', 'bigint', notNull)
      .execute();
  },
};
