/**
 * The native family's security file (teams, roles, service packages; agents and calls have theirs in the tenant ×
 * scope matrix): missing and broken credentials, wrong scope, another tenant's ids, mass-assignment. Another
 * tenant's resource answers 404 in the native shape and stays unchanged.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createAgent } from '../../src/domain/agents.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import {
  type NativeRoute,
  assertNativeRefusals,
  assertOutOfScope,
  assertUnauthenticated,
} from '../helpers/native-security.js';
import { type OtherTenant, otherTenant } from '../helpers/tenants.js';

describe('native family: teams, roles, service packages — security', () => {
  let s: TestServer;
  let b: OtherTenant;
  let teamA = 0;
  let agentA = 0;
  let agentB = 0;
  const as = (key: string | undefined, method: string, path: string, body?: unknown) =>
    call(`${s.url}${path}`, { method, headers: { 'x-api-key': key }, body });
  const asA = (method: string, path: string, body?: unknown) => as(s.demo.api_key, method, path, body);
  const asB = (method: string, path: string, body?: unknown) => as(b.apiKey, method, path, body);

  before(async () => {
    s = await startTestServer();
    b = await otherTenant(s);
    const made = await asA('POST', '/api/teams', { name: 'A team' });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    teamA = made.body.id;
    agentA = s.demo.agents[0]!.agent_id;
    assert.equal((await asA('POST', `/api/teams/${teamA}/members`, { agent_ids: [agentA] })).status, 200);
    const { db, clock, box } = s.t.ctx;
    const bAgent = await createAgent(db, clock, box, b.tenantId, {
      name: 'B agent',
      email: 'b@other.example',
      extension: '7001',
    });
    agentB = bAgent.agent.id;
  });
  after(() => s?.close());

  const routes = () =>
    [
      ['GET', '/api/teams'],
      ['POST', '/api/teams', { name: 'x' }],
      ['GET', `/api/teams/${teamA}`],
      ['PATCH', `/api/teams/${teamA}`, { name: 'x' }],
      ['DELETE', `/api/teams/${teamA}`],
      ['GET', `/api/teams/${teamA}/members`],
      ['POST', `/api/teams/${teamA}/members`, { agent_ids: [agentA] }],
      ['DELETE', `/api/teams/${teamA}/members/${agentA}`],
      ['GET', '/api/roles'],
      ['POST', '/api/roles', { name: 'x' }],
      ['GET', '/api/service-packages'],
      ['POST', '/api/service-packages', { name: 'x', max_agents: 1 }],
    ] as NativeRoute[];

  /** A's teams, members, roles and packages, to compare before and after an attack. */
  const snapshotA = async () => {
    const db = s.t.ctx.db;
    const tid = s.demo.tenant_id;
    return {
      teams: await db.selectFrom('teams').selectAll().where('tenant_id', '=', tid).orderBy('id').execute(),
      roles: await db.selectFrom('roles').selectAll().where('tenant_id', '=', tid).orderBy('id').execute(),
      packages: await db
        .selectFrom('service_packages')
        .selectAll()
        .where('tenant_id', '=', tid)
        .orderBy('id')
        .execute(),
      members: (await asA('GET', `/api/teams/${teamA}/members`)).body,
    };
  };

  it('no credential, a broken key or a revoked key: 401 in the native shape, before the body', async () => {
    const before = await snapshotA();
    await assertUnauthenticated(s, as, routes());
    assert.deepEqual(await snapshotA(), before);
  });

  it("a key without the route's scope: 403, nothing changed", async () => {
    const before = await snapshotA();
    await assertOutOfScope(s, as, routes());
    assert.deepEqual(await snapshotA(), before);
  });

  it("another tenant's team is not found for every verb, and A's data is unchanged", async () => {
    const before = await snapshotA();
    const ofA = routes().filter(([, p]) => p.includes(`/teams/${teamA}`));
    await assertNativeRefusals(as, ofA, [b.apiKey], 404, 'NOT_FOUND');
    // B's own team cannot take A's agent; A's team cannot take B's agent (through A's key either).
    const teamB = (await asB('POST', '/api/teams', { name: 'B team' })).body.id as number;
    const steal = await asB('POST', `/api/teams/${teamB}/members`, { agent_ids: [agentA] });
    assert.ok(steal.status === 404 || steal.status === 400, `${steal.status} ${JSON.stringify(steal.body)}`);
    assert.deepEqual((await asB('GET', `/api/teams/${teamB}/members`)).body.members, []);
    const push = await asA('POST', `/api/teams/${teamA}/members`, { agent_ids: [agentB] });
    assert.ok(push.status === 404 || push.status === 400, `${push.status} ${JSON.stringify(push.body)}`);
    assert.deepEqual(await snapshotA(), before);
  });

  it("lists show only the caller's own teams, roles and packages; B's default role leaves A's alone", async () => {
    const before = await snapshotA();
    assert.equal((await asB('POST', '/api/roles', { name: 'B default', is_default: true })).status, 201);
    assert.equal((await asB('POST', '/api/service-packages', { name: 'B pkg', max_agents: 3 })).status, 201);
    const teams = (await asB('GET', '/api/teams')).body.teams as { id: number; name: string }[];
    assert.ok(!teams.some((t) => t.id === teamA || t.name === 'A team'), JSON.stringify(teams));
    const aRoles = new Set(before.roles.map((r) => r.id));
    const roles = (await asB('GET', '/api/roles')).body.roles as { id: number }[];
    assert.ok(roles.length > 0 && !roles.some((r) => aRoles.has(r.id)), JSON.stringify(roles));
    const aPkgs = new Set(before.packages.map((p) => p.id));
    const pkgs = (await asB('GET', '/api/service-packages')).body.service_packages as { id: number }[];
    assert.ok(pkgs.length > 0 && !pkgs.some((p) => aPkgs.has(p.id)), JSON.stringify(pkgs));
    assert.deepEqual(await snapshotA(), before, "A's rows unchanged (its default role stays default)");
  });

  it('mass-assignment: tenant_id, id or member_count in a body are dropped (docs/decisions.md), never applied', async () => {
    const before = await snapshotA();
    for (const [path, body] of [
      ['/api/teams', { name: 'sneaky', tenant_id: s.demo.tenant_id }],
      ['/api/teams', { name: 'sneaky 2', id: teamA, member_count: 99 }],
      ['/api/roles', { name: 'sneaky', tenant_id: s.demo.tenant_id, is_default: true }],
      ['/api/service-packages', { name: 'sneaky', max_agents: 1, tenant_id: s.demo.tenant_id }],
    ] as const) {
      const r = await asB('POST', path, body);
      assert.equal(r.status, 201, `${path} ${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.notEqual(r.body.id, teamA);
      if ('member_count' in r.body) assert.equal(r.body.member_count, 0);
    }
    const table = { teams: 'teams', roles: 'roles', packages: 'service_packages' } as const;
    for (const t of Object.values(table)) {
      const sneaky = await s.t.ctx.db
        .selectFrom(t)
        .select('tenant_id')
        .where('name', '=', 'sneaky')
        .execute();
      assert.ok(sneaky.length > 0 && sneaky.every((x) => x.tenant_id === b.tenantId), `${t}: created in B`);
    }
    const renamed = await asB('PATCH', `/api/teams/${teamA}`, { name: 'x', tenant_id: b.tenantId });
    assert.equal(renamed.status, 404);
    assert.deepEqual(await snapshotA(), before);
  });
});
