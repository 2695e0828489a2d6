import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { FakeClock } from '../../src/clock.js';
import { createTenant } from '../../src/domain/tenants.js';
import { findRoleByName } from '../../src/domain/roles.js';
import { createServicePackage } from '../../src/domain/service-packages.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { STRONG, assertError, assertOk, omi } from './helpers.js';

// Credentials, tenancy and mass-assignment for the OmiCall family.

let s: TestServer;
let other: { tenantId: number; bearer: string; apiKey: string; roleUid: string; pkgUid: string };
const V1V2: [string, string, unknown?][] = [
  ['GET', '/api/agent/list'],
  ['POST', '/api/v2/agent/search', {}],
  ['POST', '/api/v2/agent/get-by-email', { email: 'lan@demo.tongdai.local' }],
  ['POST', '/api/agent/invite', { full_name: 'X', identify_info: 'x@x.vn' }],
  ['POST', '/api/agent/invite_with_package_v2', { full_name: 'X', identify_info: 'x@x.vn' }],
  ['DELETE', '/api/agent/delete?identify_info=lan@demo.tongdai.local'],
  ['POST', '/api/agent/role/update', { id: 'a', role_id: 'b' }],
  ['POST', '/api/agent/service_package/update', { id: 'a' }],
];
const V3: [string, unknown][] = [
  ['/api/v3/agent/search', {}],
  ['/api/v3/agent/transfer', { sourceEmail: 'lan@demo.tongdai.local', targetEmail: 'n@x.vn' }],
];

const agent = (email: string) =>
  s.t.ctx.db
    .selectFrom('agents')
    .selectAll()
    .where('email', '=', email)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();

before(async () => {
  s = await startTestServer();
  const t = await createTenant(s.t.ctx.db, s.clock, { name: 'Other Co' });
  // Every tenant has the document's roles, "Sale" the default.
  const role = (await findRoleByName(s.t.ctx.db, t.id, 'Sale'))!;
  const pkg = await createServicePackage(s.t.ctx.db, s.clock, t.id, { name: 'Other pkg', maxAgents: 5 });
  other = {
    tenantId: t.id,
    bearer: (await s.t.ctx.credentials.createToken(t.id, 'bearer')).token,
    apiKey: (await s.t.ctx.credentials.createApiKey(t.id, ['agent'])).key,
    roleUid: role.uid,
    pkgUid: pkg.uid,
  };
});
after(() => s.close());

test('v1/v2 endpoints refuse a missing, malformed, unknown, expired or revoked bearer token with 401', async () => {
  const expiring = await s.t.ctx.credentials.createToken(s.demo.tenant_id, 'bearer', { ttlMs: 1000 });
  const revoked = await s.t.ctx.credentials.createToken(s.demo.tenant_id, 'bearer');
  await s.t.ctx.credentials.revokeToken(revoked.token);
  (s.clock as FakeClock).advance(2000);
  const variants: (Record<string, string> | undefined)[] = [
    undefined,
    { authorization: 'Bearer' },
    { authorization: `Basic ${Buffer.from(`x:${s.demo.bearer_token}`).toString('base64')}` },
    { authorization: 'Bearer tdb_not-a-real-token' },
    { authorization: `Bearer ${s.demo.api_key}` },
    { 'x-api-key': s.demo.api_key },
    { authorization: `Bearer ${expiring.token}` },
    { authorization: `Bearer ${revoked.token}` },
  ];
  for (const [method, path, body] of V1V2) {
    for (const headers of variants) {
      const res = await call(`${s.url}${path}`, { method, headers, body });
      assertError(res, 401, 'unauthorized', /credentials/);
    }
  }
  assert.ok(await agent('lan@demo.tongdai.local'), 'the unauthenticated delete changed nothing');
});

test('v3 endpoints take only a valid x-api-key with the agent scope', async () => {
  const noScope = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['queue']);
  const revoked = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent']);
  await s.t.ctx.credentials.revokeApiKey(String(revoked.id));
  for (const [path, body] of V3) {
    for (const headers of [
      undefined,
      { 'x-api-key': 'td_live_wrong' },
      { 'x-api-key': revoked.key },
      { authorization: `Bearer ${s.demo.api_key}` },
      { 'x-api-key': s.demo.bearer_token },
    ]) {
      assertError(await call(`${s.url}${path}`, { method: 'POST', headers, body }), 401, 'unauthorized');
    }
    const res = await call(`${s.url}${path}`, {
      method: 'POST',
      headers: { 'x-api-key': noScope.key },
      body,
    });
    assertError(res, 403, 'forbidden', /"agent" scope/);
  }
});

test("another tenant's bearer token sees none of this tenant's agents and cannot change them", async () => {
  const b = omi(s, other.bearer, other.apiKey);
  const lan = (await agent('lan@demo.tongdai.local'))!;
  const list = assertOk(await b.get('/api/agent/list'));
  assert.equal(list.total_items, 0);
  const v2 = assertOk(await b.post('/api/v2/agent/search', { emails: ['lan@demo.tongdai.local'] }));
  assert.equal(v2.total_items, 0);
  assertError(
    await b.post('/api/v2/agent/get-by-email', { email: 'lan@demo.tongdai.local' }),
    404,
    'agent_not_found',
  );
  assertError(await b.del('/api/agent/delete?identify_info=lan@demo.tongdai.local'), 404, 'agent_not_found');
  assertError(
    await b.post('/api/agent/role/update', { id: lan.uid, role_id: other.roleUid }),
    404,
    'agent_not_found',
  );
  assertError(
    await b.post('/api/agent/service_package/update', { id: lan.uid, service_package_id: other.pkgUid }),
    404,
    'agent_not_found',
  );
  const v3 = assertOk(await b.v3('/api/v3/agent/search', { filter: { emails: ['lan@demo.tongdai.local'] } }));
  assert.equal(v3.total_items, 0);
  const tr = await b.v3('/api/v3/agent/transfer', {
    sourceEmail: 'lan@demo.tongdai.local',
    targetEmail: 'stolen@x.vn',
  });
  assertError(tr, 404, 'agent_not_found');
  const after = (await agent('lan@demo.tongdai.local'))!;
  assert.deepEqual(
    [after.role_id, after.service_package_id, after.deleted_at],
    [lan.role_id, lan.service_package_id, null],
  );
  // The same email may exist in both tenants: they are separate directories.
  assertOk(
    await b.post('/api/agent/invite', { full_name: 'Lan B', identify_info: 'lan@demo.tongdai.local' }),
  );
});

test("this tenant cannot use another tenant's roles or packages", async () => {
  const api = omi(s);
  const lan = (await agent('lan@demo.tongdai.local'))!;
  assertError(
    await api.post('/api/agent/role/update', { id: lan.uid, role_id: other.roleUid }),
    404,
    'role_not_found',
  );
  const pkg = { id: lan.uid, service_package_id: other.pkgUid };
  assertError(await api.post('/api/agent/service_package/update', pkg), 404, 'service_package_not_found');
  const inv = { full_name: 'P', identify_info: 'p@x.vn', service_package_id: other.pkgUid };
  assertError(await api.post('/api/agent/invite_with_package_v2', inv), 404, 'service_package_not_found');
});

test('invite into a full package is limit_agent and leaves no row', async () => {
  const api = omi(s);
  const full = await createServicePackage(s.t.ctx.db, s.clock, s.demo.tenant_id, {
    name: 'Full',
    maxAgents: 0,
  });
  const res = await api.post('/api/agent/invite_with_package_v2', {
    full_name: 'F',
    identify_info: 'f@x.vn',
    service_package_id: full.uid,
  });
  assertError(res, 409, 'limit_agent', /Full/);
  assert.equal(await agent('f@x.vn'), undefined);
});

test('mass-assignment: tenant_id, role_id and other undeclared fields are ignored by every body, and act on nothing', async () => {
  const api = omi(s);
  const lan = (await agent('lan@demo.tongdai.local'))!;
  const supervisor = await s.t.ctx.db
    .selectFrom('roles')
    .select('uid')
    .where('tenant_id', '=', s.demo.tenant_id)
    .where('name', '=', 'Supervisor')
    .executeTakeFirstOrThrow();
  const rows = await s.t.ctx.db.selectFrom('agents').select('id').execute();
  const inject = { tenant_id: other.tenantId, role_id: supervisor.uid, is_active: 0 };
  // Reads and no-op writes answer as if the undeclared fields were absent.
  const got = assertOk(await api.post('/api/v2/agent/get-by-email', { email: lan.email, ...inject }));
  assert.equal(got.identify_info ?? got.email ?? lan.email, lan.email);
  assertOk(await api.post('/api/v2/agent/search', { ...inject }));
  const v3 = assertOk(await api.v3('/api/v3/agent/search', { filter: { emails: [lan.email], ...inject } }));
  assert.ok(JSON.stringify(v3).includes(lan.email));
  const after = (await agent('lan@demo.tongdai.local'))!;
  assert.deepEqual(
    [after.tenant_id, after.role_id, after.service_package_id, after.updated_at],
    [lan.tenant_id, lan.role_id, lan.service_package_id, lan.updated_at],
  );
  assert.equal(
    (await s.t.ctx.db.selectFrom('agents').select('id').execute()).length,
    rows.length,
    'no row added by the reads',
  );
  // An invite carrying them lands in the caller's tenant, with the default role, active.
  assertOk(
    await api.post('/api/agent/invite', {
      full_name: 'M',
      identify_info: 'm@x.vn',
      password: STRONG,
      ...inject,
      extension: lan.extension,
    }),
  );
  const m = (await agent('m@x.vn'))!;
  const sale = await s.t.ctx.db
    .selectFrom('roles')
    .select('id')
    .where('tenant_id', '=', s.demo.tenant_id)
    .where('name', '=', 'Sale')
    .executeTakeFirstOrThrow();
  assert.deepEqual([m.tenant_id, m.role_id, m.is_active], [s.demo.tenant_id, sale.id, 1]);
  assert.notEqual(m.extension, lan.extension, 'extension is not a documented invite field');
});
