import type { Kysely } from 'kysely';
import { type Dialect, type PortableMigration, notNull, withId } from './helpers.js';

/**
 * Voicemail as an IVR branch (docs/ivr.md "Voicemail"): the message is a recording like any call's (same row in
 * `recordings`, same pipeline, storage, retention and signed links); this table says which recordings are
 * voicemails, for which call, mailbox and caller.
 */
export const voicemails: PortableMigration = {
  async up(db: Kysely<unknown>, dialect: Dialect) {
    await withId(db.schema.createTable('voicemails'), dialect)
      .addColumn('tenant_id', 'integer', notNull)
      .addColumn('call_id', 'text', notNull)
      .addColumn('recording_id', 'integer', notNull)
      /** The flow's mailbox name (null: the flow named none). */
      .addColumn('mailbox', 'text')
      .addColumn('caller_number', 'text', notNull)
      .addColumn('duration_ms', 'integer', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .execute();
    await db.schema
      .createIndex('voicemails_tenant_created')
      .on('voicemails')
      .columns(['tenant_id', 'created_at'])
      .execute();
    await db.schema
      .createIndex('voicemails_call')
      .on('voicemails')
      .columns(['tenant_id', 'call_id'])
      .execute();
  },
};
