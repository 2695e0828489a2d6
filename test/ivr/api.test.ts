import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/harness.js';

const FLOW = {
  start: 'main',
  nodes: { main: { type: 'menu', prompt: ['welcome'], options: { '1': { type: 'hangup' } } } },
};

describe('native IVR flows API', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
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

  it('an invalid flow is refused with the JSON path of the problem, and nothing is saved', async () => {
    const bad = structuredClone(FLOW) as any;
    bad.nodes.main.options['1'] = { type: 'queue', queueId: 0 };
    const r = await api('POST', '/api/ivr/flows', { name: 'bad', flow: bad });
    assert.equal(r.status, 400);
    assert.equal(r.body.error.code, 'INVALID_INPUT');
    assert.equal(r.body.error.path, '/nodes/main/options/1/queueId');
    assert.match(r.body.error.message, /^\/nodes\/main\/options\/1\/queueId: /);
    assert.deepEqual((await api('GET', '/api/ivr/flows')).body.flows, []);
  });

  it('create, update (a new version; the old one stays readable), assign a number, delete refused while used', async () => {
    const c = await api('POST', '/api/ivr/flows', { name: 'Hotline', flow: FLOW });
    assert.equal(c.status, 201);
    assert.equal(c.body.version, 1);
    const id = c.body.id as number;
    const v2 = structuredClone(FLOW) as any;
    v2.nodes.main.prompt = ['goodbye'];
    const u = await api('PUT', `/api/ivr/flows/${id}`, { flow: v2 });
    assert.equal(u.status, 200);
    assert.equal(u.body.current_version, 2);
    const badUpdate = await api('PUT', `/api/ivr/flows/${id}`, { flow: { start: 'x', nodes: {} } });
    assert.equal(badUpdate.status, 400);
    assert.equal(
      (await api('GET', `/api/ivr/flows/${id}`)).body.current_version,
      2,
      'an invalid update saves nothing',
    );
    const old = await api('GET', `/api/ivr/flows/${id}?version=1`);
    assert.deepEqual(old.body.flow.nodes.main.prompt, ['welcome']);
    assert.equal((await api('GET', `/api/ivr/flows/${id}?version=9`)).status, 404);
    const dup = await api('POST', '/api/ivr/flows', { name: 'Hotline', flow: FLOW });
    assert.equal(dup.status, 409);

    const a = await api('PUT', `/api/ivr/numbers/${s.demo.hotline}`, { flow_id: id });
    assert.equal(a.status, 200);
    assert.deepEqual((await api('GET', `/api/ivr/flows/${id}`)).body.numbers, [s.demo.hotline]);
    assert.equal((await api('PUT', '/api/ivr/numbers/0999999999', { flow_id: id })).status, 404);
    assert.equal((await api('PUT', `/api/ivr/numbers/${s.demo.hotline}`, { flow_id: 999 })).status, 404);
    assert.equal((await api('DELETE', `/api/ivr/flows/${id}`)).status, 409);

    const spare = await api('POST', '/api/ivr/flows', { name: 'Spare', flow: FLOW });
    assert.equal((await api('DELETE', `/api/ivr/flows/${spare.body.id}`)).status, 204);
    assert.equal((await api('GET', `/api/ivr/flows/${spare.body.id}`)).status, 404);
  });

  it('needs an API key', async () => {
    const r = await api('GET', '/api/ivr/flows', undefined, 'nope');
    assert.equal(r.status, 401);
  });
});
