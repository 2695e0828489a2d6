import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { Tongdai } from '../../src/app.js';
import type { FakeClock } from '../../src/clock.js';
import type { DemoInfo } from '../../src/domain/demo.js';
import { type Storage, newStorage, startTestServer } from '../helpers/harness.js';

export { newStorage };

export type { Storage } from '../helpers/harness.js';

export interface Instance {
  t: Tongdai;
  url: string;
  demo: DemoInfo;
}

/** Start an instance on `storage` (the shared harness); `outboxWorker: false` leaves the worker to the test. */
export async function startOn(
  storage: Storage,
  opts: { clock: FakeClock; outboxWorker?: boolean },
): Promise<Instance> {
  const s = await startTestServer({ storage, clock: opts.clock, outboxWorker: opts.outboxWorker ?? true });
  return { t: s.t, url: s.url, demo: s.demo };
}

export const dropStorage = (storage: Storage): Promise<void> => storage.remove();

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
