/**
 * Resource bounds of the HTTP server, on a real socket: the JSON body cap, authentication before the body, the
 * header timeout, and a rate limiter whose 429s spend no budget. The per-address connection cap and idle
 * connections: connections.test.ts; slow bodies: slow-requests.test.ts.
 */
import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { FakeClock } from '../../src/clock.js';
import { updateTenantLimits } from '../../src/domain/tenants.js';
import { HEADERS_TIMEOUT_MS, JSON_BODY_LIMIT } from '../../src/http/wire.js';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';
import { authorize, demoCreds, errorShapeProblem, send } from '../fuzz/families.js';
import { type Route, loadRoutes } from '../fuzz/spec.js';

/** Open a raw socket, write `head`, and resolve with what the server sent until it closed or `ms` passed. */
function raw(port: number, head: string, ms: number, opts: { localAddress?: string } = {}) {
  return new Promise<{ text: string; closed: boolean; elapsedMs: number }>((resolve) => {
    const t0 = Date.now();
    let text = '';
    const sock = connect({ port, host: '127.0.0.1', ...opts }, () => sock.write(head));
    const done = (closed: boolean) => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ text, closed, elapsedMs: Date.now() - t0 });
    };
    const timer = setTimeout(() => done(false), ms);
    sock.on('data', (c: Buffer) => {
      text += c.toString('latin1');
      // A whole JSON answer is enough: the server need not close the socket for the test to judge it.
      const at = text.indexOf('\r\n\r\n');
      const len = Number(/content-length: (\d+)/i.exec(text)?.[1] ?? -1);
      if (at >= 0 && len >= 0 && text.length - at - 4 >= len) done(false);
    });
    sock.on('close', () => done(true));
    sock.on('error', () => undefined);
  });
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const bodyOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as unknown;

describe(`HTTP resource bounds (${storageKind})`, () => {
  let s: TestServer;
  let port: number;
  let routes: Route[];
  /** One route with a JSON body per family, from the published route table. */
  let bodyRoutes: Route[];
  before(async () => {
    s = await startTestServer();
    port = Number(new URL(s.url).port);
    routes = await loadRoutes(s.url);
    bodyRoutes = ['native', 'alohub', 'omicall', 'ccai', 'antbuddy']
      .map((f) => routes.find((r) => r.family === f && r.body))
      .filter((r): r is Route => r !== undefined);
    await updateTenantLimits(s.t.ctx.db, s.demo.tenant_id, { rateLimitTenant: 1e9, rateLimitRoute: 1e9 });
  });
  after(() => s.close());

  test('a JSON body over 256 KiB is refused in the family shape (413; AloHub 400), then the server serves on', async () => {
    for (const route of bodyRoutes) {
      const req = {
        method: route.method,
        path: route.path.replace(/\{\w+\}/g, '1'),
        query: [] as [string, string][],
        headers: { 'content-type': 'application/json' } as Record<string, string>,
        body: JSON.stringify({ pad: 'x'.repeat(JSON_BODY_LIMIT) }),
      };
      authorize(route, req, demoCreds(s));
      const a = await send(s.url, req);
      assert.equal(
        a.status,
        route.family === 'alohub' ? 400 : 413,
        `${route.method} ${route.path}: ${a.text}`,
      );
      assert.equal(errorShapeProblem(route.family, a.status, a.body), null, a.text);
    }
    assert.equal((await call(`${s.url}/healthz`)).status, 200);
  });

  test('anonymous requests announcing 100 MB get 401 before a single body byte is sent', async () => {
    const targets = [...bodyRoutes, routes.find((r) => r.path === '/api/media/moh' && r.method === 'POST')!];
    for (const route of targets) {
      const path = route.path.replace(/\{\w+\}/g, '1') + (route.rawBody ? '?name=x' : '');
      const ctype = route.rawBody ? 'application/octet-stream' : 'application/json';
      const head =
        `${route.method} ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${ctype}\r\n` +
        `Content-Length: ${100 * 1024 * 1024}\r\n\r\n`;
      const r = await raw(port, head, 3000);
      assert.equal(statusOf(r.text), 401, `${route.method} ${path}: ${r.text.slice(0, 200)}`);
      assert.equal(errorShapeProblem(route.family, 401, bodyOf(r.text)), null, r.text);
    }
  });

  test(`headers never finished: 408 with a JSON message within ${HEADERS_TIMEOUT_MS / 1000} s + 1.5 s`, async () => {
    const r = await raw(port, 'GET /v1/agents HTTP/1.1\r\nHost: x\r\nX-Slow: ', HEADERS_TIMEOUT_MS + 5000);
    assert.equal(statusOf(r.text), 408, r.text);
    assert.ok(r.elapsedMs < HEADERS_TIMEOUT_MS + 1500, `cut off after ${r.elapsedMs} ms`);
    // Node times the socket out before a request exists, so the answer is the server-wide JSON shape (the
    // request line's family is not known to Node's timeout path): a JSON body with a message.
    assert.match(String((bodyOf(r.text) as { message?: unknown }).message), /did not arrive in time/);
  });

  test('429s spend no budget: a route held at its limit leaves the tenant budget to the other routes', async () => {
    await updateTenantLimits(s.t.ctx.db, s.demo.tenant_id, { rateLimitTenant: 5, rateLimitRoute: 2 });
    // A fresh 10 s window: the FakeClock only moves when the test moves it.
    (s.clock as FakeClock).advance(10_000);
    const headers = { 'X-Api-Key': s.demo.api_key };
    const onAgents = [];
    for (let i = 0; i < 8; i++) onAgents.push(await call(`${s.url}/api/agents`, { headers }));
    assert.deepEqual(
      onAgents.map((r) => r.status),
      [200, 200, 429, 429, 429, 429, 429, 429],
    );
    assert.equal(onAgents[7]!.headers.get('x-ratelimit-remaining-tenant'), '3', 'six refusals left 3 of 5');
    const onStatuses = [];
    for (let i = 0; i < 4; i++) onStatuses.push((await call(`${s.url}/api/statuses`, { headers })).status);
    assert.deepEqual(onStatuses, [200, 200, 429, 429], 'route limit 2, tenant 5 admitted in all');
    const onTeams = [];
    for (let i = 0; i < 2; i++) onTeams.push((await call(`${s.url}/api/teams`, { headers })).status);
    assert.deepEqual(onTeams, [200, 429], 'the tenant admits exactly its 5, refusals not counted');
  });
});
