import { type Kysely, sql } from 'kysely';
import { type Dialect, type PortableMigration, notNull } from './helpers.js';

/**
 * OmiCall directory and webhook signing: a third-party user id per agent (the `uuid` of `invite`, unique
 * among the tenant's live agents) and one Standard Webhooks signing secret per tenant.
 */
export const omicall: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    const s = db.schema;
    await s.alterTable('agents').addColumn('external_uuid', 'text').execute();
    await s
      .createIndex('agents_tenant_external_uuid')
      .on('agents')
      .columns(['tenant_id', 'external_uuid'])
      .unique()
      .where(sql.ref('deleted_at'), 'is', null)
      .execute();
    await s
      .createTable('webhook_secrets')
      .addColumn('tenant_id', 'integer', (c) => c.primaryKey().references('tenants.id'))
      .addColumn('secret_enc', 'text', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .execute();
  },
};
