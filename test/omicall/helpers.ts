import assert from 'node:assert/strict';
import { call, type TestServer } from '../helpers/harness.js';
import { createServicePackage } from '../../src/domain/service-packages.js';

export type Res = Awaited<ReturnType<typeof call>>;

/** A client for one test server speaking the OmiCall family's two auth schemes. */
export function omi(s: TestServer, bearer = s.demo.bearer_token, apiKey = s.demo.api_key) {
  const B = { authorization: `Bearer ${bearer}` };
  const K = { 'x-api-key': apiKey };
  return {
    get: (path: string) => call(`${s.url}${path}`, { headers: B }),
    post: (path: string, body?: unknown) => call(`${s.url}${path}`, { method: 'POST', headers: B, body }),
    del: (path: string) => call(`${s.url}${path}`, { method: 'DELETE', headers: B }),
    v3: (path: string, body?: unknown) => call(`${s.url}${path}`, { method: 'POST', headers: K, body }),
  };
}

/** The success envelope exactly: status 200 (or `status`), these five keys, `status_code` 9999. */
export function assertOk(res: Res, status = 200): any {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), [
    'instance_id',
    'instance_version',
    'key_enabled',
    'payload',
    'status_code',
  ]);
  assert.equal(res.body.status_code, 9999);
  assert.equal(res.body.instance_id, 'tongdai');
  assert.equal(typeof res.body.instance_version, 'string');
  assert.equal(res.body.key_enabled, false);
  return res.body.payload;
}

/** The error envelope exactly: HTTP `status` mirrored in `status_code`, the code in `message`. */
export function assertError(res: Res, status: number, code: string, description?: RegExp): void {
  assert.equal(res.status, status, JSON.stringify(res.body));
  assert.deepEqual(Object.keys(res.body).sort(), [
    'error_description',
    'instance_id',
    'instance_version',
    'key_enabled',
    'message',
    'payload',
    'status_code',
  ]);
  assert.equal(res.body.status_code, status);
  assert.equal(res.body.message, code);
  assert.equal(res.body.payload, null);
  assert.equal(res.body.key_enabled, false);
  if (description) assert.match(res.body.error_description, description);
}

export const STRONG = 'Str0ng!pass';

/** The newest agent row with this email (deleted ones included), straight from the store. */
export function agentRow(s: TestServer, email: string) {
  return s.t.ctx.db
    .selectFrom('agents')
    .selectAll()
    .where('email', '=', email)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
}

/** Two service packages (1 and 10 seats) and the demo's Supervisor role, as the lifecycle suites use them. */
export async function seedPackagesAndRole(
  s: TestServer,
): Promise<{ smallPkg: string; bigPkg: string; supervisorRole: string }> {
  const pkg = (name: string, maxAgents: number) =>
    createServicePackage(s.t.ctx.db, s.clock, s.demo.tenant_id, { name, maxAgents });
  const role = await s.t.ctx.db
    .selectFrom('roles')
    .select('uid')
    .where('name', '=', 'Supervisor')
    .executeTakeFirstOrThrow();
  return {
    smallPkg: (await pkg('Tiny', 1)).uid,
    bigPkg: (await pkg('Big', 10)).uid,
    supervisorRole: role.uid,
  };
}
