import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { type OtherTenant, otherTenant } from '../helpers/tenants.js';

describe('native skills API', () => {
  let s: TestServer;
  let other: OtherTenant;
  let queueId: number;
  let agentId: number;
  before(async () => {
    s = await startTestServer();
    other = await otherTenant(s);
    const q = await s.t.ctx.db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', s.demo.tenant_id)
      .executeTakeFirstOrThrow();
    queueId = q.id;
    agentId = s.demo.agents[0]!.agent_id;
  });
  after(async () => {
    await s?.close();
  });
  const api = async (method: string, path: string, body?: unknown, key = s.demo.api_key) => {
    const res = await fetch(s.url + path, {
      method,
      headers: { 'x-api-key': key, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, any> };
  };
  const revision = async () =>
    (
      await s.t.ctx.db
        .selectFrom('tenants')
        .select('revision')
        .where('id', '=', s.demo.tenant_id)
        .executeTakeFirstOrThrow()
    ).revision;

  it('creates, lists, renames and deletes skills; names are unique case-insensitively', async () => {
    const c = await api('POST', '/api/skills', { name: 'Billing', description: 'Invoices and refunds' });
    assert.equal(c.status, 201);
    assert.equal(c.body.name, 'Billing');
    const id = c.body.id as number;
    assert.equal((await api('POST', '/api/skills', { name: 'billing' })).status, 409);
    const r = await api('PATCH', `/api/skills/${id}`, { name: 'Billing VN' });
    assert.equal(r.status, 200);
    assert.equal(r.body.name, 'Billing VN');
    assert.equal(r.body.description, 'Invoices and refunds');
    const list = await api('GET', '/api/skills');
    assert.deepEqual(
      list.body.skills.map((x: { name: string }) => x.name),
      ['Billing VN'],
    );
    assert.equal((await api('DELETE', `/api/skills/${id}`)).status, 204);
    assert.equal((await api('GET', `/api/skills/${id}`)).status, 404);
    const blank = await api('POST', '/api/skills', { name: '   ' });
    assert.equal(blank.status, 400);
    assert.equal(blank.body.error.path, '/name');
  });

  it('replaces an agent skill list and a queue requirement list, bumping the revision the ACD reloads on', async () => {
    const en = (await api('POST', '/api/skills', { name: 'English' })).body.id as number;
    const vi = (await api('POST', '/api/skills', { name: 'Vietnamese' })).body.id as number;
    const rev = await revision();
    const put = await api('PUT', `/api/agents/${agentId}/skills`, {
      skills: [
        { skill_id: vi, proficiency: 5 },
        { skill_id: en, proficiency: 2 },
      ],
    });
    assert.equal(put.status, 200);
    assert.deepEqual(put.body.skills, [
      { skill_id: en, name: 'English', proficiency: 2 },
      { skill_id: vi, name: 'Vietnamese', proficiency: 5 },
    ]);
    assert.ok((await revision()) > rev);
    const reqs = [
      {
        skill_id: en,
        min_proficiency: 4,
        relax: [
          { after_sec: 20, min_proficiency: 2 },
          { after_sec: 60, min_proficiency: 0 },
        ],
      },
    ];
    const q = await api('PUT', `/api/queues/${queueId}/skills`, { requirements: reqs });
    assert.equal(q.status, 200);
    assert.deepEqual(q.body.requirements, [{ ...reqs[0], name: 'English' }]);
    assert.deepEqual((await api('GET', `/api/queues/${queueId}/skills`)).body, q.body);
    // Deleting a skill takes it off agents and queues.
    await api('DELETE', `/api/skills/${en}`);
    assert.deepEqual((await api('GET', `/api/agents/${agentId}/skills`)).body.skills, [
      { skill_id: vi, name: 'Vietnamese', proficiency: 5 },
    ]);
    assert.deepEqual((await api('GET', `/api/queues/${queueId}/skills`)).body.requirements, []);
    assert.equal((await api('PUT', `/api/agents/${agentId}/skills`, { skills: [] })).status, 200);
  });

  it('bad input is 400 with the field, nothing saved', async () => {
    const id = (await api('POST', '/api/skills', { name: 'Sales' })).body.id as number;
    await api('PUT', `/api/agents/${agentId}/skills`, { skills: [{ skill_id: id, proficiency: 3 }] });
    const cases: [string, string, unknown, string][] = [
      [
        'PUT',
        `/api/agents/${agentId}/skills`,
        { skills: [{ skill_id: id, proficiency: 6 }] },
        '/skills/0/proficiency',
      ],
      [
        'PUT',
        `/api/agents/${agentId}/skills`,
        { skills: [{ skill_id: id, proficiency: 0 }] },
        '/skills/0/proficiency',
      ],
      [
        'PUT',
        `/api/agents/${agentId}/skills`,
        {
          skills: [
            { skill_id: id, proficiency: 2 },
            { skill_id: 999_999, proficiency: 2 },
          ],
        },
        '/skills/1/skill_id',
      ],
      [
        'PUT',
        `/api/agents/${agentId}/skills`,
        {
          skills: [
            { skill_id: id, proficiency: 2 },
            { skill_id: id, proficiency: 4 },
          ],
        },
        '/skills/1/skill_id',
      ],
      ['PUT', `/api/agents/${agentId}/skills`, { skills: [{ skill_id: id }] }, '/skills/0/proficiency'],
      [
        'PUT',
        `/api/queues/${queueId}/skills`,
        {
          requirements: [
            { skill_id: id, min_proficiency: 3, relax: [{ after_sec: 10, min_proficiency: 3 }] },
          ],
        },
        '/requirements/0/relax/0/min_proficiency',
      ],
      [
        'PUT',
        `/api/queues/${queueId}/skills`,
        {
          requirements: [
            {
              skill_id: id,
              min_proficiency: 3,
              relax: [
                { after_sec: 30, min_proficiency: 2 },
                { after_sec: 20, min_proficiency: 1 },
              ],
            },
          ],
        },
        '/requirements/0/relax/1/after_sec',
      ],
    ];
    for (const [method, path, body, field] of cases) {
      const r = await api(method, path, body);
      assert.equal(r.status, 400, `${JSON.stringify(body)} → ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'INVALID_INPUT');
      assert.equal(r.body.error.path, field, JSON.stringify(r.body));
    }
    assert.deepEqual((await api('GET', `/api/agents/${agentId}/skills`)).body.skills, [
      { skill_id: id, name: 'Sales', proficiency: 3 },
    ]);
  });

  it("another tenant's skill, agent or queue is 404; its skill id in a list is unknown (400)", async () => {
    const mine = (await api('POST', '/api/skills', { name: 'Support' })).body.id as number;
    const theirs = (await api('POST', '/api/skills', { name: 'Theirs' }, other.apiKey)).body.id as number;
    for (const [method, path, body] of [
      ['GET', `/api/skills/${theirs}`, undefined],
      ['PATCH', `/api/skills/${theirs}`, { name: 'x' }],
      ['DELETE', `/api/skills/${theirs}`, undefined],
      ['GET', `/api/agents/${agentId}/skills`, undefined, other.apiKey],
      ['PUT', `/api/agents/${agentId}/skills`, { skills: [] }],
      ['PUT', `/api/queues/${queueId}/skills`, { requirements: [] }],
    ] as const) {
      // The first three are the demo tenant reaching the other's skill; the rest the other reaching the demo's rows.
      const key = path.startsWith('/api/skills') ? s.demo.api_key : other.apiKey;
      const r = await api(method, path, body, key);
      assert.equal(r.status, 404, `${method} ${path}: ${JSON.stringify(r.body)}`);
      assert.equal(r.body.error.code, 'NOT_FOUND');
    }
    assert.equal(
      (await api('GET', `/api/skills/${theirs}`, undefined, other.apiKey)).status,
      200,
      'still there',
    );
    const r = await api('PUT', `/api/agents/${agentId}/skills`, {
      skills: [{ skill_id: theirs, proficiency: 3 }],
    });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.path, '/skills/0/skill_id');
    assert.equal((await api('GET', `/api/skills/${mine}`)).status, 200);
  });

  it('an IVR branch may require skills of the tenant; a bad one is refused with its path', async () => {
    const id = (await api('POST', '/api/skills', { name: 'Priority line' })).body.id as number;
    const flow = (skills: unknown) => ({
      start: 'main',
      nodes: {
        main: {
          type: 'menu',
          prompt: ['welcome'],
          options: { '1': { type: 'queue', queueId, skills } },
        },
      },
    });
    const ok = await api('POST', '/api/ivr/flows', {
      name: 'skilled',
      flow: flow([{ skillId: id, minProficiency: 4, relax: [{ afterSec: 30, minProficiency: 0 }] }]),
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    for (const [skills, path] of [
      [[{ skillId: 999_999, minProficiency: 2 }], '/nodes/main/options/1/skills/0/skillId'],
      [[{ skillId: id, minProficiency: 6 }], '/nodes/main/options/1/skills/0/minProficiency'],
      [
        [{ skillId: id, minProficiency: 3, relax: [{ afterSec: 5, minProficiency: 4 }] }],
        '/nodes/main/options/1/skills/0/relax/0/minProficiency',
      ],
    ] as const) {
      const r = await api('POST', '/api/ivr/flows', { name: `bad ${path}`, flow: flow(skills) });
      assert.equal(r.status, 400, JSON.stringify(r.body));
      assert.equal(r.body.error.path, path);
    }
  });
});
