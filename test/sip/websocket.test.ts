import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { FakeClock, systemClock } from '../../src/clock.js';
import { newTag } from '../../src/sip/headers.js';
import { Headers, type SipResponse } from '../../src/sip/message.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { registerContact, startAgent, startCustomer } from './helpers/agents.js';
import { type JsSipPhone, jssipPhone } from './helpers/jssip.js';
import { Peers, waitFor } from './helpers/peers.js';

const wsUrl = (s: TestServer) => s.url.replace(/^http/, 'ws') + '/sip';

/** Open a raw WebSocket and report how the upgrade ended: 'open', or the HTTP status it was refused with. */
function tryOpen(url: string, opts: { protocols?: string[]; origin?: string }): Promise<string | number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, opts.protocols ?? ['sip'], opts.origin ? { origin: opts.origin } : {});
    ws.on('open', () => {
      ws.close();
      resolve('open');
    });
    ws.on('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.on('error', () => resolve('error'));
  });
}

describe('SIP over WebSocket (RFC 7118): registration, origins, limits, dropped connections', () => {
  let s: TestServer;
  const clock = new FakeClock(Date.now());
  const phones: JsSipPhone[] = [];
  before(async () => {
    s = await startTestServer({ clock, env: { SIP_WS_ORIGINS: 'https://crm.example.com' } });
  });
  afterEach(() => {
    for (const p of phones.splice(0)) p.stop();
  });
  after(async () => {
    await s?.close();
  });
  const agent = (i: number) => s.demo.agents[i]!;
  const bindings = (i: number) => s.t.telephony.sip.location.lookup(s.demo.tenant_id, agent(i).agent_id);
  const phone = (i: number, recovery?: { min: number; max: number }) => {
    const p = jssipPhone({
      wsUrl: wsUrl(s),
      user: agent(i).extension,
      domain: s.demo.sip_domain,
      password: agent(i).sip_password,
      ...(recovery ? { recovery } : {}),
    });
    phones.push(p);
    return p;
  };

  it('JsSIP registers over the WebSocket with digest; the binding is that connection; the agent is logged in', async () => {
    const p = phone(0);
    await p.registered();
    const [b] = bindings(0);
    assert.ok(b, 'a binding');
    assert.equal(b.remote.transport, 'ws');
    assert.equal(b.remote.address, '127.0.0.1');
    assert.match(b.contact, /\.invalid/);
    assert.match(b.contact, /transport=ws/);
    const [st] = await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [agent(0).agent_id]);
    assert.notEqual(st?.status, 'Offline');
  });

  it('a wrong password is refused like on UDP', async () => {
    const p = jssipPhone({
      wsUrl: wsUrl(s),
      user: agent(1).extension,
      domain: s.demo.sip_domain,
      password: 'wrong',
    });
    phones.push(p);
    await assert.rejects(p.registered(), /registration failed/);
    assert.equal(bindings(1).length, 0);
  });

  it('origins: the console’s own and SIP_WS_ORIGINS are let in, others refused; the sip subprotocol is required', async () => {
    const url = wsUrl(s);
    assert.equal(await tryOpen(url, { origin: s.url }), 'open');
    assert.equal(await tryOpen(url, { origin: 'https://crm.example.com' }), 'open');
    assert.equal(await tryOpen(url, {}), 'open', 'no Origin: not a browser page');
    assert.equal(await tryOpen(url, { origin: 'https://evil.example.net' }), 403);
    assert.equal(await tryOpen(url, { origin: 'null' }), 403);
    assert.equal(await tryOpen(url, { protocols: ['chat'] }), 400);
    // Socket.IO's own upgrade path is untouched: engine.io answers its open packet.
    const eio = new WebSocket(s.url.replace(/^http/, 'ws') + '/socket.io/?EIO=4&transport=websocket');
    const first = await new Promise<string>((resolve, reject) => {
      eio.once('message', (d: Buffer) => resolve(d.toString()));
      eio.once('error', reject);
    });
    eio.close();
    assert.match(first, /^0\{"sid"/);
  });

  it('a message over the SIP size limit closes that connection (nothing larger is buffered)', async () => {
    const ws = new WebSocket(wsUrl(s), ['sip']);
    await new Promise((r) => ws.once('open', r));
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send('REGISTER sip:x SIP/2.0\r\n' + 'X-Pad: ' + 'a'.repeat(70_000) + '\r\n\r\n');
    assert.equal(await closed, 1009);
    // The server still answers on a new connection.
    const p = phone(2);
    await p.registered();
  });

  it('a dropped connection keeps the binding for the grace period, then unregisters the agent', async () => {
    const p = phone(1, { min: 600, max: 600 });
    await p.registered();
    assert.equal(bindings(1).length, 1);
    (p.ua._transport.socket._ws as WebSocket).terminate();
    await waitFor(() => bindings(1)[0]!.expiresAt <= clock.now() + 10_000, 5000, 'grace armed');
    assert.equal(bindings(1).length, 1, 'still bound during the grace period');
    clock.advance(10_001);
    await waitFor(() => bindings(1).length === 0, 5000, 'binding gone');
    await waitFor(
      async () =>
        (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [agent(1).agent_id]))[0]?.status === 'Offline',
      5000,
      'agent logged out',
    );
  });

  it('a request to a binding whose connection dropped fails at once with 503 (RFC 3261 §8.1.3.1), not after 32 s', async () => {
    const p = phone(1, { min: 600, max: 600 });
    await p.registered();
    const [b] = bindings(1);
    assert.ok(b);
    (p.ua._transport.socket._ws as WebSocket).terminate();
    await waitFor(() => bindings(1)[0]!.expiresAt <= clock.now() + 10_000, 5000, 'grace armed');
    const stack = s.t.telephony.sip.stack;
    const h = new Headers();
    h.add('max-forwards', '70');
    h.add('from', `<sip:tongdai@${s.demo.sip_domain}>;tag=${newTag()}`);
    h.add('to', `<${b.contact.replace(/^<|>$/g, '')}>`);
    h.add('call-id', `dropped-${Date.now()}@test`);
    h.add('cseq', '1 OPTIONS');
    const started = performance.now();
    const res = await new Promise<SipResponse>((resolve) =>
      stack.request(
        {
          kind: 'request',
          method: 'OPTIONS',
          uri: `sip:${agent(1).extension}@${s.demo.sip_domain}`,
          headers: h,
          body: '',
        },
        b.remote,
        resolve,
      ),
    );
    assert.equal(res.status, 503);
    assert.match(res.reason, /transport/);
    assert.ok(performance.now() - started < 1000, `answered after ${performance.now() - started} ms`);
  });

  it('reconnecting within the grace period restores the registration on the new connection', async () => {
    const p = phone(2);
    await p.registered();
    const before = bindings(2)[0]!;
    (p.ua._transport.socket._ws as WebSocket).terminate();
    const after = await waitFor(
      () =>
        bindings(2).find((b) => b.remote.port !== before.remote.port && b.expiresAt > clock.now() + 60_000),
      10_000,
      're-registered on a new connection',
    );
    assert.equal(after.contact, before.contact);
    clock.advance(10_001);
    s.t.telephony.sip.location.sweep();
    assert.equal(bindings(2).length, 1, 'the new connection’s binding outlives the old one’s grace');
  });

  it('a browser and a desk phone of one agent are both bound', async () => {
    await registerContact(s, 0, 45678); // clears the agent's bindings, then binds the desk phone
    const p = phone(0);
    await p.registered();
    const list = bindings(0);
    assert.equal(list.length, 2);
    assert.deepEqual(list.map((b) => b.remote.transport).sort(), ['udp', 'ws']);
  });
});

const skip = await requireTool('sipp');

describe('a carrier call rings the browser phone over its WebSocket', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  let p: JsSipPhone | undefined;
  before(async () => {
    s = await startTestServer({ clock: systemClock });
  });
  after(async () => {
    p?.stop();
    peers.killAll();
    await s?.close();
  });

  it('the hotline call forks to the desk phone and the browser; the desk phone answers, the browser is cancelled', async () => {
    const a = s.demo.agents[0]!;
    const desk = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 1500 });
    p = jssipPhone({
      wsUrl: wsUrl(s),
      user: a.extension,
      domain: s.demo.sip_domain,
      password: a.sip_password,
    });
    await p.registered();
    const customer = await startCustomer(peers, s, 'customer-call.xml', 4000, '0909555001');
    const session = await waitFor(() => p!.incoming[0], 15_000, 'the browser rings');
    assert.equal(session.remote_identity.uri.user, '0909555001');
    const cause = new Promise<string>((r) => session.on('failed', (e: { cause: string }) => r(e.cause)));
    assert.equal(await cause, 'Canceled', 'the browser’s ring is cancelled when the desk phone answers');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const d = await desk.done;
    assert.equal(d.code, 0, d.stdout.slice(-1500) + d.stderr);
  });
});
