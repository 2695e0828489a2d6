/**
 * Every route the server answers is either in /openapi.json (so the fuzz suite and the tenancy × scope matrix,
 * both generated from the document, cover it) or one of the documented non-API surfaces below. A family route
 * registered with `schema.hide`, or a family path the document lost, fails here by name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { registeredRoutes } from '../../src/http/server.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { loadRoutes, routeName } from './spec.js';

/** Surfaces that are not an API family, each with why it is outside the document. */
const OUTSIDE_SPEC: { prefix: RegExp; why: string }[] = [
  { prefix: /^\/(healthz|readyz|openapi\.json|metrics)$/, why: 'probes and the document itself' },
  { prefix: /^\/docs(\/|$)/, why: 'the API reference UI (@fastify/swagger-ui)' },
  { prefix: /^\/console\/api\//, why: 'the console’s own session-cookie API (docs/console.md)' },
  { prefix: /^\/(|app\/\*|vendor\/:file|sip)$/, why: 'the console’s static files and the SIP WebSocket' },
];

/** `/api/agents/:id` → `/api/agents/{id}` (the document's form). */
const openApiPath = (url: string) => url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');

describe('the OpenAPI document covers every API route', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(async () => {
    await s?.close();
  });

  it('every registered family route is published; every hidden route is a documented non-API surface', async () => {
    const published = new Set((await loadRoutes(s.url)).map(routeName));
    const table = registeredRoutes(s.t.http);
    assert.ok(table.length > 100, `the route table was read (${table.length} routes)`);
    const gets = new Set(table.filter((r) => r.method === 'GET').map((r) => r.url));
    const missing: string[] = [];
    const unexplained: string[] = [];
    for (const r of table) {
      // Fastify adds a HEAD beside each GET; the document lists the GET.
      if (r.method === 'HEAD' && gets.has(r.url)) continue;
      if (r.method === 'OPTIONS') continue;
      const outside = OUTSIDE_SPEC.some((o) => o.prefix.test(r.url));
      if (r.hidden) {
        if (!outside) unexplained.push(`${r.method} ${r.url}`);
        continue;
      }
      const name = `${r.method} ${openApiPath(r.url)}`;
      if (!published.has(name)) missing.push(name);
    }
    assert.deepEqual(missing, [], 'registered but absent from /openapi.json');
    assert.deepEqual(unexplained, [], 'hidden from /openapi.json without being a documented non-API surface');
  });
});
