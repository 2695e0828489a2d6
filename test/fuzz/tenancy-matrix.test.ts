/**
 * The tenant × scope matrix, generated from the route table /openapi.json publishes (`x-scope`, the family, the
 * params): for every route, candidate requests that the victim tenant A's own credential is expected to pass are
 * first sent with every attacker credential, then with A's (the control). Attackers:
 *   - tenant B's credentials, all scopes;
 *   - the same with `X-Tenant-ID`, `tenant`, `team_id` and `account_id` pointing at A;
 *   - A's API key without the route's scope (families whose credential carries scopes);
 *   - A's revoked credentials; A's expired bearer token (the bearer-token routes).
 * Every attacker answer is below 500 and in the family's shape; B's 2xx carry none of A's data; the wrong scope
 * is 403, revoked and expired are 401; A's rows are unchanged after the attackers. Public routes (the signed
 * recording link) authenticate by signature and are left to test/media/recordings.test.ts.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { SCOPES, type Scope } from '../../src/domain/credentials.js';
import { createAgent } from '../../src/domain/agents.js';
import { updateTenantLimits } from '../../src/domain/tenants.js';
import type { FakeClock } from '../../src/clock.js';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { type Hints, caseArb } from './arbitraries.js';
import {
  type Answer,
  type Creds,
  type Req,
  STACK_TRACE,
  authorize,
  demoCreds,
  errorShapeProblem,
  send,
} from './families.js';
import { tenantFingerprint } from './fingerprint.js';
import { type Route, loadRoutes, routeName } from './spec.js';

/** Candidate requests per route until A's control request passes. */
const CANDIDATES = Number(process.env.MATRIX_CANDIDATES ?? 20);
const SEED = Number(process.env.FUZZ_SEED ?? 20260318);

type Expect = 'clean' | '403' | '401';
interface Attacker {
  name: string;
  creds: Creds;
  expect: Expect;
  spoof?: boolean;
}

/** Whether `route` authenticates with an API key (whose scopes are chosen at creation). */
const scopedByKey = (r: Route) =>
  r.family === 'native' || r.family === 'alohub' || r.family === 'ccai' || r.path.startsWith('/api/v3/');
const bearerRoute = (r: Route) => r.family === 'omicall' && !r.path.startsWith('/api/v3/');

describe(`tenant × scope matrix from the route table (${storageKind})`, () => {
  let s: TestServer;
  let routes: Route[];
  let hints: Hints;
  let a: Creds;
  let b: Creds;
  let revoked: Creds;
  let expired: Creds;
  let markers: string[];
  let teamOfA: number;
  const wrongScope = new Map<Scope, Creds>();
  const figures: string[] = [];
  const pgSchema = () => (storageKind === 'postgres' ? s.storage.pgSchema : undefined);

  before(async () => {
    s = await startTestServer();
    routes = (await loadRoutes(s.url)).filter((r) => !r.public);
    // DELETEs last: a control that deletes A's rows must not starve the routes after it.
    routes.sort((x, y) => Number(x.method === 'DELETE') - Number(y.method === 'DELETE'));
    const { db, credentials } = s.t.ctx;
    a = demoCreds(s);
    const team = await call(`${s.url}/api/teams`, {
      method: 'POST',
      headers: { 'x-api-key': a.apiKey },
      body: { name: 'Victim team' },
    });
    assert.equal(team.status, 201, JSON.stringify(team.body));
    teamOfA = team.body.id as number;
    const victim = await newTenantWithAgent();
    b = victim;
    for (const t of [a.tenantId, b.tenantId])
      await updateTenantLimits(db, t, { rateLimitTenant: 1e9, rateLimitRoute: 1e9 });
    const key = await credentials.createApiKey(a.tenantId, [...SCOPES]);
    await credentials.revokeApiKey(String(key.id));
    const bearer = await credentials.createToken(a.tenantId, 'bearer');
    await credentials.revokeToken(bearer.token);
    const app = await credentials.createApp(a.tenantId);
    await credentials.revokeApp(app.appId);
    revoked = { ...a, apiKey: key.key, bearer: bearer.token, appId: app.appId, appSecret: app.appSecret };
    const shortLived = await credentials.createToken(a.tenantId, 'bearer', { ttlMs: 1000 });
    (s.clock as FakeClock).advance(2000);
    expired = { ...revoked, bearer: shortLived.token };
    for (const scope of SCOPES) {
      if (scope === 'admin') continue;
      const rest = SCOPES.filter((x) => x !== scope && x !== 'admin');
      const k = await credentials.createApiKey(a.tenantId, rest);
      wrongScope.set(scope, { ...a, apiKey: k.key });
    }
    const agents = await db.selectFrom('agents').selectAll().where('tenant_id', '=', a.tenantId).execute();
    const tenantA = await db
      .selectFrom('tenants')
      .selectAll()
      .where('id', '=', a.tenantId)
      .executeTakeFirstOrThrow();
    // What only A's rows hold (emails are not: tenant B may invite an agent under the same address).
    markers = [
      ...agents.flatMap((x) => [x.name, x.uid]),
      tenantA.account_id,
      tenantA.sip_domain,
      'Victim team',
    ].filter((m): m is string => typeof m === 'string' && m.length >= 6);
    const queues = await db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', a.tenantId)
      .execute();
    const roles = await db
      .selectFrom('roles')
      .select(['uid', 'name'])
      .where('tenant_id', '=', a.tenantId)
      .execute();
    const packages = await db
      .selectFrom('service_packages')
      .select(['uid', 'name'])
      .where('tenant_id', '=', a.tenantId)
      .execute();
    hints = {
      id: [...agents.flatMap((x) => [x.id, x.extension, x.uid]), ...queues.map((q) => q.id), teamOfA].map(
        String,
      ),
      role_id: roles.map((r) => r.uid),
      role_name: roles.map((r) => r.name),
      service_package_id: packages.map((p) => p.uid),
      queue_ids: [queues.map((q) => q.id)],
      agentId: agents.map((x) => String(x.id)),
      agent_ids: [agents.map((x) => x.id)],
      team_ids: [[teamOfA]],
      email: agents.map((x) => x.email),
      identify_info: agents.map((x) => x.email),
      sourceEmail: agents.map((x) => x.email),
      targetEmail: agents.map((x) => x.email),
      domain: [tenantA.sip_domain],
      sipUser: agents.map((x) => x.extension),
      number: [s.demo.hotline],
      status: ['Available', 'Lunch'],
      full_name: ['Victim Invitee'],
      password: ['Str0ng!pass-word'],
      name: ['Victim renamed'],
      created_from: ['2020-01-01'],
      created_to: ['2035-01-01'],
    };
  });
  after(async () => {
    console.log(`matrix (${storageKind}):\n${figures.join('\n')}`);
    await s.close();
  });

  async function newTenantWithAgent(): Promise<Creds> {
    const creds: Creds = await otherTenant(s);
    const { db, clock, box } = s.t.ctx;
    await createAgent(db, clock, box, creds.tenantId, {
      name: 'Bob Attacker',
      email: 'bob@attacker.example',
    });
    return creds;
  }

  function attackers(route: Route): Attacker[] {
    const list: Attacker[] = [
      { name: 'tenant B', creds: b, expect: 'clean' },
      { name: 'tenant B + X-Tenant-ID/team_id of A', creds: b, expect: 'clean', spoof: true },
      { name: 'A revoked', creds: revoked, expect: '401' },
    ];
    if (bearerRoute(route)) list.push({ name: 'A expired bearer', creds: expired, expect: '401' });
    if (route.scope && route.scope !== 'admin' && scopedByKey(route))
      list.push({ name: `A without "${route.scope}"`, creds: wrongScope.get(route.scope)!, expect: '403' });
    if (route.scope === 'admin' && scopedByKey(route))
      list.push({ name: 'A without "admin"', creds: wrongScope.get('agent')!, expect: '403' });
    return list;
  }

  function withCreds(route: Route, req: Req, c: Creds, spoof = false): Req {
    const r: Req = { ...req, query: [...req.query], headers: { ...req.headers } };
    if (spoof) {
      r.headers['x-tenant-id'] = String(a.tenantId);
      r.query.push(['tenant', String(a.tenantId)], ['team_id', String(teamOfA)], ['account_id', markers[0]!]);
    }
    authorize(route, r, c);
    return r;
  }

  function judge(route: Route, who: Attacker, req: Req, ans: Answer): string | null {
    if (ans.status >= 500) return `HTTP ${ans.status}`;
    if (STACK_TRACE.test(ans.text)) return 'stack trace in the body';
    if (ans.status >= 400) {
      const shape = errorShapeProblem(route.family, ans.status, ans.body);
      if (shape) return `not the ${route.family} shape: ${shape}`;
    }
    if (who.expect === '401' && ans.status !== 401) return `HTTP ${ans.status}, 401 expected`;
    if (who.expect === '403' && ans.status !== 403) return `HTTP ${ans.status}, 403 expected`;
    if (who.expect === 'clean' && ans.status < 400) {
      const sent = JSON.stringify(req);
      const leaked = markers.filter((m) => !sent.includes(m) && ans.text.includes(m));
      if (leaked.length > 0) return `HTTP ${ans.status} carries tenant A's data: ${leaked.join(', ')}`;
    }
    return null;
  }

  test('every route × {other tenant, spoofed tenant headers, wrong scope, revoked, expired}', async (t) => {
    assert.ok(routes.length >= 50, `the route table lists ${routes.length} authenticated operations`);
    let foreign2xx = 0;
    let cells = 0;
    let passing = 0;
    // A's own answers that show a marker: proof the leak check can see A's data when it is there.
    let markedControls = 0;
    for (const [i, route] of routes.entries()) {
      await t.test(routeName(route), async () => {
        const candidates = fc.sample(caseArb(route, hints, 1, ['valid']), {
          numRuns: CANDIDATES,
          seed: SEED + i,
        });
        let control = 0;
        let tried = 0;
        for (const c of candidates) {
          tried++;
          const before = await tenantFingerprint(s.t.ctx.db, a.tenantId, pgSchema());
          for (const who of attackers(route)) {
            const req = withCreds(route, c.req, who.creds, who.spoof);
            const ans = await send(s.url, req);
            cells++;
            if (who.expect === 'clean' && ans.status < 300) foreign2xx++;
            const p = judge(route, who, req, ans);
            assert.equal(
              p,
              null,
              `${who.name}: ${p}\nrequest: ${JSON.stringify(req).slice(0, 600)}\nanswer: ${ans.text.slice(0, 400)}`,
            );
          }
          const afterAttack = await tenantFingerprint(s.t.ctx.db, a.tenantId, pgSchema());
          assert.deepEqual(
            afterAttack,
            before,
            `attackers changed tenant A's rows (${JSON.stringify(c.req).slice(0, 300)})`,
          );
          const own = await send(s.url, withCreds(route, c.req, a));
          control = own.status;
          if (control < 300 && markers.some((m) => own.text.includes(m))) markedControls++;
          if (control < 300) break;
        }
        if (control < 300) passing++;
        figures.push(
          `${routeName(route)}: ${tried} candidate(s), control ${control}, attackers ${attackers(route)
            .map((x) => x.name)
            .join(' / ')}`,
        );
      });
    }
    figures.push(
      `routes: ${routes.length}, with a passing control: ${passing} (${markedControls} showing A's markers); ` +
        `cells: ${cells}; foreign 2xx (answered, with none of A's data): ${foreign2xx}`,
    );
    assert.ok(markedControls >= 8, `only ${markedControls} of A's own answers showed A's markers`);
  });
});
