import type { Kysely } from 'kysely';
import { type Dialect, type PortableMigration, notNull } from './helpers.js';

/**
 * Console accounts: an agent's console role (null: derived from its OmiCall role name), its sign-in failure
 * count and lockout, and the cookie sessions (stored hashed, so a database dump holds no usable session).
 */
export const consoleAccounts: PortableMigration = {
  async up(db: Kysely<unknown>, _dialect: Dialect) {
    const s = db.schema;
    await s.alterTable('agents').addColumn('console_role', 'text').execute();
    await s
      .alterTable('agents')
      .addColumn('login_failures', 'integer', (c) => c.notNull().defaultTo(0))
      .execute();
    await s.alterTable('agents').addColumn('locked_until', 'bigint').execute();
    await s.alterTable('tenants').addColumn('console_locale', 'text').execute();
    await s
      .createTable('console_sessions')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('tenant_id', 'integer', notNull)
      .addColumn('agent_id', 'integer', notNull)
      .addColumn('csrf', 'text', notNull)
      .addColumn('created_at', 'bigint', notNull)
      .addColumn('expires_at', 'bigint', notNull)
      .execute();
    await s.createIndex('console_sessions_agent').on('console_sessions').column('agent_id').execute();
  },
};
