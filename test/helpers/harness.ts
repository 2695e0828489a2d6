import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pino from 'pino';
import { createTongdai, type Tongdai } from '../../src/app.js';
import { FakeClock, type Clock } from '../../src/clock.js';
import { type Config, loadConfig } from '../../src/config.js';
import { type DemoInfo, demoCredentials, ensureDemoTenant } from '../../src/domain/demo.js';
import { SCHEMA_DDL_LOCK } from '../../src/store/migrate.js';

/**
 * The integration suite runs on whichever storage the environment names: embedded SQLite by default, PostgreSQL
 * when DATABASE_URL is set (CI's second suite), Redis counters when REDIS_URL is set. Each instance gets its own
 * SQLite directory or PostgreSQL schema, so test files never see each other's rows.
 */
export const storageKind = process.env.DATABASE_URL ? 'postgres' : 'sqlite';

export interface TestServer {
  t: Tongdai;
  /** The environment that points a CLI process (or a second server) at this instance's storage. */
  env: Record<string, string>;
  url: string;
  config: Config;
  clock: Clock;
  demo: DemoInfo;
  storage: Storage;
  close(): Promise<void>;
}

/**
 * Storage that outlives one server: a SQLite data directory and, when DATABASE_URL is set, a PostgreSQL schema.
 * A test can stop an instance (or kill -9 a child process) and start a fresh one on the same data.
 */
export interface Storage {
  dataDir: string;
  pgSchema: string;
  /** The environment a server (in process or a child) needs to run on this storage. */
  env: Record<string, string>;
  remove(): Promise<void>;
}

/** `databaseUrl`: another PostgreSQL than the suite's (a test's private server); undefined: DATABASE_URL. */
export function newStorage(prefix = 'tongdai-test-', databaseUrl = process.env.DATABASE_URL): Storage {
  const dataDir = mkdtempSync(join(tmpdir(), prefix));
  const pgSchema = `t_${randomBytes(6).toString('hex')}`;
  return {
    dataDir,
    pgSchema,
    env: {
      TONGDAI_DATA: dataDir,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl, DATABASE_SCHEMA: pgSchema } : {}),
    },
    async remove() {
      if (databaseUrl) await dropSchema(databaseUrl, pgSchema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The environment of a test server on `storage`: loopback, port 0 everywhere, quiet logs. */
export function serverEnv(storage: Storage, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PORT: '0',
    HOST: '127.0.0.1',
    SIP_PORT: '0',
    SIP_HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    // Every test signs in from 127.0.0.1: a fast machine reaches the default 10 per 10 s within one file.
    // test/console/console.test.ts proves the default limit on a server of its own.
    CONSOLE_LOGIN_PER_10S: '1000',
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
    // Media runs in worker threads by default; CI's PostgreSQL suite runs it in-thread (MEDIA_WORKERS=0, .ci/run).
    ...(process.env.MEDIA_WORKERS ? { MEDIA_WORKERS: process.env.MEDIA_WORKERS } : {}),
    ...storage.env,
    ...extra,
  };
}

export interface TestServerOptions {
  clock?: Clock;
  env?: Record<string, string>;
  /** Seed the demo tenant and issue its credentials (default true). */
  demo?: boolean;
  /** Run on this storage and leave it in place on close (restart tests); otherwise a fresh one, removed on close. */
  storage?: Storage;
  /** Run the outbox worker (default true); false leaves it for the test to drive. */
  outboxWorker?: boolean;
  /** Called before `listen()` (which runs crash recovery): subscribe to the bus here to see recovery's events. */
  beforeListen?: (t: Tongdai) => void;
}

export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const storage = opts.storage ?? newStorage();
  const config = loadConfig(serverEnv(storage, opts.env));
  const clock = opts.clock ?? new FakeClock(Date.now());
  const t = await createTongdai(config, {
    clock,
    logger: pino({ level: config.logLevel }),
    outboxWorker: opts.outboxWorker ?? true,
  });
  opts.beforeListen?.(t);
  const port = await t.listen();
  const url = `http://127.0.0.1:${port}`;
  const demo = opts.demo === false ? (undefined as unknown as DemoInfo) : await seedDemo(t, url);
  return {
    t,
    env: { ...storage.env },
    url,
    config,
    clock,
    demo,
    storage,
    async close() {
      await t.close();
      if (!opts.storage) await storage.remove();
    },
  };
}

/** Seed the demo tenant (idempotent) on a listening instance and issue its credentials. */
export async function seedDemo(t: Tongdai, url: string): Promise<DemoInfo> {
  const deps = {
    db: t.ctx.db,
    clock: t.ctx.clock,
    box: t.ctx.box,
    credentials: t.ctx.credentials,
    httpUrl: url,
    sipPort: t.sipPort,
    publicIp: t.ctx.config.publicIp,
    demoTrunkPort: t.ctx.config.demoTrunkPort,
  };
  const { tenantId } = await ensureDemoTenant(deps);
  return demoCredentials(deps, tenantId);
}

/** Drop a test schema under the lock migrations take, so a concurrent migration never sees it half-gone. */
export async function dropSchema(databaseUrl: string, schema: string): Promise<void> {
  const pg = (await import('pg')).default;
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('select pg_advisory_lock($1)', [SCHEMA_DDL_LOCK]);
    await client.query(`drop schema if exists ${schema} cascade`);
  } finally {
    await client.end();
  }
}

/** fetch + JSON with the status and headers, for terse assertions. */
export async function call(
  url: string,
  init: { method?: string; headers?: Record<string, string | undefined>; body?: unknown } = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const headers: Record<string, string> = {};
  for (const [k, v] of Object.entries(init.headers ?? {})) if (v !== undefined) headers[k] = v;
  let body: string | undefined;
  if (init.body !== undefined) {
    body = typeof init.body === 'string' ? init.body : JSON.stringify(init.body);
    headers['content-type'] ??= 'application/json';
  }
  const res = await fetch(url, { method: init.method ?? 'GET', headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: res.status, body: parsed, headers: res.headers };
}

/** Whether a system tool is on PATH. In CI a missing tool is a failure, on a laptop a clear skip. */
export async function requireTool(name: string): Promise<string | false> {
  const { spawnSync } = await import('node:child_process');
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  if (found.status === 0) return false;
  const pkg: Record<string, string> = {
    sipp: 'sip-tester',
    linphonec: 'linphone-cli',
    pg_dump: 'postgresql-client',
    pg_restore: 'postgresql-client',
  };
  const msg = `${name} is not installed (apt-get install ${pkg[name] ?? name})`;
  if (process.env.CI) throw new Error(`${msg}: CI must have it`);
  return msg;
}
