import type { Kysely } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/**
 * Tenant ownership behind Kamailio (docs/cluster.md): each telephony node advertises the SIP host:port the edge
 * reaches it at, so a node that does not own a tenant can redirect (302) the tenant's carrier calls to the owner.
 * Null until the node's SIP transport is bound (and for nodes of older versions: never redirected to).
 */
export const clusterNodes: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema.alterTable('telephony_nodes').addColumn('sip_address', 'text').execute();
  },
};
