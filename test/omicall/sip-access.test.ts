import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { UdpClient, answer, registerText } from '../sip/helpers/udp-client.js';
import { waitFor } from '../helpers/wait.js';
import { assertOk, omi } from './helpers.js';

// The SIP side of the lifecycle, through the real registrar: a deleted agent's credentials stop working, and
// a transferred account's old SIP password stops working while the new one (from get-by-email) works.

let s: TestServer;
let c: UdpClient;
let seq = 1;

before(async () => {
  s = await startTestServer();
  c = await new UdpClient(s.t.sipPort).open();
});
after(async () => {
  c?.close();
  await s?.close();
});

/** REGISTER with digest auth; the final status (the first answer when it is not a challenge). */
async function register(user: string, password: string, callId: string): Promise<number> {
  const domain = s.demo.sip_domain;
  const first = seq++;
  c.send(registerText({ user, domain, cseq: first, callId, port: c.port, expires: 60 }));
  const challenge = await c.response(first);
  if (challenge.status !== 401) return challenge.status;
  const offer = challenge.headers.getAll('www-authenticate')[0]!;
  const second = seq++;
  const auth = answer(offer, user, password, 'REGISTER', `sip:${domain}`);
  c.send(registerText({ user, domain, cseq: second, callId, port: c.port, expires: 60, auth }));
  return (await c.response(second)).status;
}

test('a deleted agent can no longer register, and its bindings are gone', async () => {
  const minh = s.demo.agents.find((a) => a.extension === '1002')!;
  assert.equal(await register('1002', minh.sip_password, 'del-1'), 200);
  await waitFor(async () => {
    const rows = await s.t.ctx.db
      .selectFrom('sip_registrations')
      .select('id')
      .where('agent_id', '=', minh.agent_id)
      .execute();
    return rows.length > 0 ? true : undefined;
  });
  assertOk(await omi(s).del(`/api/agent/delete?identify_info=${minh.email}`));
  const regs = await s.t.ctx.db
    .selectFrom('sip_registrations')
    .select('id')
    .where('agent_id', '=', minh.agent_id)
    .execute();
  assert.equal(regs.length, 0);
  assert.notEqual(await register('1002', minh.sip_password, 'del-2'), 200);
});

test("after a transfer the old owner's SIP password fails and the new one works", async () => {
  const lan = s.demo.agents.find((a) => a.extension === '1001')!;
  assert.equal(await register('1001', lan.sip_password, 'tr-1'), 200);
  const res = await omi(s).v3('/api/v3/agent/transfer', {
    sourceEmail: lan.email,
    targetEmail: 'newlan@acme.vn',
  });
  assertOk(res, 202);
  const moved = await waitFor(async () => {
    const r = await omi(s).post('/api/v2/agent/get-by-email', { email: 'newlan@acme.vn' });
    return r.status === 200 ? r.body.payload : undefined;
  });
  assert.equal(moved.pbx_account.sip_user, '1001', 'same extension');
  assert.notEqual(moved.pbx_account.sip_password, lan.sip_password);
  assert.notEqual(await register('1001', lan.sip_password, 'tr-2'), 200);
  assert.equal(await register('1001', moved.pbx_account.sip_password, 'tr-3'), 200);
});
