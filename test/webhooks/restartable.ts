import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import pino from 'pino';
import { createTongdai, type Tongdai } from '../../src/app.js';
import type { FakeClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { type DemoInfo, demoCredentials, ensureDemoTenant } from '../../src/domain/demo.js';
import { dropSchema } from '../helpers/harness.js';

/**
 * Storage that outlives one server: a SQLite data directory or a PostgreSQL schema, so a test can stop an
 * instance ("crash") and start a fresh one on the same data. Same storage choice as test/helpers/harness.ts.
 */
export interface Storage {
  dataDir: string;
  pgSchema: string;
}

export function newStorage(): Storage {
  return {
    dataDir: mkdtempSync(join(tmpdir(), 'tongdai-restart-')),
    pgSchema: `t_${randomBytes(6).toString('hex')}`,
  };
}

export interface Instance {
  t: Tongdai;
  url: string;
  demo: DemoInfo;
}

/** Start an instance on `storage`; `outboxWorker: false` leaves the worker for the test to drive. */
export async function startOn(
  storage: Storage,
  opts: { clock: FakeClock; outboxWorker?: boolean },
): Promise<Instance> {
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SIP_PORT: '0',
    SIP_HOST: '127.0.0.1',
    TONGDAI_DATA: storage.dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    WEBHOOK_ALLOW_PRIVATE: 'true',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
    ...(process.env.REDIS_URL ? { REDIS_URL: process.env.REDIS_URL } : {}),
  });
  const t = await createTongdai(config, {
    clock: opts.clock,
    logger: pino({ level: config.logLevel }),
    pgSchema: config.databaseUrl ? storage.pgSchema : undefined,
    outboxWorker: opts.outboxWorker ?? true,
  });
  const port = await t.listen();
  const url = `http://127.0.0.1:${port}`;
  const deps = {
    db: t.ctx.db,
    clock: opts.clock,
    box: t.ctx.box,
    credentials: t.ctx.credentials,
    httpUrl: url,
    sipPort: config.sipPort,
    publicIp: config.publicIp,
    demoTrunkPort: config.demoTrunkPort,
  };
  const { tenantId } = await ensureDemoTenant(deps);
  return { t, url, demo: await demoCredentials(deps, tenantId) };
}

export async function dropStorage(storage: Storage): Promise<void> {
  const databaseUrl = process.env.DATABASE_URL;
  if (databaseUrl) await dropSchema(databaseUrl, storage.pgSchema);
  rmSync(storage.dataDir, { recursive: true, force: true });
}

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  status: number;
}

/**
 * A real HTTP webhook receiver on 127.0.0.1:0 answering with the given statuses in turn (then the last);
 * a status of 0 never answers (the sender must give up or be stopped).
 */
export async function startReceiver(statuses: number[] = [200]) {
  const received: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const status = statuses[Math.min(received.length, statuses.length - 1)] ?? 200;
      received.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      if (status === 0) return;
      res.writeHead(status, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Poll `check` (real time) until it returns a value, or fail after `ms`. */
export async function waitFor<T>(check: () => Promise<T | undefined> | T | undefined, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
