import type { Kysely } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/**
 * Recordings at scale (docs/recordings.md): each recording row says in which format it is kept, where its bytes
 * are (`local` data directory or `s3` object storage, with the object key) and its state through the pipeline
 * (recording → encoding → pending upload → stored, or failed). Rows from before keep their WAV on local disk.
 * Tenants choose the stored format (mp3 by default, wav kept available).
 */
export const recordings: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema
      .alterTable('recordings')
      .addColumn('format', 'text', (c) => c.notNull().defaultTo('wav'))
      .execute();
    await db.schema
      .alterTable('recordings')
      .addColumn('state', 'text', (c) => c.notNull().defaultTo('stored'))
      .execute();
    await db.schema
      .alterTable('recordings')
      .addColumn('storage', 'text', (c) => c.notNull().defaultTo('local'))
      .execute();
    await db.schema.alterTable('recordings').addColumn('storage_key', 'text').execute();
    await db.schema.alterTable('recordings').addColumn('node_id', 'text').execute();
    await db.schema.alterTable('recordings').addColumn('state_detail', 'text').execute();
    await db.schema
      .alterTable('tenants')
      .addColumn('recording_format', 'text', (c) => c.notNull().defaultTo('mp3'))
      .execute();
    await db.schema.createIndex('recordings_state').on('recordings').columns(['state']).execute();
  },
};
