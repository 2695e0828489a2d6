import type { Kysely } from 'kysely';
import { type Dialect, type PortableMigration, notNull, withId } from './helpers.js';

/**
 * Skills-based routing (docs/acd.md, Skills): a tenant's skills, agents' proficiencies in them and the skills a
 * queue requires with the steps that relax each requirement. 0015 created `agent_skills` and `queue_skills`
 * keyed by a free-text skill before skills existed as rows; nothing ever wrote them, so they are replaced by
 * tables that reference `skills.id` (a rename then changes nothing else, and another tenant's skill cannot be
 * named by accident).
 */
export const skills: PortableMigration = {
  async up(db: Kysely<unknown>, dialect: Dialect) {
    await withId(db.schema.createTable('skills'), dialect)
      .addColumn('tenant_id', 'integer', notNull)
      .addColumn('name', 'text', notNull)
      .addColumn('description', 'text', (c) => c.notNull().defaultTo(''))
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull)
      .addUniqueConstraint('skills_tenant_name', ['tenant_id', 'name'])
      .execute();
    await db.schema.dropTable('agent_skills').ifExists().execute();
    await db.schema.dropTable('queue_skills').ifExists().execute();
    await db.schema
      .createTable('agent_skills')
      .addColumn('tenant_id', 'integer', notNull)
      .addColumn('agent_id', 'integer', notNull)
      .addColumn('skill_id', 'integer', notNull)
      /** 1–5. */
      .addColumn('proficiency', 'integer', notNull)
      .addPrimaryKeyConstraint('agent_skills_pk', ['agent_id', 'skill_id'])
      .execute();
    await db.schema.createIndex('agent_skills_tenant').on('agent_skills').column('tenant_id').execute();
    await db.schema.createIndex('agent_skills_skill').on('agent_skills').column('skill_id').execute();
    await db.schema
      .createTable('queue_skills')
      .addColumn('tenant_id', 'integer', notNull)
      .addColumn('queue_id', 'integer', notNull)
      .addColumn('skill_id', 'integer', notNull)
      .addColumn('min_proficiency', 'integer', notNull)
      /** JSON `[{"after_sec": 30, "min_proficiency": 2}, …]`: each step lowers the minimum (0 drops it). */
      .addColumn('relax', 'text', (c) => c.notNull().defaultTo('[]'))
      .addPrimaryKeyConstraint('queue_skills_pk', ['queue_id', 'skill_id'])
      .execute();
    await db.schema.createIndex('queue_skills_tenant').on('queue_skills').column('tenant_id').execute();
  },
};
