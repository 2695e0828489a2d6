/**
 * Spec-driven fuzzing: every operation /openapi.json publishes gets FUZZ_RUNS generated requests (CI default 200 on either store;
 * `npm run fuzz` runs 5,000) from its own schemas plus hostile values, on the storage the environment names.
 * Each answer must be below 500, within 10 s, free of stack traces, in the family's error shape when it is an
 * error, a 401 when the credential was missing or broken, and a refused write must leave every row as it was.
 * The seed is printed; FUZZ_SEED=<seed> replays a run exactly.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { updateTenantLimits } from '../../src/domain/tenants.js';
import { type TestServer, startTestServer, storageKind } from '../helpers/harness.js';
import { type Case, type Hints, caseArb } from './arbitraries.js';
import {
  type Answer,
  BAD_CREDENTIALS,
  STACK_TRACE,
  authorize,
  deauthorize,
  demoCreds,
  errorShapeProblem,
  send,
} from './families.js';
import { fingerprint } from './fingerprint.js';
import { type Route, loadRoutes, routeName } from './spec.js';

/** CI's count keeps this file near three minutes on either store (189 s SQLite in a parallel CI run, 139 s PostgreSQL alone); `npm run fuzz` sets FUZZ_RUNS=5000. */
const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = Number(process.env.FUZZ_SEED ?? 20260318);

/** What is wrong with `a` as the answer to case `c` on `route`, or null. */
function problem(route: Route, c: Case, a: Answer): string | null {
  if (a.status >= 500) return `HTTP ${a.status}`;
  if (STACK_TRACE.test(a.text)) return 'a stack trace or source path in the body';
  if (c.mode === 'auth' && a.status !== 401)
    return `HTTP ${a.status} without valid credentials (401 expected)`;
  if (a.status >= 400) {
    const shape = errorShapeProblem(route.family, a.status, a.body);
    if (shape) return `not the ${route.family} error shape: ${shape}`;
  }
  return null;
}

const describeReq = (c: Case) =>
  JSON.stringify({
    mode: c.mode,
    method: c.req.method,
    path: c.req.path.slice(0, 300),
    query: c.req.query.map(([k, v]) => [k.slice(0, 100), v.slice(0, 100)]),
    headers: c.req.headers,
    body: c.req.body === undefined ? undefined : String(c.req.body).slice(0, 300),
  });

describe(`spec-driven fuzz (${storageKind}): ${RUNS} cases per route, seed ${SEED}`, () => {
  let s: TestServer;
  let routes: Route[];
  let hints: Hints;
  const tally = new Map<string, Record<string, number>>();
  before(async () => {
    console.log(`fuzz: FUZZ_SEED=${SEED} FUZZ_RUNS=${RUNS} (${storageKind})`);
    s = await startTestServer();
    routes = await loadRoutes(s.url);
    const { db } = s.t.ctx;
    // Limits far above what the run sends: a 429 would hide the handlers behind the limiter.
    await updateTenantLimits(db, s.demo.tenant_id, { rateLimitTenant: 1e9, rateLimitRoute: 1e9 });
    const queues = await db.selectFrom('inbound_queues').select('id').execute();
    const statuses = await db.selectFrom('statuses').select(['id', 'name']).execute();
    const agents = s.demo.agents;
    hints = {
      id: [...agents.map((a) => a.agent_id), ...queues.map((q) => q.id)].map(String),
      agentId: agents.map((a) => String(a.agent_id)),
      agent_ids: [agents.map((a) => a.agent_id)],
      email: agents.map((a) => a.email),
      identify_info: agents.map((a) => a.email),
      sourceEmail: agents.map((a) => a.email),
      targetEmail: agents.map((a) => a.email),
      domain: [s.demo.sip_domain],
      sipUser: agents.map((a) => a.extension),
      number: [s.demo.hotline, '0909000000'],
      status: statuses.map((x) => x.name),
      created_from: ['2026-01-01', '1767225600'],
      created_to: ['2030-01-01', '1893456000'],
    };
  });
  after(async () => {
    const rows = [...tally].map(([r, t]) => `${r}: ${JSON.stringify(t)}`);
    console.log(`fuzz answers by route (${storageKind}, seed ${SEED}):\n${rows.join('\n')}`);
    await s.close();
  });

  test('every published route: no 5xx, no hang, no stack trace, its family error shape, no half-written row', async (t) => {
    assert.ok(routes.length >= 50, `the spec lists ${routes.length} operations`);
    const creds = demoCreds(s);
    const pgSchema = storageKind === 'postgres' ? s.storage.pgSchema : undefined;
    let known: Record<string, string> | undefined;
    const events: string[] = [];
    s.t.ctx.bus.subscribe((e) => void events.push(e.type));
    for (const [i, route] of routes.entries()) {
      await t.test(routeName(route), async () => {
        const counts: Record<string, number> = {};
        tally.set(routeName(route), counts);
        await fc.assert(
          fc.asyncProperty(caseArb(route, hints, BAD_CREDENTIALS.length), async (c) => {
            if (c.mode === 'auth') {
              deauthorize(c.req);
              Object.assign(c.req.headers, BAD_CREDENTIALS[c.badCredential]);
            } else authorize(route, c.req, creds);
            const writes = route.method !== 'GET';
            // The digest after a refused write is the next case's "before" (nothing else writes in between).
            const before = writes ? (known ??= await fingerprint(s.t.ctx.db, pgSchema)) : {};
            const published = events.length;
            const a = await send(s.url, c.req);
            const key = `${c.mode} ${a.status}`;
            counts[key] = (counts[key] ?? 0) + 1;
            const p = problem(route, c, a);
            assert.equal(p, null, `${p}\nrequest: ${describeReq(c)}\nanswer: ${a.text.slice(0, 500)}`);
            if (writes && a.status >= 400) {
              const after = await fingerprint(s.t.ctx.db, pgSchema);
              assert.deepEqual(
                after,
                before,
                `a refused ${a.status} changed stored rows\nrequest: ${describeReq(c)}`,
              );
              const extra = events.slice(published);
              assert.deepEqual(
                extra,
                [],
                `a refused ${a.status} published events\nrequest: ${describeReq(c)}`,
              );
            } else if (writes) known = undefined;
          }),
          { numRuns: RUNS, seed: SEED + i, endOnFailure: true },
        );
      });
    }
  });
});
