import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { createTenant } from '../../src/domain/tenants.js';
import { assertError, assertOk, omi } from './helpers.js';

// Roles, service packages and the webhook secret as tenant data: native admin API and CLI.

let s: TestServer;
const native = (path: string, init: { method?: string; body?: unknown; key?: string } = {}) =>
  call(`${s.url}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'x-api-key': init.key ?? s.demo.api_key },
    body: init.body,
  });

before(async () => {
  s = await startTestServer();
});
after(() => s.close());

test('native roles: list, create, default switch, duplicates and validation', async () => {
  const listed = await native('/api/roles');
  assert.equal(listed.status, 200);
  assert.deepEqual(
    listed.body.roles.map((r: any) => [r.name, r.is_default]),
    [
      ['Sale', true],
      ['Trưởng nhóm sale', false],
      ['Trưởng phòng Kinh Doanh', false],
      ['Kế toán', false],
      ['Giám đốc', false],
      ['Supervisor', false],
    ],
  );
  const created = await native('/api/roles', {
    method: 'POST',
    body: { name: 'Quản lý', is_default: true },
  });
  assert.equal(created.status, 201);
  assert.match(created.body.id, /^[0-9a-f]{24}$/);
  const after = (await native('/api/roles')).body.roles;
  assert.deepEqual(
    after.filter((r: any) => r.is_default).map((r: any) => r.name),
    ['Quản lý'],
    'one default',
  );
  const dup = await native('/api/roles', { method: 'POST', body: { name: 'Giám đốc' } });
  assert.equal(dup.status, 409);
  assert.equal(dup.body.error.code, 'CONFLICT');
  // An undeclared field is ignored: the role lands in the caller's tenant.
  const extra = await native('/api/roles', { method: 'POST', body: { name: 'X', tenant_id: 1 } });
  assert.equal(extra.status, 201);
  const x = await s.t.ctx.db
    .selectFrom('roles')
    .select('tenant_id')
    .where('uid', '=', extra.body.id)
    .executeTakeFirstOrThrow();
  assert.equal(x.tenant_id, s.demo.tenant_id);
  // The OmiCall invite now gets the new default role.
  const inv = assertOk(await omi(s).post('/api/agent/invite', { full_name: 'D', identify_info: 'd@x.vn' }));
  const row = await s.t.ctx.db
    .selectFrom('agents')
    .select('role_id')
    .where('email', '=', inv.agent.email)
    .executeTakeFirstOrThrow();
  const role = await s.t.ctx.db
    .selectFrom('roles')
    .select('uid')
    .where('id', '=', row.role_id!)
    .executeTakeFirstOrThrow();
  assert.equal(role.uid, created.body.id);
});

test('native service packages: create and list with used seats; the seat limit applies to OmiCall invites', async () => {
  const created = await native('/api/service-packages', {
    method: 'POST',
    body: { name: 'Pilot', max_agents: 1 },
  });
  assert.equal(created.status, 201);
  assert.deepEqual([created.body.name, created.body.max_agents, created.body.used], ['Pilot', 1, 0]);
  const inv = { full_name: 'P', identify_info: 'pilot@x.vn', service_package_id: created.body.id };
  assertOk(await omi(s).post('/api/agent/invite_with_package_v2', inv));
  assertError(
    await omi(s).post('/api/agent/invite_with_package_v2', { ...inv, identify_info: 'pilot2@x.vn' }),
    409,
    'limit_agent',
  );
  const list = (await native('/api/service-packages')).body.service_packages;
  assert.deepEqual(list.find((p: any) => p.name === 'Pilot').used, 1);
  assert.equal(
    (await native('/api/service-packages', { method: 'POST', body: { name: 'Neg', max_agents: -1 } })).status,
    400,
  );
  assert.equal(
    (await native('/api/service-packages', { method: 'POST', body: { name: 'Pilot', max_agents: 3 } }))
      .status,
    409,
  );
});

test('native admin routes need the admin scope and stay inside the caller tenant', async () => {
  const agentKey = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent']);
  for (const path of ['/api/roles', '/api/service-packages', '/api/webhook-secret']) {
    const res = await native(path, { key: agentKey.key });
    assert.equal(res.status, 403, path);
    assert.equal(res.body.error.code, 'INSUFFICIENT_SCOPE');
  }
  const t = await createTenant(s.t.ctx.db, s.clock, { name: 'Else' });
  const key = await s.t.ctx.credentials.createApiKey(t.id, ['admin']);
  // The other tenant sees its own document roles, none of the demo's ("Supervisor").
  const theirRoles = (await native('/api/roles', { key: key.key })).body.roles;
  assert.deepEqual(
    theirRoles.map((r: any) => r.name),
    ['Sale', 'Trưởng nhóm sale', 'Trưởng phòng Kinh Doanh', 'Kế toán', 'Giám đốc'],
  );
  const demoRoleIds = new Set((await native('/api/roles')).body.roles.map((r: any) => r.id));
  assert.ok(theirRoles.every((r: any) => !demoRoleIds.has(r.id)));
  assert.deepEqual((await native('/api/service-packages', { key: key.key })).body.service_packages, []);
  const mine = (await native('/api/webhook-secret')).body.secret;
  const theirs = (await native('/api/webhook-secret', { key: key.key })).body.secret;
  assert.notEqual(mine, theirs);
});

test('webhook secret: stable until rotated', async () => {
  const a = (await native('/api/webhook-secret')).body.secret;
  assert.match(a, /^whsec_/);
  assert.equal((await native('/api/webhook-secret')).body.secret, a);
  const rotated = await native('/api/webhook-secret/rotate', { method: 'POST' });
  assert.equal(rotated.status, 200);
  assert.notEqual(rotated.body.secret, a);
  assert.equal((await native('/api/webhook-secret')).body.secret, rotated.body.secret);
});

test('CLI: role, package and webhook-secret commands with --json', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-cli-dir-'));
  const run = (args: string[]) =>
    new Promise<{ code: number; out: string; err: string }>((resolve) => {
      const env = { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', TONGDAI_DATA: dir };
      execFile(process.execPath, ['bin/tongdai.mjs', ...args], { env, timeout: 30_000 }, (e, out, err) =>
        resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out, err }),
      );
    });
  try {
    const tenant = JSON.parse((await run(['--json', 'tenant', 'create', '--name', 'CLI Co'])).out);
    const id = String(tenant.tenant_id);
    // A new tenant starts with the OmiCall document's roles, "Sale" the default.
    const seeded = JSON.parse((await run(['--json', 'role', 'list', '--tenant', id])).out).roles;
    assert.deepEqual(
      seeded.map((x: any) => [x.name, x.is_default]),
      [
        ['Sale', true],
        ['Trưởng nhóm sale', false],
        ['Trưởng phòng Kinh Doanh', false],
        ['Kế toán', false],
        ['Giám đốc', false],
      ],
    );
    const r = await run(['--json', 'role', 'create', '--tenant', id, '--name', 'Thực tập sinh', '--default']);
    assert.equal(r.code, 0, r.err);
    assert.deepEqual(Object.keys(JSON.parse(r.out)).sort(), ['id', 'is_default', 'name']);
    const roles = JSON.parse((await run(['--json', 'role', 'list', '--tenant', id])).out).roles;
    assert.deepEqual(
      roles.filter((x: any) => x.is_default).map((x: any) => x.name),
      ['Thực tập sinh'],
    );
    const p = JSON.parse(
      (await run(['--json', 'package', 'create', '--tenant', id, '--name', 'Std', '--max-agents', '5'])).out,
    );
    assert.deepEqual([p.name, p.max_agents], ['Std', 5]);
    const pkgs = JSON.parse((await run(['--json', 'package', 'list', '--tenant', id])).out).service_packages;
    assert.deepEqual(pkgs, [{ id: p.id, name: 'Std', max_agents: 5, used: 0 }]);
    const sec = JSON.parse((await run(['--json', 'webhook-secret', 'show', '--tenant', id])).out).secret;
    assert.match(sec, /^whsec_/);
    const bad = await run(['package', 'create', '--tenant', id, '--name', 'X', '--max-agents', 'lots']);
    assert.notEqual(bad.code, 0);
    assert.match(bad.err.trim(), /^tongdai: --max-agents must be an integer/);
    const dup = await run(['role', 'create', '--tenant', id, '--name', 'Sale']);
    assert.match(dup.err.trim(), /^tongdai: a role named "Sale" already exists$/);
    const missing = await run(['role', 'list', '--tenant', '999']);
    assert.match(missing.err.trim(), /tenant 999 not found/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
