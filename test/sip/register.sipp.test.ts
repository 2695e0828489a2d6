import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { Peers, SCENARIOS, freeUdpPort, waitFor } from './helpers/peers.js';

// sipp 3.6 can only answer MD5 challenges and takes the first one offered: the server's default offers MD5 first.

const skip = await requireTool('sipp');

describe('REGISTER with sipp', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({
      clock: systemClock,
      env: { SIP_FAIL_LIMIT: '3' },
    });
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  /** `source` is the address sipp sends from: 127.0.0.1 is the demo trunk's, which is never blocked. */
  async function sipp(
    scenario: string,
    user: string,
    password: string,
    transport: 'u1' | 't1' = 'u1',
    source = '127.0.0.1',
  ) {
    const csv = peers.csv(`${user}.csv`, [[user, s.demo.sip_domain, '', '300']]);
    const port = await freeUdpPort();
    const { done } = peers.sippRun(`127.0.0.1:${s.t.sipPort}`, [
      '-sf',
      SCENARIOS + scenario,
      '-inf',
      csv,
      '-au',
      user,
      '-ap',
      password,
      '-p',
      String(port),
      '-t',
      transport,
      '-m',
      '1',
      '-timeout',
      '15',
      '-i',
      source,
    ]);
    return done;
  }

  it('registers over UDP: 401, digest, 200; the agent is logged in', async () => {
    const a = s.demo.agents[0]!;
    const r = await sipp('register.xml', a.extension, a.sip_password);
    assert.equal(r.code, 0, r.stdout.slice(-800) + r.stderr);
    const [st] = await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [a.agent_id]);
    await waitFor(
      async () =>
        (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [a.agent_id]))[0]?.status === 'Available',
      3000,
      'login',
    );
    assert.ok(st);
  });

  it('registers over TCP as well', async () => {
    const a = s.demo.agents[1]!;
    const r = await sipp('register.xml', a.extension, a.sip_password, 't1');
    assert.equal(r.code, 0, r.stdout.slice(-800) + r.stderr);
    await s.t.telephony.sip.location.flush();
    const rows = await s.t.ctx.db
      .selectFrom('sip_registrations')
      .selectAll()
      .where('agent_id', '=', a.agent_id)
      .execute();
    assert.equal(rows[0]?.transport, 'tcp');
  });

  it('answers a wrong password with 401, and blocks a (non-trunk) source after repeated failures', async () => {
    const a = s.demo.agents[2]!;
    for (let i = 0; i < 2; i++) {
      const r = await sipp('register-wrong.xml', a.extension, 'wrong-password', 'u1', '127.0.0.2');
      assert.equal(r.code, 0, `attempt ${i + 1}: ` + r.stdout.slice(-600));
    }
    // The third failure reaches SIP_FAIL_LIMIT: that answer is already 403, and so is the next request.
    const third = await sipp('register.xml', a.extension, 'wrong-password', 'u1', '127.0.0.2');
    assert.notEqual(third.code, 0);
    const blocked = await sipp('register-blocked.xml', a.extension, a.sip_password, 'u1', '127.0.0.2');
    assert.equal(blocked.code, 0, blocked.stdout.slice(-600));
  });
});
