import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { createServicePackage } from '../../src/domain/service-packages.js';
import { verifyPassword } from '../../src/domain/secrets.js';
import {
  STRONG,
  agentRow as agentByEmail,
  assertError,
  assertOk,
  omi,
  seedPackagesAndRole,
} from './helpers.js';

// Invites: invite and invite_with_package_v2, with every error code of the document (updates and delete are
// in updates.test.ts).

let s: TestServer;
let api: ReturnType<typeof omi>;
let smallPkg: string;
let bigPkg: string;
let supervisorRole: string;

const agentRow = (email: string) => agentByEmail(s, email);

before(async () => {
  s = await startTestServer();
  api = omi(s);
  ({ smallPkg, bigPkg, supervisorRole } = await seedPackagesAndRole(s));
});
after(() => s.close());

test('POST /api/agent/invite: creates the agent with an extension, SIP account, hashed password, default role', async () => {
  const p = assertOk(
    await api.post('/api/agent/invite', {
      full_name: 'Tran Van Tien',
      identify_info: 'Vietnam12@Gmail.com',
      password: STRONG,
      uuid: 'crm-42',
      call_timeout: '30',
      group_name: 'Sales HN',
    }),
  );
  assert.deepEqual(p.agent, { id: p.agent.id, full_name: 'Tran Van Tien', email: 'vietnam12@gmail.com' });
  assert.deepEqual(Object.keys(p.pbx_account).sort(), [
    'created_date',
    'domain',
    'email',
    'full_name',
    'last_updated_date',
    'outbound_proxy',
    'password',
    'public_number',
    'sip_user',
  ]);
  assert.equal(p.pbx_account.sip_user, '1004');
  assert.match(p.pbx_account.password, /^[A-Za-z0-9]{12}$/);
  assert.equal(p.pbx_account.domain, s.demo.sip_domain);
  const row = await agentRow('vietnam12@gmail.com');
  assert.match(row.password_hash!, /^scrypt\$/);
  assert.equal(await verifyPassword(STRONG, row.password_hash!), true);
  assert.equal(row.external_uuid, 'crm-42');
  assert.deepEqual(JSON.parse(row.attributes), { call_timeout: '30', group_name: 'Sales HN' });
  const role = await s.t.ctx.db
    .selectFrom('roles')
    .select('name')
    .where('id', '=', row.role_id!)
    .executeTakeFirstOrThrow();
  assert.equal(role.name, 'Sale');
  const named = assertOk(
    await api.post('/api/agent/invite', {
      full_name: 'Sup',
      identify_info: 'sup@acme.vn',
      role_name: 'supervisor',
    }),
  );
  const supRow = await agentRow('sup@acme.vn');
  assert.equal(supRow.password_hash, null, 'no password given: none set');
  assert.equal(named.pbx_account.sip_user, '1005');
  const sup = await s.t.ctx.db
    .selectFrom('roles')
    .select('uid')
    .where('id', '=', supRow.role_id!)
    .executeTakeFirstOrThrow();
  assert.equal(sup.uid, supervisorRole, 'role names match case-insensitively');
});

test('POST /api/agent/invite: every documented error code', async () => {
  const base = { full_name: 'X', identify_info: 'x1@acme.vn', password: STRONG };
  assertError(
    await api.post('/api/agent/invite', { ...base, full_name: '  ' }),
    400,
    'full_name_is_required',
  );
  assertError(
    await api.post('/api/agent/invite', { identify_info: 'x1@acme.vn' }),
    400,
    'full_name_is_required',
  );
  assertError(
    await api.post('/api/agent/invite', { ...base, identify_info: 'not-an-email' }),
    400,
    'identify_info_invalid',
    /not-an-email/,
  );
  assertError(await api.post('/api/agent/invite', { full_name: 'X' }), 400, 'identify_info_invalid');
  for (const [pw, why] of [
    ['Sh0rt!', /at least 8/],
    ['alllower1!', /uppercase/],
    ['ALLUPPER1!', /lowercase/],
    ['NoDigits!!', /digit/],
    ['NoSpecial11', /special/],
  ] as const) {
    assertError(await api.post('/api/agent/invite', { ...base, password: pw }), 400, 'password_invalid', why);
  }
  assertError(
    await api.post('/api/agent/invite', { ...base, role_name: 'Thực tập sinh' }),
    400,
    'role_is_required',
    /Thực tập sinh/,
  );
  assertError(
    await api.post('/api/agent/invite', { ...base, identify_info: 'LAN@demo.tongdai.local' }),
    409,
    'agent_exists',
  );
  assertError(
    await api.post('/api/agent/invite', { ...base, uuid: 'crm-42' }),
    409,
    'agent_uuid_exists',
    /crm-42/,
  );
  assertError(
    await api.post('/api/agent/invite', { ...base, owner_email: 'ghost@acme.vn' }),
    400,
    'invite_error',
    /owner_email/,
  );
  assertError(
    await api.post('/api/agent/invite', { ...base, full_name: 7 }),
    400,
    'invalid_request',
    /full_name/,
  );
  const none = await s.t.ctx.db
    .selectFrom('agents')
    .select('id')
    .where('email', '=', 'x1@acme.vn')
    .executeTakeFirst();
  assert.equal(none, undefined, 'no failed invite left a row behind');
  assertOk(await api.post('/api/agent/invite', { ...base, owner_email: 'lan@demo.tongdai.local' }));
  assert.equal((await agentRow('x1@acme.vn')).owner_email, 'lan@demo.tongdai.local');
});

test('POST /api/agent/invite: with no default role and no role_name, role_is_required', async () => {
  await s.t.ctx.db
    .updateTable('roles')
    .set({ is_default: 0 })
    .where('tenant_id', '=', s.demo.tenant_id)
    .execute();
  try {
    assertError(
      await api.post('/api/agent/invite', { full_name: 'R', identify_info: 'r@acme.vn' }),
      400,
      'role_is_required',
      /no default role/,
    );
  } finally {
    await s.t.ctx.db.updateTable('roles').set({ is_default: 1 }).where('name', '=', 'Sale').execute();
  }
});

test('POST /api/agent/invite_with_package_v2: v2 password rule, seats and limit_agent', async () => {
  const body = {
    full_name: 'Nhân viên 1',
    identify_info: 'p1@acme.vn',
    password: '13579ABCD',
    service_package_id: smallPkg,
  };
  const p = assertOk(await api.post('/api/agent/invite_with_package_v2', body));
  assert.equal(p.agent.email, 'p1@acme.vn');
  const row = await agentRow('p1@acme.vn');
  const pkg = await s.t.ctx.db
    .selectFrom('service_packages')
    .select('uid')
    .where('id', '=', row.service_package_id!)
    .executeTakeFirstOrThrow();
  assert.equal(pkg.uid, smallPkg);
  assertError(
    await api.post('/api/agent/invite_with_package_v2', { ...body, identify_info: 'p2@acme.vn' }),
    409,
    'limit_agent',
    /Tiny/,
  );
  assertError(
    await api.post('/api/agent/invite_with_package_v2', {
      ...body,
      identify_info: 'p2@acme.vn',
      password: 'abcdefg1',
    }),
    400,
    'password_invalid',
    /uppercase/,
  );
  assertError(
    await api.post('/api/agent/invite_with_package_v2', {
      ...body,
      identify_info: 'p2@acme.vn',
      password: 'ABCDEFGH',
    }),
    400,
    'password_invalid',
    /digit/,
  );
  assertError(
    await api.post('/api/agent/invite_with_package_v2', {
      ...body,
      identify_info: 'p2@acme.vn',
      service_package_id: 'f'.repeat(24),
    }),
    404,
    'service_package_not_found',
  );
  assertError(
    await api.post('/api/agent/invite_with_package_v2', {
      ...body,
      identify_info: 'p2@acme.vn',
      full_name: '',
    }),
    400,
    'full_name_is_required',
  );
  assertError(
    await api.post('/api/agent/invite_with_package_v2', { ...body, identify_info: 'bad' }),
    400,
    'identify_info_invalid',
  );
  assertError(
    await api.post('/api/agent/invite_with_package_v2', {
      ...body,
      identify_info: 'p2@acme.vn',
      role_name: 'Thực tập sinh',
    }),
    400,
    'role_is_required',
  );
  assertError(
    await api.post('/api/agent/invite_with_package_v2', { ...body, service_package_id: bigPkg }),
    409,
    'agent_exists',
  );
  assertError(
    await api.post('/api/agent/invite_with_package_v2', {
      ...body,
      identify_info: 'p2@acme.vn',
      service_package_id: bigPkg,
      owner_email: 'nobody@x.vn',
    }),
    400,
    'invite_error',
  );
});

test('limit_agent holds under concurrent invites: exactly the free seats are taken', async () => {
  const pkg = await createServicePackage(s.t.ctx.db, s.clock, s.demo.tenant_id, {
    name: 'Race',
    maxAgents: 3,
  });
  const results = await Promise.all(
    Array.from({ length: 8 }, (_, i) =>
      api.post('/api/agent/invite_with_package_v2', {
        full_name: `Race ${i}`,
        identify_info: `race${i}@acme.vn`,
        service_package_id: pkg.uid,
      }),
    ),
  );
  assert.equal(results.filter((r) => r.status === 200).length, 3);
  for (const r of results.filter((x) => x.status !== 200)) assertError(r, 409, 'limit_agent');
});
