import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { otherConsoleUser } from '../helpers/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { type JsSipPhone, jssipPhone } from './helpers/jssip.js';
import { waitFor } from './helpers/peers.js';

const PASSWORD = 'console-pass-123';

interface Creds {
  uri: string;
  sip_domain: string;
  extension: string;
  authorization_user: string;
  password: string;
  expires_at: string;
  ws_path: string;
}

async function consoleCreds(url: string, email: string, tenantId?: number): Promise<Creds> {
  const r = await call(`${url}/console/api/login`, {
    method: 'POST',
    body: { email, password: PASSWORD, ...(tenantId ? { tenant_id: tenantId } : {}) },
  });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  const c = await call(`${url}/console/api/phone/credentials`, {
    method: 'POST',
    headers: { cookie, 'x-csrf-token': r.body.csrf as string },
  });
  assert.equal(c.status, 200, JSON.stringify(c.body));
  return c.body as Creds;
}

describe('browser-phone SIP credentials derived from the console session', () => {
  let s: TestServer;
  const clock = new FakeClock(Date.now());
  const phones: JsSipPhone[] = [];
  let other: { tenantId: number; email: string; extension: string };
  before(async () => {
    s = await startTestServer({ clock });
    const { db } = s.t.ctx;
    const a = s.demo.agents[0]!;
    await setConsolePassword(db, clock, s.demo.tenant_id, a.email, PASSWORD, 'agent');
    // The same extension as the first tenant's agent: only the tenant tells them apart.
    other = await otherConsoleUser(
      s,
      clock,
      { name: 'Other Agent', email: 'agent@other.example', phone: '0988000111', extension: a.extension },
      PASSWORD,
      'agent',
    );
  });
  afterEach(() => {
    for (const p of phones.splice(0)) p.stop();
  });
  after(async () => {
    await s?.close();
  });
  const wsUrl = () => s.url.replace(/^http/, 'ws') + '/sip';
  const phone = (c: Creds, over: Partial<{ uri: string; user: string; domain: string }> = {}) => {
    const p = jssipPhone({
      wsUrl: wsUrl(),
      user: over.user ?? c.extension,
      domain: over.domain ?? c.sip_domain,
      password: c.password,
      authorizationUser: c.authorization_user,
      recovery: { min: 600, max: 600 },
    });
    phones.push(p);
    return p;
  };
  const bound = (tenantId: number, agentId: number) =>
    s.t.telephony.sip.location.lookup(tenantId, agentId).length;

  it('a signed-in agent gets short-lived credentials that register JsSIP; no session, no credentials', async () => {
    const a = s.demo.agents[0]!;
    const c = await consoleCreds(s.url, a.email);
    assert.equal(c.uri, `sip:${a.extension}@${s.demo.sip_domain}`);
    assert.match(c.authorization_user, new RegExp(`^${a.extension}~[0-9a-z]+$`));
    assert.notEqual(c.password, a.sip_password, 'not the desk phone’s stored SIP password');
    const ttl = Date.parse(c.expires_at) - clock.now();
    assert.ok(ttl > 3_500_000 && ttl <= 3_600_000, `ttl ${ttl}`);
    await phone(c).registered();
    assert.equal(bound(s.demo.tenant_id, a.agent_id), 1);
    const anon = await call(`${s.url}/console/api/phone/credentials`, { method: 'POST' });
    assert.equal(anon.status, 401);
  });

  it('a second tenant’s agent cannot register as the first tenant’s agent (same extension)', async () => {
    const a = s.demo.agents[0]!;
    // The previous test's phone un-registered when it stopped.
    await waitFor(() => bound(s.demo.tenant_id, a.agent_id) === 0, 5000, 'no binding left');
    const theirs = await consoleCreds(s.url, other.email, other.tenantId);
    assert.equal(theirs.extension, a.extension);
    // Their own credentials against the first tenant's domain: the derived password names their tenant.
    await assert.rejects(phone(theirs, { domain: s.demo.sip_domain }).registered(), /registration failed/);
    assert.equal(bound(s.demo.tenant_id, a.agent_id), 0);
    // In their own tenant the same credentials work.
    await phone(theirs).registered();
  });

  it('expired credentials are refused like a wrong password', async () => {
    const a = s.demo.agents[0]!;
    const c = await consoleCreds(s.url, a.email);
    clock.advance(3_600_001);
    await assert.rejects(phone(c).registered(), /registration failed/);
  });
});
