import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { basic } from '../statuses/fixtures.js';

// Replays of what integrators' HTTP clients put on the wire (axios, requests, curl), byte for byte where it
// matters, against every family. Each answer must be the family's own shape, never a 500.

interface Raw {
  status: number;
  body: any;
  headers: Record<string, string | string[] | undefined>;
}

/** One request exactly as given: no content-length or body unless stated, the path unnormalised. */
function raw(s: TestServer, method: string, path: string, headers: Record<string, string>, body?: string) {
  const { port } = new URL(s.url);
  return new Promise<Raw>((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: unknown = text;
        try {
          parsed = text ? JSON.parse(text) : undefined;
        } catch {
          // not JSON: keep the text
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

type Shape = (r: Raw, status: number) => void;

const nativeShape: Shape = (r, status) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['error']);
  assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message']);
};
const omicallShape: Shape = (r, status) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.equal(r.body.status_code, status);
  assert.equal(r.body.payload, null);
  assert.equal(typeof r.body.message, 'string');
  assert.equal(typeof r.body.error_description, 'string');
};
const alohubShape: Shape = (r, status) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ['error_code', 'error_message', 'success']);
  assert.equal(r.body.success, '0');
};
const ccaiShape: Shape = (r, status) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body), ['message']);
};
const antbuddyShape: Shape = (r, status) => {
  assert.equal(r.status, status, JSON.stringify(r.body));
  assert.deepEqual(Object.keys(r.body).sort(), ['code', 'message']);
};

describe('wire: what ordinary HTTP clients send', () => {
  let s: TestServer;
  let bearer: Record<string, string>;
  let key: Record<string, string>;
  before(async () => {
    s = await startTestServer();
    bearer = { authorization: `Bearer ${s.demo.bearer_token}` };
    key = { 'x-api-key': s.demo.api_key };
  });
  after(() => s.close());

  it('axios DELETE with Content-Type: application/json and no body deletes the OmiCall agent', async () => {
    const email = 'anh@demo.tongdai.local';
    // axios: no body, no Content-Length, the JSON content type from the instance defaults.
    const r = await raw(s, 'DELETE', `/api/agent/delete?identify_info=${encodeURIComponent(email)}`, {
      ...bearer,
      'content-type': 'application/json',
    });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status_code, 9999);
    const row = await s.t.ctx.db
      .selectFrom('agents')
      .select('is_active')
      .where('tenant_id', '=', s.demo.tenant_id)
      .where('email', '=', email)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(row.is_active, 0);
  });

  it('requests-style empty JSON bodies (Content-Length: 0) are no body on the searches of every family', async () => {
    const empty = { 'content-type': 'application/json', 'content-length': '0' };
    const v2 = await raw(s, 'POST', '/api/v2/agent/search', { ...bearer, ...empty }, '');
    assert.equal(v2.status, 200, JSON.stringify(v2.body));
    assert.ok(v2.body.payload.items.length >= 1);
    const v3 = await raw(s, 'POST', '/api/v3/agent/search', { ...key, ...empty }, '');
    assert.equal(v3.status, 200, JSON.stringify(v3.body));
    // Whitespace only is empty too; malformed JSON is still the family's 400.
    const ws = await raw(
      s,
      'POST',
      '/api/v2/agent/search',
      { ...bearer, 'content-type': 'application/json' },
      ' \n',
    );
    assert.equal(ws.status, 200);
    omicallShape(
      await raw(s, 'POST', '/api/v2/agent/search', { ...bearer, 'content-type': 'application/json' }, '{'),
      400,
    );
    // A body-less POST with the JSON type on a route whose fields are required names the field, not the body.
    const byEmail = await raw(s, 'POST', '/api/v2/agent/get-by-email', { ...bearer, ...empty }, '');
    omicallShape(byEmail, 400);
    assert.match(byEmail.body.error_description, /email/);
  });

  it('huge and non-finite numbers, ids above 2^31-1 and NUL bytes are the family 400, never a 500', async () => {
    const cases: [string, string, Record<string, string>, Shape, string?][] = [
      ['GET', '/api/agents?page=1e23', key, nativeShape],
      ['GET', '/api/agents?page=Infinity', key, nativeShape],
      ['GET', '/api/agents?size=NaN', key, nativeShape],
      ['GET', '/api/agents/99999999999', key, nativeShape],
      ['GET', '/api/agents/2147483648', key, nativeShape],
      ['GET', '/api/agent/list?page=1e23', bearer, omicallShape],
      ['GET', '/api/agent/list?keyword=a%00b', bearer, omicallShape],
      ['POST', '/api/v2/agent/search?page=1e23', bearer, omicallShape, '{}'],
      ['POST', '/api/v2/agent/search', bearer, omicallShape, '{"emails":["a\\u0000@x.vn"]}'],
      ['POST', '/api/v3/agent/search?size=Infinity', key, omicallShape, '{}'],
      ['POST', '/api/v2/agent/get-by-email', bearer, omicallShape, '{"email":"x\\u0000@x.vn"}'],
      ['GET', '/v1/agents?page=1e23', { authorization: s.demo.api_key }, alohubShape],
      ['GET', '/v1/agents?page=-1e23', { authorization: s.demo.api_key }, alohubShape],
      ['GET', '/api/v1/queues/inbound/99999999999', { authorization: s.demo.api_key }, alohubShape],
      [
        'GET',
        '/apps/api/v1/agent_statuses?agent_ids=99999999999',
        { authorization: basic(s.demo.api_key) },
        ccaiShape,
      ],
      [
        'POST',
        '/apps/api/v1/agent_statuses',
        { authorization: basic(s.demo.api_key) },
        ccaiShape,
        '{"status":"Avail\\u0000able","agent_ids":[1]}',
      ],
      [
        'POST',
        '/apps/api/v1/agent_statuses',
        { authorization: basic(s.demo.api_key) },
        ccaiShape,
        '{"status":"Available","agent_ids":[1e23]}',
      ],
    ];
    for (const [method, path, auth, shape, body] of cases) {
      const headers: Record<string, string> = { ...auth };
      if (body !== undefined) headers['content-type'] = 'application/json';
      const r = await raw(s, method, path, headers, body);
      assert.ok(r.status < 500, `${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
      shape(r, 400);
    }
  });

  it('unknown routes and methods under each prefix answer 404 in that family', async () => {
    const a = { authorization: s.demo.api_key };
    const cases: [string, string, Shape][] = [
      ['GET', '/api/nope', nativeShape],
      ['PATCH', '/api/agents', nativeShape],
      ['GET', '/api/agent/nope', omicallShape],
      ['PUT', '/api/agent/list', omicallShape],
      ['GET', '/api/v2/agent/search', omicallShape],
      ['GET', '/api/v3/nope', omicallShape],
      ['GET', '/v1/nope', alohubShape],
      ['DELETE', '/api/v1/agents', alohubShape],
      ['GET', '/apps/api/v1/nope', ccaiShape],
      ['DELETE', '/apps/api/v1/agent_statuses', ccaiShape],
      ['GET', '/oapi/v1/nope', antbuddyShape],
    ];
    for (const [method, path, shape] of cases) shape(await raw(s, method, path, a), 404);
  });

  it('bad % escapes, over-long path parameters and oversized headers answer in the family shape', async () => {
    nativeShape(await raw(s, 'GET', '/api/agents/%E0%A4%A', key), 400);
    alohubShape(await raw(s, 'GET', '/v1/queues/inbound/%zz', { authorization: s.demo.api_key }), 400);
    const long = '1'.repeat(300);
    nativeShape(await raw(s, 'GET', `/api/agents/${long}`, key), 400);
    alohubShape(await raw(s, 'GET', `/v1/queues/inbound/${long}`, { authorization: s.demo.api_key }), 400);
    const big = { 'x-junk': 'a'.repeat(20_000) };
    const h = await raw(s, 'GET', '/api/agent/list', { ...bearer, ...big });
    omicallShape(h, 431);
    alohubShape(await raw(s, 'GET', '/v1/agents', big), 431);
    // The server is still up for the next ordinary request.
    assert.equal((await raw(s, 'GET', '/api/agent/list', bearer)).status, 200);
  });
});
