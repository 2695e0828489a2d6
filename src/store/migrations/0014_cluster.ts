import type { Kysely } from 'kysely';
import { type Dialect, type PortableMigration, notNull } from './helpers.js';

/**
 * Several nodes behind Kamailio (docs/cluster.md): the RFC 3327 Path a registration came through (a JSON array,
 * null when the phone registered directly), and one lease per tenant naming the node that runs its live call
 * state. `token` grows by one at every change of owner: the fencing token a node presents with its writes.
 */
export const cluster: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema.alterTable('sip_registrations').addColumn('path', 'text').execute();
    await db.schema
      .createTable('tenant_leases')
      .addColumn('tenant_id', 'integer', (c) => c.primaryKey())
      .addColumn('node_id', 'text', notNull)
      .addColumn('token', 'bigint', notNull)
      .addColumn('expires_at', 'bigint', notNull)
      .execute();
  },
};
