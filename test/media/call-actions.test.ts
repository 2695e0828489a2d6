/**
 * The call-action routes' bad input and security: credentials, scopes, other tenants, unknown calls, malformed
 * bodies and mass assignment all get the native envelope with a precise message, never a 500.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createTenant } from '../../src/domain/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';

describe('native call actions: bad input and security', () => {
  let s: TestServer;
  let agentKey: string;
  let otherKey: string;
  const post = (path: string, body: unknown, key: string | null = s.demo.api_key, method = 'POST') =>
    call(`${s.url}${path}`, { method, headers: { 'x-api-key': key ?? undefined }, body });

  before(async () => {
    s = await startTestServer();
    agentKey = (await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent'], 'agent only')).key;
    const other = await createTenant(s.t.ctx.db, s.t.ctx.clock, { name: 'Elsewhere' });
    otherKey = (await s.t.ctx.credentials.createApiKey(other.id, ['call', 'admin'], 'other')).key;
  });
  after(() => s?.close());

  it('no key 401, a key without the call scope 403', async () => {
    const none = await post('/api/calls/x/monitor', { mode: 'listen', agent_id: 1 }, null);
    assert.equal(none.status, 401);
    assert.ok(none.body.error.code);
    const scoped = await post('/api/calls/x/recording', { action: 'pause' }, agentKey);
    assert.equal(scoped.status, 403);
    const role = await post(
      `/api/agents/${s.demo.agents[0]!.agent_id}/role`,
      { role: 'admin' },
      agentKey,
      'PUT',
    );
    assert.equal(role.status, 403, 'setting a role needs the admin scope');
  });

  it('unknown calls are 404 with the id named; malformed bodies and extra fields 400', async () => {
    const unknown = await post('/api/calls/6b0c8f0e-3f0e-4a53-9d1e-2c4a3e1b7c55/monitor', {
      mode: 'listen',
      agent_id: s.demo.agents[1]!.agent_id,
    });
    assert.equal(unknown.status, 404);
    assert.deepEqual(unknown.body.error, {
      code: 'NOT_FOUND',
      message: 'call 6b0c8f0e-3f0e-4a53-9d1e-2c4a3e1b7c55 not found',
    });
    const rec = await post('/api/calls/abc/recording', { action: 'resume' });
    assert.equal(rec.status, 404);
    for (const body of [{ mode: 'spy' }, { mode: 'listen', agent_id: 'one' }, {}, 'not json']) {
      const r = await post('/api/calls/abc/monitor', body);
      assert.equal(r.status, 400, JSON.stringify(body));
      assert.equal(r.body.error.code, 'INVALID_INPUT');
    }
    // Mass assignment: unknown fields are dropped by validation (the app's ajv removes them), never applied.
    const extra = await post('/api/calls/abc/monitor', { mode: 'listen', agent_id: 1, tenant_id: 5 });
    assert.deepEqual(extra.body.error, { code: 'NOT_FOUND', message: 'call abc not found' });
    for (const body of [{ action: 'stop' }, { action: 'paused' }]) {
      const r = await post('/api/calls/abc/recording', body);
      assert.equal(r.status, 400, JSON.stringify(body));
    }
    const badId = await post('/api/calls/a%20b/recording', { action: 'pause' });
    assert.equal(badId.status, 400);
  });

  it("roles: set, cleared back to the OmiCall name; another tenant's agent is not found", async () => {
    const id = s.demo.agents[2]!.agent_id;
    const set = await post(`/api/agents/${id}/role`, { role: 'supervisor' }, s.demo.api_key, 'PUT');
    assert.deepEqual(set.body, { agent_id: id, role: 'supervisor' });
    const cleared = await post(`/api/agents/${id}/role`, { role: null }, s.demo.api_key, 'PUT');
    assert.equal(cleared.status, 200);
    assert.equal(cleared.body.role, 'agent', 'the demo agents have the OmiCall role "Sale" or none: agent');
    const foreign = await post(`/api/agents/${id}/role`, { role: 'admin' }, otherKey, 'PUT');
    assert.equal(foreign.status, 404);
    const bad = await post(`/api/agents/${id}/role`, { role: 'owner' }, s.demo.api_key, 'PUT');
    assert.equal(bad.status, 400);
    const row = await s.t.ctx.db
      .selectFrom('agents')
      .select('console_role')
      .where('id', '=', id)
      .executeTakeFirst();
    assert.equal(row?.console_role, null, 'refused requests changed nothing');
  });

  it('the routes are in the OpenAPI document', async () => {
    const spec = await call(`${s.url}/openapi.json`);
    const paths = Object.keys(spec.body.paths);
    for (const p of ['/api/calls/{id}/monitor', '/api/calls/{id}/recording', '/api/agents/{id}/role']) {
      assert.ok(paths.includes(p), `${p} in ${paths.filter((x) => x.startsWith('/api/')).join(', ')}`);
    }
  });
});
