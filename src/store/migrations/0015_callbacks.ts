import type { Kysely } from 'kysely';
import { type Dialect, type PortableMigration, notNull, withId } from './helpers.js';

/**
 * The caller's side of a queue (docs/ivr.md): the language its announcements speak, queued callback settings
 * and the callbacks themselves (they outlive the call and a restart), and skills — agents' proficiencies and
 * the skills a queue requires, with the wait after which a requirement is relaxed.
 */
export const callbacks: PortableMigration = {
  async up(db: Kysely<unknown>, dialect: Dialect) {
    await db.schema
      .alterTable('inbound_queues')
      .addColumn('announce_language', 'text', (c) => c.notNull().defaultTo('vi'))
      .execute();
    // SQLite adds one column per ALTER TABLE.
    for (const [name, type, dflt] of [
      ['callback_enabled', 'integer', 0],
      ['callback_key', 'text', '1'],
      ['callback_max_attempts', 'integer', 3],
      ['callback_retry_sec', 'integer', 60],
      ['callback_caller_id', 'text', null],
    ] as const) {
      await db.schema
        .alterTable('inbound_queues')
        .addColumn(name, type, (c) => (dflt === null ? c : c.notNull().defaultTo(dflt)))
        .execute();
    }
    await withId(db.schema.createTable('callbacks'), dialect)
      .addColumn('tenant_id', 'integer', notNull)
      .addColumn('queue_id', 'integer', notNull)
      .addColumn('number', 'text', notNull)
      /** The call whose caller asked; their place in the queue is `entered_at`. */
      .addColumn('call_id', 'text', notNull)
      .addColumn('entered_at', 'bigint', notNull)
      /** The number the customer sees when called back: the queue's callback caller id, else the DID they dialled. */
      .addColumn('caller_id', 'text', notNull)
      /** waiting | offered | dialing | retry_wait | completed | failed */
      .addColumn('state', 'text', notNull)
      .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
      .addColumn('next_attempt_at', 'bigint')
      .addColumn('agent_id', 'integer')
      .addColumn('outcome', 'text')
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('updated_at', 'bigint', notNull)
      .execute();
    await db.schema
      .createIndex('callbacks_tenant_state')
      .on('callbacks')
      .columns(['tenant_id', 'state'])
      .execute();
    await db.schema
      .createTable('agent_skills')
      .addColumn('tenant_id', 'integer', notNull)
      .addColumn('agent_id', 'integer', notNull)
      .addColumn('skill', 'text', notNull)
      .addColumn('proficiency', 'integer', notNull)
      .addPrimaryKeyConstraint('agent_skills_pk', ['agent_id', 'skill'])
      .execute();
    await db.schema
      .createTable('queue_skills')
      .addColumn('tenant_id', 'integer', notNull)
      .addColumn('queue_id', 'integer', notNull)
      .addColumn('skill', 'text', notNull)
      .addColumn('min_proficiency', 'integer', (c) => c.notNull().defaultTo(1))
      /** After this long waiting, the requirement no longer restricts who is offered the call; null = never. */
      .addColumn('relax_after_sec', 'integer')
      .addPrimaryKeyConstraint('queue_skills_pk', ['queue_id', 'skill'])
      .execute();
  },
};
