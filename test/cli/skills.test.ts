import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer, storageKind } from '../helpers/harness.js';
import { assertOneLineError, oneJson, tongdai } from '../helpers/cli.js';
import { getAgentSkills, getQueueSkills } from '../../src/domain/skills.js';

describe(`tongdai skill commands (${storageKind})`, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('create, list, set an agent and a queue; the server reads what the CLI wrote', async () => {
    const tenant = String(s.demo.tenant_id);
    const agent = s.demo.agents[0]!;
    const created = oneJson(
      await tongdai(['--json', 'skill', 'create', '--tenant', tenant, '--name', 'Billing'], s.env),
    );
    assert.equal(created.name, 'Billing');
    oneJson(await tongdai(['--json', 'skill', 'create', '--tenant', tenant, '--name', 'English'], s.env));
    const list = oneJson(await tongdai(['--json', 'skill', 'list', '--tenant', tenant], s.env));
    assert.deepEqual(
      list.skills.map((x: { name: string }) => x.name),
      ['Billing', 'English'],
    );
    const set = oneJson(
      await tongdai(
        [
          '--json',
          'skill',
          'set-agent',
          '--tenant',
          tenant,
          '--agent',
          agent.email,
          '--skills',
          'billing:4, English:2',
        ],
        s.env,
      ),
    );
    assert.deepEqual(
      set.skills.map((x: { name: string; proficiency: number }) => [x.name, x.proficiency]),
      [
        ['Billing', 4],
        ['English', 2],
      ],
    );
    assert.equal((await getAgentSkills(s.t.ctx.db, s.demo.tenant_id, agent.agent_id)).length, 2);
    const queue = await s.t.ctx.db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', s.demo.tenant_id)
      .executeTakeFirstOrThrow();
    const reqs = JSON.stringify([
      { skill_id: created.skill_id, min_proficiency: 3, relax: [{ after_sec: 30, min_proficiency: 0 }] },
    ]);
    oneJson(
      await tongdai(
        [
          '--json',
          'skill',
          'set-queue',
          '--tenant',
          tenant,
          '--queue',
          String(queue.id),
          '--requirements',
          reqs,
        ],
        s.env,
      ),
    );
    assert.deepEqual(await getQueueSkills(s.t.ctx.db, s.demo.tenant_id, queue.id), [
      {
        skill_id: created.skill_id,
        name: 'Billing',
        min_proficiency: 3,
        relax: [{ after_sec: 30, min_proficiency: 0 }],
      },
    ]);
  });

  it('bad input: one line, no stack, nothing written', async () => {
    const tenant = String(s.demo.tenant_id);
    const agent = s.demo.agents[0]!;
    assertOneLineError(
      await tongdai(
        ['skill', 'set-agent', '--tenant', tenant, '--agent', agent.email, '--skills', 'Billing:9'],
        s.env,
      ),
      /^tongdai: \/skills\/0\/proficiency: must be an integer from 1 to 5$/,
    );
    assertOneLineError(
      await tongdai(
        ['skill', 'set-agent', '--tenant', tenant, '--agent', agent.email, '--skills', 'Nope:3'],
        s.env,
      ),
      /skill 'Nope' not found/,
    );
    assertOneLineError(
      await tongdai(['skill', 'create', '--tenant', tenant, '--name', 'billing'], s.env),
      /already exists/,
    );
    assert.equal((await getAgentSkills(s.t.ctx.db, s.demo.tenant_id, agent.agent_id)).length, 2);
  });
});
