import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { appHeaders, signedQuery } from './helpers.js';

describe('AntBuddy security', () => {
  let s: TestServer;

  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const GETS = [
    '/oapi/v1/call/histories?created_from=2026-01-01&created_to=2026-01-02',
    '/oapi/v1/call/play_recording?media=x.wav',
    `/oapi/v1/call/dashboard?domain=d&email=e@x.y`,
    `/oapi/v1/queues?domain=d&email=e@x.y`,
    `/oapi/v1/agents?domain=d&email=e@x.y`,
  ];

  it('every endpoint refuses a request without credentials, in the family shape, never a 500', async () => {
    for (const path of GETS) {
      const res = await call(`${s.url}${path}`);
      assert.equal(res.status, 401, path);
      assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message'], path);
      assert.equal(res.body.code, 'missing_credentials');
    }
    for (const path of ['/oapi/v1/voice/auth_token', '/oapi/v1/call/click-to-call/0909123456']) {
      const res = await call(`${s.url}${path}`, { method: 'POST', body: {} });
      assert.equal(res.status, 401, path);
      assert.equal(res.body.message, 'missing x-auth-app-id / x-auth-app-hash headers');
    }
  });

  it('an unknown /oapi route answers 404 in the family shape', async () => {
    const res = await call(`${s.url}/oapi/v1/call/nothing?appId=x`);
    assert.equal(res.status, 404);
    assert.deepEqual(res.body, { message: 'no route GET /oapi/v1/call/nothing', code: 'not_found' });
  });

  it('a revoked app is refused at once', async () => {
    const other = await otherTenant(s);
    assert.equal(
      (
        await call(`${s.url}/oapi/v1/voice/auth_token`, {
          method: 'POST',
          headers: appHeaders(other.appId, other.appSecret),
        })
      ).status,
      200,
    );
    await s.t.ctx.credentials.revokeApp(other.appId);
    const res = await call(`${s.url}/oapi/v1/voice/auth_token`, {
      method: 'POST',
      headers: appHeaders(other.appId, other.appSecret),
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'invalid_credentials');
  });

  it("one app's hash never authenticates another app", async () => {
    const other = await otherTenant(s);
    // The demo app id with the other app's secret: a valid-looking hash for the wrong secret.
    const res = await call(`${s.url}/oapi/v1/voice/auth_token`, {
      method: 'POST',
      headers: appHeaders(s.demo.app_id, other.appSecret),
    });
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'invalid_signature');
  });

  it('click-to-call: another tenant cannot use this tenant’s devices; unknown body fields are refused', async () => {
    const other = await otherTenant(s);
    const a = s.demo.agents[0]!;
    const cross = await call(`${s.url}/oapi/v1/call/click-to-call/0909123456`, {
      method: 'POST',
      headers: appHeaders(other.appId, other.appSecret),
      body: { sipUser: a.extension, sipPassword: a.sip_password },
    });
    assert.equal(cross.status, 401);
    assert.equal(cross.body.code, 'invalid_sip_credentials');
    const extra = await call(`${s.url}/oapi/v1/call/click-to-call/0909123456`, {
      method: 'POST',
      headers: appHeaders(s.demo.app_id, s.demo.app_secret),
      body: { sipUser: a.extension, sipPassword: a.sip_password, tenant_id: other.tenant.id },
    });
    // The undeclared field is ignored: the answer is the one the documented fields get.
    assert.equal(extra.status, 400);
    assert.equal(extra.body.code, 'device_not_registered');
    const junk = await call(`${s.url}/oapi/v1/call/click-to-call/0909123456`, {
      method: 'POST',
      headers: { ...appHeaders(s.demo.app_id, s.demo.app_secret), 'content-type': 'application/json' },
      body: '{not json',
    });
    assert.equal(junk.status, 400);
    assert.equal(junk.body.code, 'invalid_input');
  });

  it('authenticated answers carry the rate-limit headers', async () => {
    const from = '2026-01-01';
    const to = '2026-01-02';
    const res = await call(
      `${s.url}/oapi/v1/call/histories?${signedQuery({ appId: s.demo.app_id, created_from: from, created_to: to }, [s.demo.app_id, from, to], s.demo.app_secret)}`,
    );
    assert.equal(res.status, 200);
    assert.ok(res.headers.get('x-ratelimit-limit-tenant'));
    assert.ok(res.headers.get('x-ratelimit-remaining-route'));
  });

  it('a signed link is bound to its tenant: another tenant id in the link is refused', async () => {
    const res = await call(
      `${s.url}/recordings/x.wav?tenant=${s.demo.tenant_id}&expires=9999999999&signature=AAAA`,
    );
    assert.equal(res.status, 403);
    assert.deepEqual(res.body, { message: 'the link signature is not valid', code: 'link_invalid' });
    const bad = await call(`${s.url}/recordings/x.wav?tenant=abc&expires=1&signature=x`);
    assert.equal(bad.status, 400);
  });
});
