import type { Kysely } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/**
 * A call's transfer history on its record (JSON list of `{at, from_agent_id, to_kind, to_agent_id, to_queue_id,
 * to_number, to, by, outcome, status, settled_at}`, src/domain/call-transfers.ts), written when the call ends.
 */
export const transfers: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    await db.schema.alterTable('calls').addColumn('transfers', 'text').execute();
  },
};
