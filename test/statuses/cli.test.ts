import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';
import { oneJson, tongdai } from '../helpers/cli.js';
import { basic, insertAgents, otherTenantWithAgent } from './fixtures.js';

describe(`tongdai team commands (${storageKind})`, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('a tenant created from the CLI starts with the default statuses', async () => {
    const t = oneJson(await tongdai(['--json', 'tenant', 'create', '--name', 'Statuses Inc'], s.env));
    const names = (await s.t.ctx.statuses.listStatuses(t.tenant_id)).map((x) => x.name);
    assert.deepEqual(names, [
      'Available',
      'Lunch',
      'Meeting',
      'Break',
      'Offline',
      'Ringing',
      'In-call',
      'Wrap-up',
    ]);
  });

  it('create, add members by id or email, list; the running server sees the team at once', async () => {
    const tenant = String(s.demo.tenant_id);
    const [a, b] = await insertAgents(s, s.demo.tenant_id, 2, 'Cli');
    const created = oneJson(
      await tongdai(['--json', 'team', 'create', '--tenant', tenant, '--name', 'Tier 2'], s.env),
    );
    assert.deepEqual(Object.keys(created).sort(), ['name', 'team_id']);
    assert.equal(created.name, 'Tier 2');
    const add1 = oneJson(
      await tongdai(
        ['--json', 'team', 'add-member', '--tenant', tenant, '--team', 'tier 2', '--agent', String(a!.id)],
        s.env,
      ),
    );
    assert.deepEqual(add1, { team_id: created.team_id, agent_id: a!.id, added: true });
    const add2 = oneJson(
      await tongdai(
        [
          '--json',
          'team',
          'add-member',
          '--tenant',
          tenant,
          '--team',
          String(created.team_id),
          '--agent',
          b!.email,
        ],
        s.env,
      ),
    );
    assert.equal(add2.added, true);
    const again = oneJson(
      await tongdai(
        ['--json', 'team', 'add-member', '--tenant', tenant, '--team', 'Tier 2', '--agent', b!.email],
        s.env,
      ),
    );
    assert.equal(again.added, false);
    const list = oneJson(await tongdai(['--json', 'team', 'list', '--tenant', tenant], s.env));
    assert.deepEqual(list, {
      teams: [{ team_id: created.team_id, name: 'Tier 2', agent_ids: [a!.id, b!.id] }],
    });

    await s.t.ctx.statuses.login(s.demo.tenant_id, a!.id, 'test');
    const r = await call(`${s.url}/apps/api/v1/agent_statuses?team_ids=${created.team_id}`, {
      headers: { authorization: basic(s.demo.api_key) },
    });
    assert.deepEqual(
      r.body.map((e: { agent_id: number; status: string }) => [e.agent_id, e.status]),
      [
        [a!.id, 'Available'],
        [b!.id, 'Offline'],
      ],
    );
  });

  it('errors: one line, no stack, non-zero exit; another tenant stays out of reach', async () => {
    const tenant = String(s.demo.tenant_id);
    const dup = await tongdai(['team', 'create', '--tenant', tenant, '--name', 'TIER 2'], s.env);
    assert.notEqual(dup.code, 0);
    assert.equal(dup.stderr.trim(), "tongdai: team 'Tier 2' already exists");
    const noTenant = await tongdai(['--json', 'team', 'list', '--tenant', '424242'], s.env);
    assert.notEqual(noTenant.code, 0);
    assert.deepEqual(oneJson(noTenant), { error: 'tenant 424242 not found' });
    const o = await otherTenantWithAgent(s);
    const foreign = await tongdai(
      ['team', 'add-member', '--tenant', tenant, '--team', 'Tier 2', '--agent', String(o.agent.id)],
      s.env,
    );
    assert.notEqual(foreign.code, 0);
    assert.equal(foreign.stderr.trim(), `tongdai: agent ${o.agent.id} not found`);
    const badAgent = await tongdai(
      ['team', 'add-member', '--tenant', tenant, '--team', 'Tier 2', '--agent', 'bob'],
      s.env,
    );
    assert.match(badAgent.stderr, /--agent must be an agent id or an email address, got "bob"/);
    assert.doesNotMatch(badAgent.stderr, /\n\s+at /);
  });
});
