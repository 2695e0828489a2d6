import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { UdpClient, answer, registerText } from './helpers/udp-client.js';
import { waitFor } from './helpers/peers.js';

describe('registrar (UDP, hand-written requests)', () => {
  let s: TestServer;
  let c: UdpClient;
  const clock = new FakeClock(Date.now());
  let seq = 1;
  before(async () => {
    s = await startTestServer({ clock });
    c = await new UdpClient(s.t.sipPort).open();
  });
  after(async () => {
    c?.close();
    await s?.close();
  });

  const agent = () => s.demo.agents[0]!;
  const domain = () => s.demo.sip_domain;
  const status = async () => (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [agent().agent_id]))[0]!;

  async function register(opts: {
    user?: string;
    password?: string;
    callId: string;
    contact?: string;
    expires?: number;
    alg?: 'MD5' | 'SHA-256';
  }) {
    const user = opts.user ?? agent().extension;
    const first = seq++;
    c.send(
      registerText({
        user,
        domain: domain(),
        cseq: first,
        callId: opts.callId,
        port: c.port,
        contact: opts.contact,
        expires: opts.expires,
      }),
    );
    const challenge = await c.response(first);
    assert.equal(challenge.status, 401);
    const offers = challenge.headers.getAll('www-authenticate');
    const chosen = offers.find((o) => o.includes(`algorithm=${opts.alg ?? 'SHA-256'}`))!;
    const second = seq++;
    const auth = answer(chosen, user, opts.password ?? agent().sip_password, 'REGISTER', `sip:${domain()}`);
    c.send(
      registerText({
        user,
        domain: domain(),
        cseq: second,
        callId: opts.callId,
        port: c.port,
        contact: opts.contact,
        expires: opts.expires,
        auth,
      }),
    );
    return { challenge, final: await c.response(second) };
  }

  it('answers OPTIONS keepalives with 200 and the methods it allows', async () => {
    c.send(
      `OPTIONS sip:${domain()} SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bKopt1;rport\nFrom: <sip:ka@x>;tag=1\nTo: <sip:${domain()}>\nCall-ID: opt-1\nCSeq: ${seq} OPTIONS\nMax-Forwards: 70\nContent-Length: 0\n\n`,
    );
    const res = await c.response(seq++);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('allow')!, /INVITE/);
  });

  it('challenges with MD5 first (phones that take the first one), then SHA-256, and fills rport/received', async () => {
    const { challenge, final } = await register({ callId: 'reg-a', expires: 300 });
    const offers = challenge.headers.getAll('www-authenticate');
    assert.equal(offers.length, 2);
    assert.match(offers[0]!, /algorithm=MD5/);
    assert.match(offers[1]!, /algorithm=SHA-256/);
    assert.match(offers[0]!, /qop="auth"/);
    assert.match(challenge.headers.get('via')!, new RegExp(`rport=${c.port}`));
    assert.match(challenge.headers.get('via')!, /received=127\.0\.0\.1/);
    assert.equal(final.status, 200);
    assert.match(final.headers.getAll('contact')[0]!, /expires=300/);
  });

  it('logs the agent in on the first registration and records where the phone is', async () => {
    await waitFor(async () => (await status()).status === 'Available', 3000, 'agent logged in');
    await s.t.telephony.sip.location.flush();
    const rows = await s.t.ctx.db
      .selectFrom('sip_registrations')
      .selectAll()
      .where('agent_id', '=', agent().agent_id)
      .execute();
    assert.equal(rows.length, 1);
    assert.equal(rows[0]!.source_port, c.port);
  });

  it('accepts MD5 and keeps several contacts per agent', async () => {
    const { final } = await register({
      callId: 'reg-b',
      alg: 'MD5',
      contact: `<sip:${agent().extension}@127.0.0.1:${c.port};line=2>`,
      expires: 600,
    });
    assert.equal(final.status, 200);
    assert.equal(final.headers.getAll('contact').length, 2);
  });

  it('un-REGISTERs one contact, then all with *, and then logs the agent out', async () => {
    const one = await register({
      callId: 'reg-b',
      contact: `<sip:${agent().extension}@127.0.0.1:${c.port};line=2>`,
      expires: 0,
    });
    assert.equal(one.final.headers.getAll('contact').length, 1);
    const all = await register({ callId: 'reg-c', contact: '*', expires: 0 });
    assert.equal(all.final.status, 200);
    assert.equal(all.final.headers.getAll('contact').length, 0);
    await waitFor(async () => (await status()).status === 'Offline', 3000, 'agent logged out');
  });

  it('expires bindings: the agent is logged out when the last one lapses', async () => {
    await register({ callId: 'reg-d', expires: 60 });
    await waitFor(async () => (await status()).status === 'Available', 3000, 'agent logged in');
    clock.advance(61_000);
    await waitFor(async () => (await status()).status === 'Offline', 3000, 'agent logged out on expiry');
  });

  it('refuses too-short expiry with 423 and Min-Expires', async () => {
    const { final } = await register({ callId: 'reg-e', expires: 5 });
    assert.equal(final.status, 423);
    assert.ok(final.headers.get('min-expires'));
  });

  it('answers an expired nonce with stale=true when the password was right', async () => {
    const first = seq++;
    c.send(
      registerText({
        user: agent().extension,
        domain: domain(),
        cseq: first,
        callId: 'reg-f',
        port: c.port,
        expires: 300,
      }),
    );
    const ch = (await c.response(first)).headers.getAll('www-authenticate')[0]!;
    clock.advance(301_000);
    const second = seq++;
    const auth = answer(ch, agent().extension, agent().sip_password, 'REGISTER', `sip:${domain()}`);
    c.send(
      registerText({
        user: agent().extension,
        domain: domain(),
        cseq: second,
        callId: 'reg-f',
        port: c.port,
        expires: 300,
        auth,
      }),
    );
    const res = await c.response(second);
    assert.equal(res.status, 401);
    assert.match(res.headers.get('www-authenticate')!, /stale=true/);
  });

  it('gives unknown, deactivated and wrong-password users the very same answer', async () => {
    const wrong = await register({ callId: 'reg-g', password: 'nope', expires: 300 });
    const unknown = await register({ user: '7777', callId: 'reg-h', password: 'nope', expires: 300 });
    await s.t.ctx.db
      .updateTable('agents')
      .set({ is_active: 0 })
      .where('id', '=', s.demo.agents[1]!.agent_id)
      .execute();
    const inactive = await register({
      user: s.demo.agents[1]!.extension,
      password: s.demo.agents[1]!.sip_password,
      callId: 'reg-i',
      expires: 300,
    });
    for (const r of [wrong, unknown, inactive]) {
      assert.equal(r.final.status, 401);
      assert.deepEqual(
        r.final.headers.getAll('www-authenticate').map((h) => h.replace(/nonce="[^"]+"/, '')),
        wrong.final.headers.getAll('www-authenticate').map((h) => h.replace(/nonce="[^"]+"/, '')),
      );
    }
  });

  it('blocks a scanner User-Agent and then everything from its address', async () => {
    const scanner = await new UdpClient(s.t.sipPort, '127.0.0.2').open();
    try {
      scanner.send(
        registerText({
          user: '100',
          domain: domain(),
          cseq: seq,
          callId: 'scan-1',
          port: scanner.port,
          userAgent: 'friendly-scanner',
        }),
      );
      assert.equal((await scanner.response(seq++)).status, 403);
      scanner.send(
        registerText({
          user: agent().extension,
          domain: domain(),
          cseq: seq,
          callId: 'scan-2',
          port: scanner.port,
        }),
      );
      assert.equal((await scanner.response(seq++)).status, 403);
    } finally {
      scanner.close();
    }
  });

  it('never blocks a trunk address, even for a scanner User-Agent', async () => {
    c.send(
      `OPTIONS sip:${domain()} SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bKscan3;rport\nFrom: <sip:probe@x>;tag=1\nTo: <sip:${domain()}>\nCall-ID: scan-3\nCSeq: ${seq} OPTIONS\nUser-Agent: friendly-scanner\nMax-Forwards: 70\nContent-Length: 0\n\n`,
    );
    assert.equal((await c.response(seq++)).status, 200);
    const { final } = await register({ callId: 'scan-4', expires: 300 });
    assert.equal(final.status, 200);
  });

  it('answers 405 with Allow to methods it does not handle', async () => {
    c.send(
      `MESSAGE sip:${domain()} SIP/2.0\nVia: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bKmsg1;rport\nFrom: <sip:x@x>;tag=1\nTo: <sip:${domain()}>\nCall-ID: msg-1\nCSeq: ${seq} MESSAGE\nMax-Forwards: 70\nContent-Length: 0\n\n`,
    );
    const res = await c.response(seq++);
    assert.equal(res.status, 405);
    assert.match(res.headers.get('allow')!, /INVITE/);
    assert.doesNotMatch(res.headers.get('allow')!, /MESSAGE|SUBSCRIBE|REFER/);
  });
});
