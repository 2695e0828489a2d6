import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { basic, insertAgents } from '../statuses/fixtures.js';

const PATH = '/apps/api/v1/agent_statuses';

describe('CCAI: the array encodings integrators’ HTTP clients send', () => {
  let s: TestServer;
  let ids: number[];
  const get = (query: string) =>
    call(`${s.url}${PATH}?${query}`, { headers: { authorization: basic(s.demo.api_key) } });

  before(async () => {
    s = await startTestServer();
    ids = (await insertAgents(s, s.demo.tenant_id, 3, 'Enc')).map((a) => a.id);
  });
  after(() => s.close());

  it('agent_ids[]= (axios default), agent_ids[n]= (axios indices), repeated and comma lists select the same agents', async () => {
    const [a, b] = ids as [number, number];
    const forms = [
      `agent_ids[]=${a}&agent_ids[]=${b}`,
      `agent_ids%5B%5D=${a}&agent_ids%5B%5D=${b}`,
      `agent_ids[0]=${a}&agent_ids[1]=${b}`,
      `agent_ids=${a}&agent_ids=${b}`,
      `agent_ids=${a},${b}`,
      `agent_ids=${a}%2C${b}`,
    ];
    for (const q of forms) {
      const r = await get(q);
      assert.equal(r.status, 200, `${q}: ${JSON.stringify(r.body)}`);
      assert.deepEqual(
        r.body.map((e: any) => e.agent_id),
        [a, b],
        q,
      );
    }
    // One id alone with the bracket form is still a selection, not "every agent".
    const one = await get(`agent_ids[]=${a}`);
    assert.deepEqual(
      one.body.map((e: any) => e.agent_id),
      [a],
    );
  });

  it('a bad id in any encoding is the family 400', async () => {
    for (const q of ['agent_ids[]=x', 'agent_ids[]=1&agent_ids[]=99999999999', 'agent_ids=1e3']) {
      const r = await get(q);
      assert.equal(r.status, 400, q);
      assert.deepEqual(Object.keys(r.body), ['message']);
    }
  });
});
