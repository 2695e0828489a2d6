/**
 * Slow bodies: an authenticated request whose body never finishes is cut off at the request timeout with a 408 in
 * its family's error shape (the request line is known by then). One route with a body per family, all at once,
 * so the file takes the 30 s timeout once.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { updateTenantLimits } from '../../src/domain/tenants.js';
import { CONNECTIONS_CHECK_MS, REQUEST_TIMEOUT_MS } from '../../src/http/wire.js';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';
import { type Req, authorize, demoCreds, errorShapeProblem } from '../fuzz/families.js';
import { type Route, loadRoutes } from '../fuzz/spec.js';

/** Send `head` and a first part of the body, never the rest; resolve with what came back and when. */
function slowBody(port: number, head: string, part: string, ms: number) {
  return new Promise<{ text: string; elapsedMs: number }>((resolve) => {
    const t0 = Date.now();
    let text = '';
    const sock = connect({ port, host: '127.0.0.1' }, () => sock.write(head + part));
    const done = () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, elapsedMs: Date.now() - t0 });
    };
    const timer = setTimeout(done, ms);
    sock.on('data', (c: Buffer) => (text += c.toString('latin1')));
    sock.on('close', done);
    sock.on('error', () => undefined);
  });
}

/** The request line and headers of `req`, announcing `length` body bytes. */
function headOf(req: Req, length: number): string {
  const q = req.query.length > 0 ? `?${new URLSearchParams(req.query).toString()}` : '';
  const lines = Object.entries(req.headers).map(([k, v]) => `${k}: ${v}`);
  return `${req.method} ${req.path}${q} HTTP/1.1\r\nHost: x\r\n${lines.join('\r\n')}\r\nContent-Length: ${length}\r\n\r\n`;
}

describe(`slow requests (${storageKind})`, () => {
  let s: TestServer;
  let routes: Route[];
  before(async () => {
    s = await startTestServer();
    routes = await loadRoutes(s.url);
    await updateTenantLimits(s.t.ctx.db, s.demo.tenant_id, { rateLimitTenant: 1e9, rateLimitRoute: 1e9 });
  });
  after(() => s.close());

  test(`a body that never finishes: 408 in the family shape within ${REQUEST_TIMEOUT_MS / 1000} s + 2 sweeps`, async () => {
    const port = Number(new URL(s.url).port);
    const targets = ['native', 'alohub', 'omicall', 'ccai', 'antbuddy']
      .map((f) => routes.find((r) => r.family === f && r.body && r.method !== 'GET'))
      .filter((r): r is Route => r !== undefined);
    assert.equal(targets.length, 5, 'one body route per family');
    const results = await Promise.all(
      targets.map(async (route) => {
        const req: Req = {
          method: route.method,
          path: route.path.replace(/\{\w+\}/g, '1'),
          query: [],
          headers: { 'content-type': 'application/json' },
        };
        authorize(route, req, demoCreds(s));
        const r = await slowBody(Number(port), headOf(req, 1000), '{"a": ', REQUEST_TIMEOUT_MS + 15_000);
        return { route, ...r };
      }),
    );
    for (const { route, text, elapsedMs } of results) {
      const where = `${route.method} ${route.path}`;
      const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
      assert.equal(status, 408, `${where}: ${text.slice(0, 300)}`);
      const body = JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;
      assert.equal(errorShapeProblem(route.family, 408, body), null, `${where}: ${text}`);
      assert.ok(elapsedMs >= REQUEST_TIMEOUT_MS - 100, `${where}: not before the timeout (${elapsedMs} ms)`);
      // Node sweeps every CONNECTIONS_CHECK_MS; a loaded machine may run a sweep late: allow 10 s.
      assert.ok(elapsedMs < REQUEST_TIMEOUT_MS + CONNECTIONS_CHECK_MS + 10_000, `${where}: ${elapsedMs} ms`);
    }
    assert.equal((await call(`${s.url}/healthz`)).status, 200, 'the server serves on');
  });
});

describe(`idle keep-alive connections (${storageKind})`, () => {
  let s: TestServer;
  const KEEP_ALIVE_MS = 1500;
  before(async () => {
    s = await startTestServer({ demo: false, env: { HTTP_KEEPALIVE_TIMEOUT_MS: String(KEEP_ALIVE_MS) } });
  });
  after(() => s.close());

  test('a keep-alive connection idle after its response is closed at HTTP_KEEPALIVE_TIMEOUT_MS, not held', async () => {
    const port = Number(new URL(s.url).port);
    const t0 = Date.now();
    let answeredAt = 0;
    let text = '';
    const closedAfterMs = await new Promise<number>((resolve, reject) => {
      const sock = connect({ port, host: '127.0.0.1' }, () =>
        sock.write('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: keep-alive\r\n\r\n'),
      );
      const guard = setTimeout(() => {
        sock.destroy();
        reject(new Error(`still open ${Date.now() - t0} ms later`));
      }, KEEP_ALIVE_MS + 20_000);
      sock.on('data', (c: Buffer) => {
        text += c.toString('latin1');
        answeredAt ||= Date.now();
      });
      sock.on('close', () => {
        clearTimeout(guard);
        resolve(Date.now() - (answeredAt || t0));
      });
      sock.on('error', () => undefined);
    });
    assert.match(text, /^HTTP\/1\.1 200/, 'the request was answered first');
    assert.match(
      text,
      /keep-alive: timeout=1/i,
      'the timeout is announced (Keep-Alive: timeout, in seconds)',
    );
    assert.ok(closedAfterMs >= KEEP_ALIVE_MS - 100, `not before the timeout (${closedAfterMs} ms)`);
    // A loaded machine runs timers late: allow 10 s beyond the timeout.
    assert.ok(closedAfterMs < KEEP_ALIVE_MS + 10_000, `closed ${closedAfterMs} ms after the response`);
  });
});
