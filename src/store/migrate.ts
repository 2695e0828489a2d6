import { type Kysely, type Migration, type MigrationProvider, Migrator, sql } from 'kysely';
import { FatalConfigError } from '../errors.js';
import type { Dialect, PortableMigration } from './migrations/helpers.js';
import { initial } from './migrations/0001_initial.js';
import { omicall } from './migrations/0003_omicall.js';
import { nodes } from './migrations/0004_nodes.js';
import { reliability } from './migrations/0009_reliability.js';
import { consoleAccounts } from './migrations/0005_console.js';
import { sip } from './migrations/0010_sip.js';
import { recordings } from './migrations/0011_recordings.js';
import { monitor } from './migrations/0012_monitor.js';
import { console2 } from './migrations/0013_console2.js';
import { wire } from './migrations/0006_wire.js';
import { cluster } from './migrations/0014_cluster.js';
import { callbacks } from './migrations/0015_callbacks.js';
import { transfers } from './migrations/0007_transfers.js';
import { liveStatus } from './migrations/0018_live_status.js';
import { ivr } from './migrations/0008_ivr.js';
import { clusterNodes } from './migrations/0017_cluster_nodes.js';
import { skills } from './migrations/0019_skills.js';
import { commitNotify } from './migrations/0020_commit_notify.js';
import { voicemails } from './migrations/0021_voicemails.js';
import { statusNotify } from './migrations/0024_status_notify.js';

// Forward-only: append new entries, never edit or reorder shipped ones.
const MIGRATIONS: Record<string, PortableMigration> = {
  '0001_initial': initial,
  '0003_omicall': omicall,
  '0004_nodes': nodes,
  '0009_reliability': reliability,
  '0005_console': consoleAccounts,
  '0010_sip': sip,
  '0011_recordings': recordings,
  '0012_monitor': monitor,
  '0013_console2': console2,
  '0006_wire': wire,
  '0014_cluster': cluster,
  '0015_callbacks': callbacks,
  '0007_transfers': transfers,
  '0018_live_status': liveStatus,
  '0008_ivr': ivr,
  '0017_cluster_nodes': clusterNodes,
  '0019_skills': skills,
  '0020_commit_notify': commitNotify,
  '0021_voicemails': voicemails,
  '0024_status_notify': statusNotify,
};

class PortableProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    const out: Record<string, Migration> = {};
    for (const [name, m] of Object.entries(MIGRATIONS)) {
      out[name] = { up: (db: Kysely<unknown>) => m.up(db, this.dialect) };
    }
    return out;
  }
}

/** Apply every pending migration; returns the names applied. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect): Promise<string[]> {
  // Unordered: migrations written on parallel branches may land in any order; each still runs exactly once.
  // Kysely looks for its bookkeeping tables in every schema it can see: name ours, or another schema's tables
  // (a parallel test run, another instance sharing the server) are taken for ours and never created here.
  const schema =
    dialect === 'postgres'
      ? (await sql<{ s: string }>`select current_schema() as s`.execute(db)).rows[0]?.s
      : undefined;
  const migrator = new Migrator({
    db,
    provider: new PortableProvider(dialect),
    allowUnorderedMigrations: true,
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  const { error, results } =
    dialect === 'postgres'
      ? await withSchemaLock(db, () => migrator.migrateToLatest())
      : await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName ?? 'unknown';
    const detail = error instanceof Error ? error.message : String(error);
    throw new FatalConfigError(`database migration ${failed} failed: ${detail}`);
  }
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}

/**
 * Session advisory lock taken around migrations and around dropping a schema. Kysely's migrator introspects the
 * tables of every schema on the server (`pg_get_serial_sequence` on each), which fails with "schema … does not
 * exist" when another instance drops its schema at that moment (parallel test files, blue/green deploys).
 */
export const SCHEMA_DDL_LOCK = 74_657_323;

export async function withSchemaLock<T>(db: Kysely<unknown>, fn: () => Promise<T>): Promise<T> {
  return db.connection().execute(async (conn) => {
    await sql`select pg_advisory_lock(${SCHEMA_DDL_LOCK})`.execute(conn);
    try {
      return await fn();
    } finally {
      await sql`select pg_advisory_unlock(${SCHEMA_DDL_LOCK})`.execute(conn);
    }
  });
}
