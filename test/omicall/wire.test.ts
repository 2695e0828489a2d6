import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Kysely } from 'kysely';
import { FakeClock } from '../../src/clock.js';
import { createTenant } from '../../src/domain/tenants.js';
import { addDocumentRoles } from '../../src/store/migrations/0006_wire.js';
import { call, type TestServer, startTestServer } from '../helpers/harness.js';
import { agentRow, assertError, assertOk, omi } from './helpers.js';

// What an OmiCall integration sends, replayed as it is written: the document's own invite_with_package_v2 example
// on a tenant that never created a role, the 24-hex ids, and getting a bearer token over HTTP with an API key.

let s: TestServer;
let clock: FakeClock;

const DOCUMENT_ROLES = ['Sale', 'Trưởng nhóm sale', 'Trưởng phòng Kinh Doanh', 'Kế toán', 'Giám đốc'];

/** The seed's invite_with_package_v2 "Body" tab, byte for byte (its package id is the integrator's own). */
const SEED_INVITE_V2 = `{
    "owner_email": "",
    "password": "13579Abc@",
    "identify_info": "abc@gmail.com",
    "full_name": "Nhân viên 1",
    "service_package_id": "664175f5dgda95e5cbce704e9",
    "role_name": "Giám đốc"
}`;

before(async () => {
  clock = new FakeClock(Date.parse('2026-03-10T08:00:00Z'));
  s = await startTestServer({ clock });
});
after(() => s.close());

/** A tenant made the way an operator makes one, with a bearer token (and, if asked, the document's package id). */
async function freshTenant(name: string, seedPackage = false) {
  const t = await createTenant(s.t.ctx.db, s.clock, { name });
  if (seedPackage) {
    // The example names the integrator's own package: this tenant has one under that id.
    await s.t.ctx.db
      .insertInto('service_packages')
      .values({
        tenant_id: t.id,
        uid: '664175f5dgda95e5cbce704e9',
        name: 'Gói v2',
        max_agents: 5,
        created_at: 0,
      })
      .execute();
  }
  return { tenant: t, bearer: (await s.t.ctx.credentials.createToken(t.id, 'bearer')).token };
}

test("the seed's invite_with_package_v2 example succeeds verbatim on a tenant that never created a role", async () => {
  const { tenant, bearer } = await freshTenant('Fresh Co', true);
  const res = await call(`${s.url}/api/agent/invite_with_package_v2`, {
    method: 'POST',
    headers: { authorization: `Bearer ${bearer}`, 'content-type': 'application/json' },
    body: SEED_INVITE_V2,
  });
  const p = assertOk(res);
  assert.equal(p.agent.email, 'abc@gmail.com');
  assert.match(p.agent.id, /^[0-9a-f]{24}$/);
  const row = await agentRow(s, 'abc@gmail.com');
  assert.equal(row.tenant_id, tenant.id);
  const role = await s.t.ctx.db
    .selectFrom('roles')
    .select('name')
    .where('id', '=', row.role_id!)
    .executeTakeFirstOrThrow();
  assert.equal(role.name, 'Giám đốc');
  // Each listed name is a role of the new tenant; an empty role_name is "Sale".
  for (const [i, name] of DOCUMENT_ROLES.entries()) {
    const r = await call(`${s.url}/api/agent/invite`, {
      method: 'POST',
      headers: { authorization: `Bearer ${bearer}` },
      body: { full_name: `R${i}`, identify_info: `r${i}@fresh.vn`, role_name: i === 0 ? '' : name },
    });
    assertOk(r);
    const a = await agentRow(s, `r${i}@fresh.vn`);
    const got = await s.t.ctx.db
      .selectFrom('roles')
      .select('name')
      .where('id', '=', a.role_id!)
      .executeTakeFirstOrThrow();
    assert.equal(got.name, name);
  }
});

test('tenants created before the roles were seeded get them from migration 0006_wire', async () => {
  const t = await createTenant(s.t.ctx.db, s.clock, { name: 'Old Co' });
  // Make it look like a tenant from before: only a lower-case "sale" of its own, no default, one custom role.
  await s.t.ctx.db.deleteFrom('roles').where('tenant_id', '=', t.id).execute();
  await s.t.ctx.db
    .insertInto('roles')
    .values([
      { tenant_id: t.id, uid: 'a1'.repeat(12), name: 'sale', is_default: 0, created_at: 0 },
      { tenant_id: t.id, uid: 'b2'.repeat(12), name: 'Kho', is_default: 0, created_at: 0 },
    ])
    .execute();
  await addDocumentRoles(s.t.ctx.db as unknown as Kysely<unknown>);
  const roles = await s.t.ctx.db
    .selectFrom('roles')
    .select(['name', 'is_default', 'uid'])
    .where('tenant_id', '=', t.id)
    .orderBy('id')
    .execute();
  assert.deepEqual(
    roles.map((r) => [r.name, r.is_default]),
    [
      ['sale', 1],
      ['Kho', 0],
      ['Trưởng nhóm sale', 0],
      ['Trưởng phòng Kinh Doanh', 0],
      ['Kế toán', 0],
      ['Giám đốc', 0],
    ],
  );
  assert.ok(roles.every((r) => /^[0-9a-f]{24}$/.test(r.uid)));
  // Running it again adds nothing, and the demo tenant (which had them all) is unchanged.
  const before = await s.t.ctx.db.selectFrom('roles').select('id').execute();
  await addDocumentRoles(s.t.ctx.db as unknown as Kysely<unknown>);
  assert.equal((await s.t.ctx.db.selectFrom('roles').select('id').execute()).length, before.length);
});

test('ids have the 24-hex shape everywhere, and the 24-hex agent id is accepted back', async () => {
  const api = omi(s);
  const invited = assertOk(
    await api.post('/api/agent/invite', { full_name: 'Hex', identify_info: 'hex@acme.vn' }),
  );
  const id: string = invited.agent.id;
  assert.match(id, /^[0-9a-f]{24}$/);
  const byEmail = assertOk(await api.post('/api/v2/agent/get-by-email', { email: 'hex@acme.vn' }));
  assert.equal(byEmail.id, id);
  assert.equal(byEmail.contact_id, id);
  assert.match(byEmail.tenant_id, /^[0-9a-f]{24}$/);
  const v3 = assertOk(await api.v3('/api/v3/agent/search', { filter: { emails: ['hex@acme.vn'] } }));
  assert.equal(v3.items[0]._id, id);
  const supervisor = await s.t.ctx.db
    .selectFrom('roles')
    .select('uid')
    .where('tenant_id', '=', s.demo.tenant_id)
    .where('name', '=', 'Supervisor')
    .executeTakeFirstOrThrow();
  const updated = assertOk(await api.post('/api/agent/role/update', { id, role_id: supervisor.uid }));
  assert.deepEqual([updated.id, updated.tenant_id, updated.role_id], [id, byEmail.tenant_id, supervisor.uid]);
  assert.equal(assertOk(await api.post('/api/agent/service_package/update', { id })), true);
  // Another tenant's agent, by either id, is not found.
  const other = await freshTenant('Other Hex Co');
  const theirs = omi(s, other.bearer);
  assertError(
    await theirs.post('/api/agent/role/update', { id, role_id: supervisor.uid }),
    404,
    'agent_not_found',
  );
});

test('GET /api/auth: an API key with the agent scope obtains a 24 h bearer token', async () => {
  const key = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent']);
  // OmiCall's own form: the key in the query string, as its "Get AccessToken" page shows.
  const res = await call(`${s.url}/api/auth?apiKey=${encodeURIComponent(key.key)}`, {
    headers: { 'content-type': 'application/json' },
  });
  const p = assertOk(res);
  assert.deepEqual(Object.keys(p).sort(), [
    'access_token',
    'access_type',
    'expired_at',
    'expires_in',
    'token_type',
  ]);
  assert.equal(p.token_type, 'Bearer');
  assert.equal(p.access_type, 'normal');
  assert.equal(p.expires_in, 86_400);
  assert.equal(p.expired_at, clock.now() + 86_400_000);
  const api = omi(s, p.access_token);
  const list = assertOk(await api.get('/api/agent/list?size=50'));
  assert.ok(list.items.some((i: any) => i.identify_info === 'lan@demo.tongdai.local'));
  // The header form works too, and each call gives a new token.
  const viaHeader = assertOk(await call(`${s.url}/api/auth`, { headers: { 'x-api-key': key.key } }));
  assert.notEqual(viaHeader.access_token, p.access_token);
  // The token is a bearer token, not an API key: v3 refuses it, as /api/auth refuses a token.
  assertError(await omi(s, p.access_token, p.access_token).v3('/api/v3/agent/search'), 401, 'unauthorized');
  assertError(await call(`${s.url}/api/auth?apiKey=${p.access_token}`), 401, 'unauthorized');
  // It expires after 24 h.
  clock.advance(86_400_000);
  assertError(await api.get('/api/agent/list'), 401, 'unauthorized');
});

test('GET /api/auth: scoped — no key, a bad key or a key without the agent scope is refused', async () => {
  assertError(await call(`${s.url}/api/auth`), 401, 'unauthorized');
  assertError(await call(`${s.url}/api/auth?apiKey=td_live_nope`), 401, 'unauthorized');
  const queueOnly = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['queue']);
  assertError(await call(`${s.url}/api/auth?apiKey=${queueOnly.key}`), 403, 'forbidden', /agent/);
  assertError(await call(`${s.url}/api/auth`, { method: 'POST' }), 404, 'not_found');
  // A token carries at most its key's scopes (an agent+status key: no queue or call).
  const two = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent', 'status']);
  const t = assertOk(await call(`${s.url}/api/auth`, { headers: { 'x-api-key': two.key } })).access_token;
  const principal = await s.t.ctx.credentials.verifyToken(t, 'bearer');
  assert.deepEqual([...principal!.scopes].sort(), ['agent', 'status']);
  // Nothing in the request widens it or moves it: extra parameters are ignored.
  const other = await createTenant(s.t.ctx.db, s.clock, { name: 'Elsewhere' });
  const widened = assertOk(
    await call(`${s.url}/api/auth?apiKey=${two.key}&scopes=admin&tenant_id=${other.id}&ttl=99999999`),
  );
  const w = await s.t.ctx.credentials.verifyToken(widened.access_token, 'bearer');
  assert.deepEqual([w!.tenantId, [...w!.scopes].sort()], [s.demo.tenant_id, ['agent', 'status']]);
  assert.equal(widened.expires_in, 86_400);
  // An admin key gets the full bearer set; a CLI token keeps it too.
  const admin = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['admin']);
  const ta = assertOk(await call(`${s.url}/api/auth`, { headers: { 'x-api-key': admin.key } })).access_token;
  assert.deepEqual([...(await s.t.ctx.credentials.verifyToken(ta, 'bearer'))!.scopes].sort(), [
    'agent',
    'call',
    'queue',
    'status',
  ]);
  // Revoking the key ends the tokens it obtained at once; a CLI-issued token is not affected.
  const cli = (await s.t.ctx.credentials.createToken(s.demo.tenant_id, 'bearer')).token;
  await s.t.ctx.credentials.revokeApiKey(String(two.id));
  assertError(await omi(s, t).get('/api/agent/list'), 401, 'unauthorized');
  assertOk(await omi(s, cli).get('/api/agent/list'));
});

test("GET /api/auth: a key's token reaches only its own tenant", async () => {
  const other = await createTenant(s.t.ctx.db, s.clock, { name: 'Token Co' });
  const key = await s.t.ctx.credentials.createApiKey(other.id, ['agent']);
  const t = assertOk(await call(`${s.url}/api/auth`, { headers: { 'x-api-key': key.key } })).access_token;
  const list = assertOk(await omi(s, t).get('/api/agent/list'));
  assert.equal(list.total_items, 0);
  assertError(
    await omi(s, t).post('/api/v2/agent/get-by-email', { email: 'lan@demo.tongdai.local' }),
    404,
    'agent_not_found',
  );
});
