import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { addTeamMembers, createTeam } from '../../src/domain/teams.js';
import { basic, insertAgents, otherTenantWithAgent, raw } from '../statuses/fixtures.js';

const PATH = '/apps/api/v1/agent_statuses';

describe('CCAI agent statuses: security', () => {
  let s: TestServer;
  let auth: Record<string, string>;
  let mine: { id: number };
  let other: Awaited<ReturnType<typeof otherTenantWithAgent>>;
  let otherTeam: number;

  before(async () => {
    s = await startTestServer();
    auth = { authorization: basic(s.demo.api_key) };
    mine = (await insertAgents(s, s.demo.tenant_id, 1, 'Mine'))[0]!;
    await s.t.ctx.statuses.login(s.demo.tenant_id, mine.id, 'test');
    other = await otherTenantWithAgent(s);
    await s.t.ctx.statuses.login(other.tenantId, other.agent.id, 'test');
    otherTeam = (await createTeam(s.t.ctx.db, s.clock, other.tenantId, 'Theirs')).id;
    await addTeamMembers(s.t.ctx.db, other.tenantId, otherTeam, [other.agent.id]);
  });
  after(() => s.close());

  const otherStatus = async () =>
    (await s.t.ctx.statuses.getStatuses(other.tenantId, [other.agent.id]))[0]!.status;

  it("another tenant's agent and team ids are reported as not found and never changed", async () => {
    const r = await call(s.url + PATH, {
      method: 'POST',
      headers: auth,
      body: { status: 'Lunch', agent_ids: [mine.id, other.agent.id], team_ids: [otherTeam] },
    });
    assert.equal(r.status, 200);
    assert.equal(r.body[0].agent_id, mine.id);
    assert.equal(r.body[0].current_status, 'Lunch');
    assert.deepEqual(r.body.slice(1), [
      { agent_id: other.agent.id, message: `Agent ${other.agent.id} not found` },
      { team_id: otherTeam, message: `Team ${otherTeam} not found` },
    ]);
    assert.equal(await otherStatus(), 'Available');
    const hist = await s.t.ctx.db
      .selectFrom('status_history')
      .select('id')
      .where('agent_id', '=', other.agent.id)
      .where('changed_by', 'like', 'ccai:%')
      .execute();
    assert.equal(hist.length, 0);
  });

  it('a body naming another tenant changes nothing there (no mass assignment)', async () => {
    const r = await call(s.url + PATH, {
      method: 'POST',
      headers: auth,
      body: { status: 'Meeting', agent_ids: [other.agent.id], tenant_id: other.tenantId, team_ids: [] },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [{ agent_id: other.agent.id, message: `Agent ${other.agent.id} not found` }]);
    assert.equal(await otherStatus(), 'Available');
  });

  it("GET never shows another tenant's agents, by id, by team, or in the full list", async () => {
    const r = await raw(s.url + PATH, {
      headers: auth,
      body: { agent_ids: [other.agent.id], team_ids: [otherTeam] },
    });
    assert.equal(r.status, 200);
    assert.deepEqual(r.body, [
      { agent_id: other.agent.id, message: `Agent ${other.agent.id} not found` },
      { team_id: otherTeam, message: `Team ${otherTeam} not found` },
    ]);
    const all = await call(s.url + PATH, { headers: { authorization: basic(other.apiKey) } });
    assert.deepEqual(
      all.body.map((e: { agent_id: number }) => e.agent_id),
      [other.agent.id],
    );
  });

  it('missing, malformed, invalid or revoked credentials: 401 with a message', async () => {
    const revoked = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['status'], 'revoked');
    await s.t.ctx.credentials.revokeApiKey(String(revoked.id));
    const cases: [string, Record<string, string>][] = [
      ['none', {}],
      ['wrong key', { authorization: basic('td_live_not_a_real_key') }],
      ['garbage basic', { authorization: 'Basic !!!notbase64' }],
      ['unknown scheme', { authorization: `Digest ${s.demo.api_key}` }],
      ['revoked', { authorization: basic(revoked.key) }],
    ];
    for (const [label, headers] of cases) {
      for (const method of ['GET', 'POST']) {
        const r = await call(s.url + PATH, {
          method,
          headers,
          ...(method === 'POST' ? { body: { status: 'Lunch', agent_ids: [mine.id] } } : {}),
        });
        assert.equal(r.status, 401, `${label} ${method}`);
        assert.deepEqual(r.body, { message: 'missing or invalid credentials' });
        assert.match(r.headers.get('www-authenticate') ?? '', /^Basic/);
      }
    }
  });

  it('a key without the status scope: 403, and nothing changes', async () => {
    const k = await s.t.ctx.credentials.createApiKey(
      s.demo.tenant_id,
      ['agent', 'queue', 'call'],
      'no-status',
    );
    const before = (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [mine.id]))[0]!.status;
    const r = await call(s.url + PATH, {
      method: 'POST',
      headers: { authorization: basic(k.key) },
      body: { status: before === 'Break' ? 'Lunch' : 'Break', agent_ids: [mine.id] },
    });
    assert.equal(r.status, 403);
    assert.deepEqual(r.body, { message: 'this credential lacks the "status" scope' });
    assert.equal((await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [mine.id]))[0]!.status, before);
    const g = await call(s.url + PATH, { headers: { authorization: `Bearer ${k.key}` } });
    assert.equal(g.status, 403);
    const ok = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['status'], 'status-only');
    assert.equal((await call(s.url + PATH, { headers: { authorization: basic(ok.key, '') } })).status, 200);
  });
});

describe('CCAI agent statuses: rate limits', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ env: { RATE_LIMIT_ROUTE: '2' } });
  });
  after(() => s.close());

  it('429 with the Kong headers and a Retry-After, in the CCAI envelope', async () => {
    const get = () => call(s.url + PATH, { headers: { authorization: basic(s.demo.api_key) } });
    const first = await get();
    assert.equal(first.status, 200);
    assert.equal(first.headers.get('x-ratelimit-limit-route'), '2');
    assert.equal(first.headers.get('x-ratelimit-remaining-route'), '1');
    await get();
    const third = await get();
    assert.equal(third.status, 429);
    assert.equal(third.headers.get('x-ratelimit-remaining-route'), '0');
    assert.ok(Number(third.headers.get('retry-after')) >= 1);
    assert.match(third.body.message, /^rate limit exceeded, retry after \d+ s$/);
  });
});
