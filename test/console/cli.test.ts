import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { assertOneLineError, oneJson, tongdai } from '../helpers/cli.js';

describe('tongdai user password and the demo console login', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  const login = (email: string, password: string) =>
    call(`${s.url}/console/api/login`, { method: 'POST', body: { email, password } });

  it('tongdai demo prints a console login that works', async () => {
    const d = oneJson(await tongdai(['--json', 'demo'], s.env));
    assert.equal(d.console_email, 'lan@demo.tongdai.local');
    assert.match(d.console_url, /^http:\/\/127\.0\.0\.1:\d+\/$/);
    const r = await login(d.console_email, d.console_password);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.user.role, 'supervisor');
    assert.equal(r.body.locale, 'vi');
  });

  it('sets a password and role, ends open sessions, and refuses bad input in one line', async () => {
    const email = s.demo.agents[2]!.email;
    const args = ['--json', 'user', 'password', '--tenant', String(s.demo.tenant_id), '--email', email];
    const out = oneJson(await tongdai([...args, '--password', 'first-pass-1', '--role', 'admin'], s.env));
    assert.equal(out.role, 'admin');
    const first = await login(email, 'first-pass-1');
    assert.equal(first.status, 200);
    assert.equal(first.body.user.role, 'admin');
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    const again = oneJson(await tongdai([...args, '--password', 'second-pass-2'], s.env));
    assert.equal(again.revoked_sessions, 1);
    assert.equal((await call(`${s.url}/console/api/session`, { headers: { cookie } })).status, 401);
    assert.equal((await login(email, 'first-pass-1')).status, 401);
    assertOneLineError(
      await tongdai(
        ['user', 'password', '--tenant', String(s.demo.tenant_id), '--email', email, '--password', 'short'],
        s.env,
      ),
      /at least 8/,
    );
    assertOneLineError(
      await tongdai([...args.slice(1), '--password', 'long-enough-1', '--role', 'boss'], s.env),
      /--role must be one of/,
    );
  });
});
