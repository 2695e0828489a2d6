import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getAgentByExtension } from '../../src/domain/agents.js';
import { getInboundQueue } from '../../src/domain/queues.js';
import { updateTenantLimits } from '../../src/domain/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import {
  type OtherTenant,
  createOtherTenant,
  isErrorEnvelope,
  keyWithScopes,
  revisionOf,
} from './fixtures.js';

/** One request of each endpoint, valid for the demo tenant. */
const ENDPOINTS = [
  { method: 'GET', path: '/agents', scope: 'agent' },
  { method: 'PUT', path: '/agents/1001/queues?type=callin', scope: 'agent', body: { queue_ids: [1] } },
  { method: 'PUT', path: '/agents/1001/recording', scope: 'agent', body: { enabled: true } },
  { method: 'GET', path: '/queues/inbound', scope: 'queue' },
  { method: 'GET', path: '/queues/inbound/1', scope: 'queue' },
  { method: 'PUT', path: '/queues/inbound/1', scope: 'queue', body: { strategy: 2 } },
] as const;
const PREFIXES = ['/v1', '/api/v1'] as const;

describe('AloHub security', () => {
  let s: TestServer;
  let other: OtherTenant;
  let key: string;
  const req = (method: string, path: string, headers: Record<string, string> = {}, body?: unknown) =>
    call(`${s.url}${path}`, { method, headers, body });

  before(async () => {
    s = await startTestServer();
    other = await createOtherTenant(s);
    key = s.demo.api_key;
  });
  after(() => s.close());

  test('no key: 401 UNAUTHORIZED on every endpoint and prefix, before the body is even validated', async () => {
    for (const p of PREFIXES) {
      for (const e of ENDPOINTS) {
        const r = await req(e.method, p + e.path, {}, 'body' in e ? { nonsense: 1 } : undefined);
        assert.equal(r.status, 401, `${e.method} ${p}${e.path}`);
        assert.ok(isErrorEnvelope(r.body, 'UNAUTHORIZED'), JSON.stringify(r.body));
      }
    }
  });

  test('bad key, revoked key, wrong scheme: 401 UNAUTHORIZED', async () => {
    const revoked = await keyWithScopes(s, ['agent']);
    await s.t.ctx.credentials.revokeApiKey(revoked);
    const cases: Record<string, string>[] = [
      { Authorization: 'td_live_notarealkey' },
      { 'X-Api-Key': 'sk_live_xxx' },
      { Authorization: revoked },
      { Authorization: `Digest ${key}` },
    ];
    for (const headers of cases) {
      const r = await req('GET', '/v1/agents', headers);
      assert.equal(r.status, 401, JSON.stringify(headers));
      assert.ok(isErrorEnvelope(r.body, 'UNAUTHORIZED'));
    }
  });

  test('a key without the scope: 403 INSUFFICIENT_SCOPE, and nothing is written', async () => {
    const agentOnly = await keyWithScopes(s, ['agent']);
    const queueOnly = await keyWithScopes(s, ['queue']);
    const before = await revisionOf(s);
    for (const p of PREFIXES) {
      for (const e of ENDPOINTS) {
        const wrong = e.scope === 'agent' ? queueOnly : agentOnly;
        const r = await req(e.method, p + e.path, { Authorization: wrong }, 'body' in e ? e.body : undefined);
        assert.equal(r.status, 403, `${e.method} ${p}${e.path}`);
        assert.ok(isErrorEnvelope(r.body, 'INSUFFICIENT_SCOPE'), JSON.stringify(r.body));
        assert.match(r.body.error_message, new RegExp(`"${e.scope}"`));
      }
    }
    assert.equal(await revisionOf(s), before);
    const right = await req('GET', '/v1/queues/inbound', { Authorization: queueOnly });
    assert.equal(right.status, 200);
  });

  test("X-Tenant-ID of tenant B with tenant A's key: 401 UNAUTHORIZED (documented code); A's own id or no header: 200", async () => {
    for (const p of PREFIXES) {
      for (const e of ENDPOINTS) {
        const body = 'body' in e ? e.body : undefined;
        for (const bad of [String(other.tenantId), 'abc', `${s.demo.tenant_id},${other.tenantId}`]) {
          const r = await req(e.method, p + e.path, { Authorization: key, 'X-Tenant-ID': bad }, body);
          assert.equal(r.status, 401, `${e.method} ${p}${e.path} X-Tenant-ID ${bad}`);
          assert.ok(isErrorEnvelope(r.body, 'UNAUTHORIZED'), JSON.stringify(r.body));
        }
        const own = await req(
          e.method,
          p + e.path,
          { Authorization: key, 'X-Tenant-ID': String(s.demo.tenant_id) },
          body,
        );
        assert.equal(own.status, 200, `${e.method} ${p}${e.path}: ${JSON.stringify(own.body)}`);
      }
    }
    // Tenant B's key with tenant A's id is refused the same way.
    const r = await req('GET', '/v1/agents', {
      'X-Api-Key': other.key,
      'X-Tenant-ID': String(s.demo.tenant_id),
    });
    assert.equal(r.status, 401);
    assert.ok(isErrorEnvelope(r.body, 'UNAUTHORIZED'));
  });

  test("team_id of another tenant narrows to nothing: B's agents never appear in A's list", async () => {
    const r = await req('GET', `/v1/agents?team_id=${other.tenantId}`, { Authorization: key });
    assert.equal(r.status, 200);
    assert.equal(r.body.totalRecord, 0);
    assert.deepEqual(r.body.data, []);
    const all = await req('GET', '/v1/agents?size=100', { Authorization: key });
    assert.ok(
      all.body.data.every((a: any) => a.tenantId === s.demo.tenant_id && a.agentId !== other.agentExtension),
    );
    const byQueue = await req('GET', `/v1/agents?queue_id=${other.inboundQueueId}`, { Authorization: key });
    assert.equal(byQueue.body.totalRecord, 0);
  });

  test("another tenant's agent or queue in the path: 404 NOT_FOUND, nothing changed", async () => {
    const before = await revisionOf(s, other.tenantId);
    const cases = [
      ['PUT', `/agents/${other.agentExtension}/queues`, { queue_ids: [other.inboundQueueId] }],
      ['PUT', `/agents/${other.agentExtension}/recording`, { enabled: true }],
      ['GET', `/queues/inbound/${other.inboundQueueId}`, undefined],
      ['PUT', `/queues/inbound/${other.inboundQueueId}`, { strategy: 99 }],
    ] as const;
    for (const p of PREFIXES) {
      for (const [method, path, body] of cases) {
        const r = await req(method, p + path, { Authorization: key }, body);
        assert.equal(r.status, 404, `${method} ${p}${path}`);
        assert.ok(isErrorEnvelope(r.body, 'NOT_FOUND'), JSON.stringify(r.body));
      }
    }
    assert.equal(await revisionOf(s, other.tenantId), before);
    const agent = await getAgentByExtension(s.t.ctx.db, other.tenantId, other.agentExtension);
    assert.equal(agent.recording_enabled, 0);
    assert.equal(
      (await getInboundQueue(s.t.ctx.db, other.tenantId, other.inboundQueueId)).management_type,
      1,
    );
  });

  test("another tenant's queue ids in queue_ids: 404 NOT_FOUND naming the id, the agent's queues unchanged", async () => {
    const before = await req('GET', '/v1/agents?size=100', { Authorization: key });
    const rev = await revisionOf(s);
    for (const [type, ids, bad] of [
      ['callin', [1, other.inboundQueueId], other.inboundQueueId],
      ['callout', [other.outboundQueueId], other.outboundQueueId],
    ] as const) {
      const r = await req(
        'PUT',
        `/v1/agents/1001/queues?type=${type}`,
        { Authorization: key },
        { queue_ids: ids },
      );
      assert.equal(r.status, 404, type);
      assert.ok(isErrorEnvelope(r.body, 'NOT_FOUND'));
      assert.match(r.body.error_message, new RegExp(String(bad)));
    }
    assert.equal(await revisionOf(s), rev);
    const afterList = await req('GET', '/v1/agents?size=100', { Authorization: key });
    assert.deepEqual(afterList.body.data, before.body.data);
  });

  test('unknown body fields (mass assignment) are ignored: only the documented fields act', async () => {
    const otherRows = () =>
      s.t.ctx.db.selectFrom('inbound_queues').selectAll().where('tenant_id', '=', other.tenantId).execute();
    const otherBefore = await otherRows();
    const cases = [
      ['/agents/1001/recording', { enabled: true, tenant_id: other.tenantId }],
      ['/queues/inbound/1', { strategy: 1, tenant_id: other.tenantId }],
      ['/queues/inbound/1', { strategy: 1, name: 'renamed' }],
    ] as const;
    for (const [path, body] of cases) {
      const r = await req('PUT', `/v1${path}`, { Authorization: key }, body);
      assert.equal(r.status, 200, `${path} ${JSON.stringify(r.body)}`);
    }
    const q = await req('GET', '/v1/queues/inbound/1', { Authorization: key });
    assert.notEqual(q.body.data?.name ?? q.body.name, 'renamed');
    assert.deepEqual(await otherRows(), otherBefore);
  });

  test('rate limits: headers on every authenticated answer, 429 RATE_LIMIT_EXCEEDED with Retry-After', async () => {
    await updateTenantLimits(s.t.ctx.db, other.tenantId, { rateLimitRoute: 2 });
    const h = { Authorization: other.key };
    const first = await req('GET', '/v1/queues/inbound', h);
    assert.equal(first.headers.get('x-ratelimit-limit-route'), '2');
    assert.equal(first.headers.get('x-ratelimit-remaining-route'), '1');
    assert.ok(first.headers.get('x-ratelimit-limit-tenant'));
    assert.ok(first.headers.get('x-ratelimit-remaining-tenant'));
    // Errors after authentication carry them too.
    const notFound = await req('GET', '/v1/queues/inbound/999999', h);
    assert.equal(notFound.status, 404);
    assert.equal(notFound.headers.get('x-ratelimit-remaining-route'), '1');
    await req('GET', '/v1/queues/inbound', h);
    const limited = await req('GET', '/v1/queues/inbound', h);
    assert.equal(limited.status, 429);
    assert.ok(isErrorEnvelope(limited.body, 'RATE_LIMIT_EXCEEDED'));
    assert.ok(Number(limited.headers.get('retry-after')) >= 1);
    assert.equal(limited.headers.get('x-ratelimit-remaining-route'), '0');
  });

  test('unknown routes and methods under both prefixes: 404 NOT_FOUND in the envelope', async () => {
    for (const [method, path] of [
      ['GET', '/v1/nothing'],
      ['GET', '/api/v1/agents/1001'],
      ['POST', '/v1/agents'],
      ['DELETE', '/api/v1/queues/inbound/1'],
    ] as const) {
      const r = await req(method, path, { Authorization: key });
      assert.equal(r.status, 404, `${method} ${path}`);
      assert.ok(isErrorEnvelope(r.body, 'NOT_FOUND'), JSON.stringify(r.body));
    }
  });
});
