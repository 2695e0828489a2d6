import type { Kysely } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/**
 * Which node holds each outbox lease: a node restarting after a crash takes back its own leases at once
 * instead of waiting for them to expire (the node id is `NODE_ID`, by default host name and SIP port).
 */
export const reliability: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema.alterTable('outbox').addColumn('locked_by', 'text').execute();
  },
};
