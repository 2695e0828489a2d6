import { mkdirSync, accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import SQLite from 'better-sqlite3';
import { CompiledQuery, Kysely, PostgresDialect, SqliteDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { FatalConfigError } from '../errors.js';
import type { Database } from './schema.js';
import type { Dialect } from './migrations/helpers.js';
import { migrateToLatest } from './migrate.js';
import { PgCommitWatch } from './pg-commits.js';

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** A database handle or an open transaction: repositories accept either. */
export type Executor = Db | Tx;

export interface Store {
  readonly db: Db;
  readonly dialect: Dialect;
  /** Human-readable location, for logs (never includes a password). */
  readonly location: string;
  migrate(): Promise<string[]>;
  close(): Promise<void>;
  /** PostgreSQL only: the connection pool's clients (total, idle, callers waiting for one), for the metrics. */
  poolStats?(): { total: number; idle: number; waiting: number; max: number };
}

export interface StoreOptions {
  dataDir: string;
  databaseUrl?: string | undefined;
  /** PostgreSQL only: use (and create) this schema, so test runs never see each other's rows. */
  pgSchema?: string;
  poolSize?: number;
}

// COUNT(*) and bigint columns (ms timestamps) come back from pg as strings; they all fit in a double.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === 20) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  },
};

function describePgUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured DATABASE_URL';
  }
}

async function openPostgres(opts: StoreOptions & { databaseUrl: string }): Promise<Store> {
  const where = describePgUrl(opts.databaseUrl);
  const schema = opts.pgSchema;
  if (schema && !/^[a-z_][a-z0-9_]{0,62}$/.test(schema))
    throw new FatalConfigError(`invalid schema name ${schema}`);
  const pool = new pg.Pool({
    connectionString: opts.databaseUrl,
    max: opts.poolSize ?? 10,
    types: pgTypes,
    connectionTimeoutMillis: 5000,
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  const watch = new PgCommitWatch({
    connectionString: opts.databaseUrl,
    connectionTimeoutMillis: 5000,
    // Named, so an operator (or a test) can tell the listening connection in pg_stat_activity.
    application_name: schema ? `tongdai listen ${schema}` : 'tongdai listen',
    ...(schema ? { options: `-c search_path=${schema}` } : {}),
  });
  // Before the first connection: every pooled client's statements must be seen.
  pool.on('connect', (client) => watch.watch(client));
  pool.on('error', () => {
    // An idle client dropped by the server: the pool replaces it; queries report their own errors.
  });
  // A client checked out of the pool has no listener of the pool's: a server restart between two statements of a
  // transaction (57P01) would be an unhandled 'error' event and crash the process. Its next query fails instead,
  // and the pool drops the client when it is released (no longer queryable).
  pool.on('connect', (client) => {
    client.on('error', () => undefined);
  });
  try {
    const client = await pool.connect();
    try {
      if (schema) await client.query(`create schema if not exists ${schema}`);
      await client.query('select 1');
    } finally {
      client.release();
    }
  } catch (e) {
    await pool.end().catch(() => undefined);
    const msg = e instanceof Error ? e.message : String(e);
    throw new FatalConfigError(
      `cannot connect to PostgreSQL at ${where}: ${msg} (check DATABASE_URL and that the server is running)`,
    );
  }
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  await watch.start();
  watches.set(db, watch);
  return {
    db,
    dialect: 'postgres',
    location: `postgres://${where}${schema ? ` (schema ${schema})` : ''}`,
    migrate: () => migrateToLatest(db as Kysely<unknown>, 'postgres'),
    close: async () => {
      watches.delete(db);
      await watch.close();
      await db.destroy();
    },
    poolStats: () => ({
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
      max: opts.poolSize ?? 10,
    }),
  };
}

function openSqlite(opts: StoreOptions): Store {
  const dir = opts.dataDir;
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, constants.W_OK);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new FatalConfigError(
      `data directory ${dir} is not writable: ${msg} (set TONGDAI_DATA to another path)`,
    );
  }
  const file = join(dir, 'tongdai.db');
  let sqlite: SQLite.Database;
  try {
    sqlite = new SQLite(file);
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.prepare('select count(*) from sqlite_master').get();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new FatalConfigError(
      `cannot open the database ${file}: ${msg} (the data directory may be corrupt or from another program; ` +
        `move it aside or point TONGDAI_DATA elsewhere — nothing was changed)`,
    );
  }
  cacheStatements(sqlite);
  const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
  let reader: SQLite.Database | undefined;
  let version: SQLite.Statement | undefined;
  const open = () => {
    // Opened on first use, after migrations created the tables; WAL lets it read beside the writer.
    reader = new SQLite(file, { readonly: true });
    reader.pragma('busy_timeout = 5000');
    cacheStatements(reader);
    version = reader.prepare('pragma data_version').pluck();
    return reader;
  };
  readers.set(db, {
    all: (source, params) => (reader ?? open()).prepare(source).all(params),
    version: () => {
      if (!version) open();
      return version!.get() as number;
    },
  });
  return {
    db,
    dialect: 'sqlite',
    location: file,
    migrate: () => migrateToLatest(db as Kysely<unknown>, 'sqlite'),
    close: async () => {
      readers.delete(db);
      reader?.close();
      await db.destroy();
    },
  };
}

interface SyncReader {
  all(source: string, params: readonly unknown[]): unknown[];
  version(): number;
}

/** Embedded stores' second, read-only connection, for the hot reads of `readCommitted`. */
const readers = new WeakMap<Db, SyncReader>();
/** PostgreSQL stores' commit notifications, their `committedVersion`. */
const watches = new WeakMap<Db, PgCommitWatch>();

/**
 * Run a read-only compiled query against committed data. On SQLite it runs synchronously on a second, read-only
 * connection: in WAL mode that connection sees the last committed state without waiting for (or seeing the
 * uncommitted rows of) a transaction open on the main connection, and it skips Kysely's connection mutex and
 * promise chain, which cost several times more than a primary-key lookup. On PostgreSQL every pooled query
 * already reads committed data, so it is an ordinary query.
 */
export async function readCommitted<R>(db: Db, source: string, params: readonly unknown[]): Promise<R[]> {
  const read = readers.get(db);
  if (read) return read.all(source, params) as R[];
  const { rows } = await db.executeQuery<R>(CompiledQuery.raw(source, [...params]));
  return rows;
}

const STATEMENT_CACHE_SIZE = 1000;

/**
 * Kysely asks better-sqlite3 to prepare every query anew, which costs more than running a small one; keep prepared
 * statements by SQL text. Safe because Kysely runs one query at a time on its single SQLite connection.
 */
function cacheStatements(sqlite: SQLite.Database): void {
  const prepare = sqlite.prepare.bind(sqlite);
  const cache = new Map<string, SQLite.Statement>();
  sqlite.prepare = ((source: string) => {
    let stmt = cache.get(source);
    if (!stmt) {
      stmt = prepare(source);
      if (cache.size >= STATEMENT_CACHE_SIZE) cache.clear();
      cache.set(source, stmt);
    }
    return stmt;
  }) as typeof sqlite.prepare;
}

/** Open the embedded SQLite store, or PostgreSQL when a DATABASE_URL is given. */
export async function openStore(opts: StoreOptions): Promise<Store> {
  return opts.databaseUrl ? openPostgres({ ...opts, databaseUrl: opts.databaseUrl }) : openSqlite(opts);
}

/** Run `fn` in one transaction. */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}

/** The number of rows an aggregate returned, normalised across dialects. */
export const countAll = () => sql<number>`count(*)`;

/** True when `e` is a unique-constraint violation on either dialect. */
export function isUniqueViolation(e: unknown): boolean {
  const code = (e as { code?: string } | null)?.code;
  return code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/**
 * A number that changes whenever anything commits to the embedded database: this process's writes, the CLI's,
 * another process's (SQLite's `data_version`, read on the read-only connection, ~4 µs). Read it before the data
 * it guards, so a result is never tagged newer than it is, and drop memoised results when it moves. On PostgreSQL
 * it moves after each commit that wrote a table the memoised reads use (`PgCommitWatch`: this process's own
 * commits at once, every other writer's by notification), and is undefined while notifications may be missed:
 * callers read afresh then.
 */
export function committedVersion(db: Db): number | undefined {
  return readers.get(db)?.version() ?? watches.get(db)?.version();
}

/** PostgreSQL only: the store's commit watch, whose status notifications keep `PgLiveStatuses` current. */
export function commitWatch(db: Db): PgCommitWatch | undefined {
  return watches.get(db);
}

/**
 * Results of reads memoised until the next commit to the database (see `committedVersion`): a hot read of data
 * that rarely changes (an API key, a page of the agent list) costs one counter read instead of its queries. On
 * PostgreSQL only commits to the tables of migration 0020 move the version: memoise reads of those tables only.
 * Bounded: past `max` entries it starts over.
 */
export class CommitMemo<V> {
  private version: number | undefined;
  private readonly entries = new Map<string, V>();
  private readonly loading = new Map<string, { version: number; value: Promise<V> }>();

  constructor(
    private readonly db: Db,
    private readonly max = 10_000,
  ) {}

  /**
   * The memoised value of `key`, or `read()`'s. `seen` is a version the caller already read in this request (so
   * one request pays for one counter read): the answer is then consistent with the database as of that read.
   */
  async get(key: string, read: () => Promise<V>, seen = committedVersion(this.db)): Promise<V> {
    const v = seen;
    if (v === undefined) return read();
    if (this.version === undefined || v > this.version) {
      this.entries.clear();
      this.loading.clear();
      this.version = v;
    } else if (v < this.version) {
      // The memo already moved past the caller's version: read afresh, keep the newer entries.
      return read();
    }
    const hit = this.entries.get(key);
    if (hit !== undefined) return hit;
    // Concurrent misses at one version share one read (after a commit, every request in flight misses at once).
    let loading = this.loading.get(key);
    if (loading?.version !== v) {
      const p = read();
      loading = { version: v, value: p };
      this.loading.set(key, loading);
      const own = loading;
      void p.then(
        (value) => {
          if (this.loading.get(key) === own) this.loading.delete(key);
          // Another commit while reading: the value may be newer than `v`, which only costs a re-read next time.
          if (this.version === v) {
            if (this.entries.size >= this.max) this.entries.clear();
            this.entries.set(key, value);
          }
        },
        () => {
          if (this.loading.get(key) === own) this.loading.delete(key);
        },
      );
    }
    return loading.value;
  }
}

/**
 * Compile a hot read-only query once and run it with fresh arguments through `readCommitted`, skipping Kysely's
 * builder on every call. `build` is
 * called once with sentinel arguments; each compiled parameter equal to a sentinel is replaced by the matching
 * argument at run time, every other parameter keeps its compiled value.
 */
export function precompile<A extends (string | number)[], R>(
  db: Db,
  build: (...args: A) => { compile(): CompiledQuery<R> },
  kinds: readonly ('number' | 'string')[],
): (...args: A) => Promise<R[]> {
  const sentinels = kinds.map((k, i) => (k === 'number' ? -987654321 - i : `\u0000sentinel${i}\u0000`)) as A;
  const compiled = build(...sentinels).compile();
  const slots = compiled.parameters.map((p) => sentinels.indexOf(p as A[number]));
  return (...args: A) => {
    const parameters = compiled.parameters.map((p, i) => (slots[i]! >= 0 ? args[slots[i]!] : p));
    return readCommitted<R>(db, compiled.sql, parameters);
  };
}

/**
 * Compile a hot write once and run it with fresh values, skipping Kysely's builder and compiler on every call (it
 * runs as `db.executeQuery` does: on the writer connection, or a pooled client). `build` is called once with a
 * placeholder in each field of `keys`; each compiled parameter that is a placeholder is replaced by that field of
 * the values at run time, so every field the statement uses must be listed and given (null, never undefined).
 */
export function compileWrite<V extends Record<string, string | number | null>>(
  db: Db,
  keys: readonly (keyof V & string)[],
  build: (v: V) => { compile(): CompiledQuery },
): (values: V) => Promise<void> {
  const marks = Object.fromEntries(keys.map((k, i) => [k, `\u0000field${i}\u0000`])) as unknown as V;
  const compiled = build(marks).compile();
  const slots = compiled.parameters.map((p) => keys.find((k) => marks[k] === p));
  return async (values) => {
    const parameters = compiled.parameters.map((p, i) => {
      const k = slots[i];
      return k === undefined ? p : values[k];
    });
    await db.executeQuery(CompiledQuery.raw(compiled.sql, parameters));
  };
}
