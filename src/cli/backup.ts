import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import SQLite from 'better-sqlite3';
import type { Command } from 'commander';
import type { Config } from '../config.js';
import { FatalConfigError } from '../errors.js';
import { printResult } from './output.js';

/**
 * `tongdai backup DIR` and `tongdai restore DIR` (docs/operations.md § Backup and restore). A backup is a directory:
 * the database (an SQLite online backup, or a pg_dump archive), the recordings and hold-music/prompt files, the
 * secret key that opens the encrypted columns, and a manifest saying what is there.
 */
export const MANIFEST = 'manifest.json';
const FORMAT = 'tongdai-backup';
/** Data-directory folders copied as they are: recordings, and uploaded music and prompts. */
const FILE_DIRS = ['recordings', 'media'] as const;
const SQLITE_FILE = 'tongdai.db';
const PG_FILE = 'tongdai.pgdump';
const KEY_FILE = 'secret.key';

export interface Manifest {
  format: typeof FORMAT;
  version: 1;
  created_at: string;
  storage: 'sqlite' | 'postgres';
  database: string;
  /** PostgreSQL: the schema dumped (null: the connection's default). */
  pg_schema: string | null;
  files: Record<string, { files: number; bytes: number }>;
  secret_key: boolean;
}

function tally(dir: string): { files: number; bytes: number } {
  const t = { files: 0, bytes: 0 };
  if (!existsSync(dir)) return t;
  for (const name of readdirSync(dir, { recursive: true, encoding: 'utf8' })) {
    const st = statSync(join(dir, name));
    if (st.isFile()) {
      t.files++;
      t.bytes += st.size;
    }
  }
  return t;
}

function emptyOrMissing(dir: string): boolean {
  return !existsSync(dir) || readdirSync(dir).length === 0;
}

/** The pg_dump / pg_restore command lines for this configuration (printed when the tool is missing). */
export function pgRecipe(cfg: Config, dir: string): { dump: string[]; restore: string[] } {
  const url = cfg.databaseUrl ?? '';
  const schema = cfg.databaseSchema ? ['--schema', cfg.databaseSchema] : [];
  const file = join(dir, PG_FILE);
  return {
    dump: ['pg_dump', '--format=custom', '--no-owner', '--no-privileges', ...schema, '--file', file, url],
    restore: [
      'pg_restore',
      '--clean',
      '--if-exists',
      '--no-owner',
      '--no-privileges',
      '--single-transaction',
      '--dbname',
      url,
      file,
    ],
  };
}

function run(cmd: string[], what: string): void {
  const r = spawnSync(cmd[0]!, cmd.slice(1), { encoding: 'utf8' });
  if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new FatalConfigError(
      `${cmd[0]} is not installed (apt-get install postgresql-client); run it yourself: ${cmd.join(' ')}`,
    );
  }
  if (r.status !== 0)
    throw new FatalConfigError(`${what} failed: ${(r.stderr || r.stdout).trim().split('\n')[0]}`);
}

/** Take a backup of the configured store and data directory into `dir` (which must be empty or missing). */
export async function backup(cfg: Config, target: string): Promise<Manifest> {
  const dir = resolve(target);
  if (!emptyOrMissing(dir))
    throw new FatalConfigError(`backup directory ${dir} is not empty (use a new one)`);
  const storage = cfg.databaseUrl ? 'postgres' : 'sqlite';
  const dbFile = join(cfg.dataDir, SQLITE_FILE);
  if (storage === 'sqlite' && !existsSync(dbFile)) {
    throw new FatalConfigError(`no database at ${dbFile} (set TONGDAI_DATA or --data to the data directory)`);
  }
  mkdirSync(dir, { recursive: true });
  if (storage === 'sqlite') {
    // SQLite's online backup: a consistent snapshot while the server keeps writing (WAL).
    const src = new SQLite(dbFile, { readonly: true, fileMustExist: true });
    try {
      await src.backup(join(dir, SQLITE_FILE));
    } finally {
      src.close();
    }
  } else {
    run(pgRecipe(cfg, dir).dump, 'pg_dump');
  }
  // Files after the database: every recording row in the snapshot has its file (a newer file without a row is
  // harmless; an unfinished one is completed from its file at the restored server's first start).
  const files: Manifest['files'] = {};
  for (const d of FILE_DIRS) {
    const from = join(cfg.dataDir, d);
    if (existsSync(from)) cpSync(from, join(dir, d), { recursive: true });
    files[d] = tally(join(dir, d));
  }
  const key = join(cfg.dataDir, KEY_FILE);
  const hasKey = !cfg.secretKey && existsSync(key);
  if (hasKey) cpSync(key, join(dir, KEY_FILE));
  const manifest: Manifest = {
    format: FORMAT,
    version: 1,
    created_at: new Date().toISOString(),
    storage,
    database: storage === 'sqlite' ? SQLITE_FILE : PG_FILE,
    pg_schema: cfg.databaseSchema ?? null,
    files,
    secret_key: hasKey,
  };
  writeFileSync(join(dir, MANIFEST), JSON.stringify(manifest, null, 2) + '\n', { mode: 0o600 });
  return manifest;
}

function readManifest(dir: string): Manifest {
  const file = join(dir, MANIFEST);
  let m: Partial<Manifest>;
  try {
    m = JSON.parse(readFileSync(file, 'utf8')) as Partial<Manifest>;
  } catch {
    throw new FatalConfigError(`${dir} is not a tongdai backup (no readable ${MANIFEST})`);
  }
  if (m.format !== FORMAT || m.version !== 1)
    throw new FatalConfigError(`${file} is not a tongdai backup manifest (version 1)`);
  return m as Manifest;
}

/** Restore a backup into the configured store and data directory. The server must be stopped. */
export async function restore(cfg: Config, source: string, force: boolean): Promise<Manifest> {
  const dir = resolve(source);
  const m = readManifest(dir);
  const storage = cfg.databaseUrl ? 'postgres' : 'sqlite';
  if (m.storage !== storage) {
    throw new FatalConfigError(
      `the backup holds a ${m.storage} database but this configuration uses ${storage}` +
        (m.storage === 'postgres' ? ' (set DATABASE_URL)' : ' (unset DATABASE_URL)'),
    );
  }
  mkdirSync(cfg.dataDir, { recursive: true });
  const present = [SQLITE_FILE, ...FILE_DIRS, KEY_FILE].filter((f) => existsSync(join(cfg.dataDir, f)));
  if (present.length > 0 && !force) {
    throw new FatalConfigError(
      `data directory ${cfg.dataDir} already holds ${present.join(', ')}; restore into an empty one, or pass --force ` +
        'to move them aside (renamed *.before-restore-<time>)',
    );
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  if (storage === 'sqlite') {
    const from = join(dir, SQLITE_FILE);
    const check = new SQLite(from, { readonly: true, fileMustExist: true });
    try {
      const ok = check.pragma('integrity_check', { simple: true });
      if (ok !== 'ok') throw new FatalConfigError(`${from} fails SQLite's integrity check: ${String(ok)}`);
    } finally {
      check.close();
    }
  } else {
    run(pgRecipe(cfg, dir).restore, 'pg_restore');
  }
  for (const f of present)
    renameSync(join(cfg.dataDir, f), join(cfg.dataDir, `${f}.before-restore-${stamp}`));
  for (const suffix of ['-wal', '-shm']) rmSync(join(cfg.dataDir, SQLITE_FILE + suffix), { force: true });
  if (storage === 'sqlite') cpSync(join(dir, SQLITE_FILE), join(cfg.dataDir, SQLITE_FILE));
  for (const d of FILE_DIRS) {
    if (existsSync(join(dir, d))) cpSync(join(dir, d), join(cfg.dataDir, d), { recursive: true });
  }
  if (m.secret_key) cpSync(join(dir, KEY_FILE), join(cfg.dataDir, KEY_FILE));
  return m;
}

/** Register `backup` and `restore` on the CLI (src/cli/main.ts). */
export function registerBackupCommands(
  program: Command,
  deps: { config(): Config; json(): boolean | undefined },
): void {
  program
    .command('backup')
    .description(
      'back up the database (SQLite online backup, or pg_dump), recordings, music and the secret key',
    )
    .argument('<dir>', 'a new or empty directory to write the backup into')
    .action(async (dir: string) => {
      const m = await backup(deps.config(), dir);
      const files = Object.entries(m.files).map(([d, t]) => `${d}: ${t.files} files, ${t.bytes} bytes`);
      printResult(
        deps.json(),
        { backup: resolve(dir), ...m },
        [`backed up to ${resolve(dir)} (${m.storage})`, ...files].join('\n'),
      );
    });
  program
    .command('restore')
    .description('restore a backup made by `tongdai backup` into the data directory (stop the server first)')
    .argument('<dir>', 'the backup directory')
    .option('--force', 'move what the data directory already holds aside instead of refusing')
    .action(async (dir: string, o: { force?: boolean }) => {
      const cfg = deps.config();
      const m = await restore(cfg, dir, o.force === true);
      printResult(
        deps.json(),
        { restored: resolve(dir), data_dir: cfg.dataDir, storage: m.storage, created_at: m.created_at },
        `restored the backup of ${m.created_at} into ${cfg.dataDir}`,
      );
    });
}
