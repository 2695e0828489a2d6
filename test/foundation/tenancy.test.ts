import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';
import { createTenant } from '../../src/domain/tenants.js';
import { createAgent } from '../../src/domain/agents.js';

describe(`tenancy and credentials (${storageKind})`, () => {
  let s: TestServer;
  let tenantB: number;
  let keyB: string;
  let agentOfB: number;
  before(async () => {
    s = await startTestServer();
    const { db, clock, box, credentials } = s.t.ctx;
    tenantB = (await createTenant(db, clock, { name: 'Tenant B' })).id;
    agentOfB = (await createAgent(db, clock, box, tenantB, { name: 'Bob', email: 'bob@b.example' })).agent.id;
    keyB = (await credentials.createApiKey(tenantB, ['agent'])).key;
  });
  after(() => s.close());

  test("a key of tenant A is refused on tenant B's data (not found, never forbidden)", async () => {
    const res = await call(`${s.url}/api/agents/${agentOfB}`, { headers: { 'X-Api-Key': s.demo.api_key } });
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'NOT_FOUND');
    const own = await call(`${s.url}/api/agents/${agentOfB}`, { headers: { 'X-Api-Key': keyB } });
    assert.equal(own.status, 200);
    assert.equal(own.body.email, 'bob@b.example');
    const list = await call(`${s.url}/api/agents`, { headers: { 'X-Api-Key': s.demo.api_key } });
    assert.equal(list.body.total, 3);
    assert.ok(list.body.items.every((a: { email: string }) => a.email.endsWith('@demo.tongdai.local')));
  });

  test('missing, malformed and unknown keys are 401; a key without the scope is 403', async () => {
    for (const headers of [
      {},
      { 'X-Api-Key': 'nope' },
      { Authorization: 'Bearer td_live_unknownkey00000000' },
    ]) {
      const res = await call(`${s.url}/api/agents`, { headers });
      assert.equal(res.status, 401, JSON.stringify(headers));
      assert.equal(res.body.error.code, 'UNAUTHORIZED');
    }
    const callOnly = (await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['call'])).key;
    const res = await call(`${s.url}/api/agents`, { headers: { 'X-Api-Key': callOnly } });
    assert.equal(res.status, 403);
    assert.equal(res.body.error.code, 'INSUFFICIENT_SCOPE');
  });

  test('a revoked key is refused on the very next request', async () => {
    const k = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent']);
    const ok = await call(`${s.url}/api/agents`, { headers: { 'X-Api-Key': k.key } });
    assert.equal(ok.status, 200);
    await s.t.ctx.credentials.revokeApiKey(String(k.id));
    const res = await call(`${s.url}/api/agents`, { headers: { 'X-Api-Key': k.key } });
    assert.equal(res.status, 401);
  });

  test('secrets are stored hashed or sealed, never in plaintext', async () => {
    const app = await s.t.ctx.credentials.createApp(s.demo.tenant_id);
    const key = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['agent']);
    const rows = await sql<{ v: string }>`select secret_enc as v from app_credentials
      union all select key_hash as v from api_keys union all select token_hash as v from access_tokens`.execute(
      s.t.ctx.db,
    );
    const stored = rows.rows.map((r) => r.v).join('\n');
    assert.ok(!stored.includes(app.appSecret), 'app secret not in plaintext');
    assert.ok(!stored.includes(key.key), 'api key not in plaintext');
    assert.ok(!stored.includes(s.demo.bearer_token), 'bearer token not in plaintext');
    const found = await s.t.ctx.credentials.findApp(app.appId);
    assert.equal(found?.secret, app.appSecret, 'the sealed secret opens with the configured key');
    if (storageKind === 'sqlite') {
      const dir = s.env.TONGDAI_DATA!;
      for (const f of readdirSync(dir).filter((n) => n.startsWith('tongdai.db'))) {
        const bytes = readFileSync(join(dir, f)).toString('latin1');
        assert.ok(!bytes.includes(app.appSecret), `${f} holds no plaintext app secret`);
        assert.ok(!bytes.includes(key.key), `${f} holds no plaintext key`);
      }
    }
  });

  test('health, readiness, OpenAPI and the API reference page', async () => {
    assert.equal((await call(`${s.url}/healthz`)).status, 200);
    const ready = await call(`${s.url}/readyz`);
    assert.equal(ready.body.status, 'ready');
    assert.equal(ready.body.storage, storageKind);
    const spec = await call(`${s.url}/openapi.json`);
    assert.equal(spec.status, 200);
    assert.ok(spec.body.paths['/api/agents/{id}'], 'routes appear in the generated document');
    const docs = await fetch(`${s.url}/docs/`);
    assert.equal(docs.status, 200);
    assert.match(await docs.text(), /swagger/i);
  });
});
