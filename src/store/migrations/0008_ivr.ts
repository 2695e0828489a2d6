import type { Kysely } from 'kysely';
import { type Dialect, type PortableMigration, notNull, withId } from './helpers.js';

/**
 * IVR call flows (docs/ivr.md): one row per flow of a tenant naming its current version, and the versions
 * themselves, immutable (a call in progress keeps the document it started with). A number points to a flow
 * with `numbers.target_type = 'ivr'` and `target_id` the flow's id: no column changes there.
 */
export const ivr: PortableMigration = {
  async up(db: Kysely<unknown>, dialect: Dialect) {
    const s = db.schema;
    await withId(s.createTable('ivr_flows'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('name', 'text', notNull)
      .addColumn('current_version', 'integer', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull)
      .execute();
    await s
      .createIndex('ivr_flows_tenant_name')
      .on('ivr_flows')
      .columns(['tenant_id', 'name'])
      .unique()
      .execute();
    await withId(s.createTable('ivr_flow_versions'), dialect)
      .addColumn('tenant_id', 'integer', (c) => c.notNull().references('tenants.id'))
      .addColumn('flow_id', 'integer', notNull)
      .addColumn('version', 'integer', notNull)
      .addColumn('document', 'text', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await s
      .createIndex('ivr_flow_versions_flow')
      .on('ivr_flow_versions')
      .columns(['tenant_id', 'flow_id', 'version'])
      .unique()
      .execute();
  },
};
