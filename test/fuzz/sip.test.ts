/**
 * SIP fuzzing over UDP, TCP and WebSocket (RFC 7118, `/sip` on the HTTP port): a corpus of malformed messages
 * (truncated, huge headers, bad Content-Length, binary, broken start lines) plus seeded random mutations of valid
 * REGISTER / INVITE / OPTIONS messages, and over WebSocket broken frames too. The server must stay up: afterwards
 * OPTIONS is answered on every transport, a phone registers with digest auth over UDP and a browser phone (JsSIP)
 * over the WebSocket, and an extension-to-extension call (sipp) is bridged and recorded as a success.
 * FUZZ_SEED replays a run; FUZZ_SIP_RUNS sets the mutations per transport (CI: 300).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebSocket } from 'ws';
import { systemClock } from '../../src/clock.js';
import { type TestServer, requireTool, startTestServer, storageKind } from '../helpers/harness.js';
import { agentDials, closedCall, registerContact, startAgent } from '../sip/helpers/agents.js';
import { type JsSipPhone, jssipPhone } from '../sip/helpers/jssip.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20260318);
const RUNS = Number(process.env.FUZZ_SIP_RUNS ?? 300);

/** mulberry32: a small seeded generator, so a failing run replays from its seed. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Transport = 'UDP' | 'TCP' | 'WS';

function message(method: string, transport: Transport, id: string, extra: string[] = [], body = '') {
  return [
    `${method} sip:${method === 'REGISTER' ? 'tongdai' : '1001@tongdai'} SIP/2.0`,
    `Via: SIP/2.0/${transport} 127.0.0.1:5999;branch=z9hG4bK${id};rport`,
    'From: <sip:1001@tongdai>;tag=f' + id,
    `To: <sip:${method === 'REGISTER' ? '1001' : '1002'}@tongdai>`,
    `Call-ID: fuzz-${id}`,
    `CSeq: 1 ${method}`,
    'Max-Forwards: 70',
    'Contact: <sip:1001@127.0.0.1:5999>',
    ...extra,
    `Content-Length: ${Buffer.byteLength(body)}`,
    '',
    body,
  ].join('\r\n');
}

const SDP =
  'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n';

/** The fixed corpus: each entry is one datagram (UDP) or one connection's bytes (TCP). */
function corpus(t: Transport): Buffer[] {
  const invite = message('INVITE', t, 'inv', ['Content-Type: application/sdp'], SDP);
  const out: string[] = [
    '',
    '\r\n\r\n',
    'SIP/2.0',
    'INVITE',
    'INVITE sip:x SIP/3.0\r\n\r\n',
    'GARBAGE\r\nVia: x\r\n\r\n',
    'SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKnope\r\nCSeq: 1 INVITE\r\n\r\n',
    message('REGISTER', t, 'nocseq').replace(/CSeq: [^\r]*\r\n/, ''),
    message('REGISTER', t, 'novia').replace(/Via: [^\r]*\r\n/, ''),
    message('REGISTER', t, 'nocallid').replace(/Call-ID: [^\r]*\r\n/, ''),
    message('REGISTER', t, 'badcseq').replace(/CSeq: 1/, 'CSeq: 99999999999999999999'),
    message('INVITE', t, 'badmf').replace('Max-Forwards: 70', 'Max-Forwards: -1'),
    message('REGISTER', t, 'exp', ['Expires: 1e999']),
    message('REGISTER', t, 'auth', [
      'Authorization: Digest username="1001", realm=, nonce="',
      'Authorization: x',
    ]),
    message('INVITE', t, 'uri').replace('sip:1001@tongdai', `sip:${'9'.repeat(10_000)}@tongdai`),
    message('REGISTER', t, 'bigvia', [`Via: SIP/2.0/${t} ${'a'.repeat(60_000)}`]),
    message(
      'REGISTER',
      t,
      'many',
      Array.from({ length: 2000 }, (_, i) => `X-H${i}: ${i}`),
    ),
    message('REGISTER', t, 'nul', ['X-Nul: a\0b']),
    message('REGISTER', t, 'utf8').replace('From: <', 'From: "\xff\xfe\xc3" <'),
    invite,
    invite.slice(0, invite.length - 20),
    invite.replace(/Content-Length: \d+/, 'Content-Length: 99999'),
    invite.replace(/Content-Length: \d+/, 'Content-Length: -1'),
    invite.replace(/Content-Length: \d+/, 'Content-Length: abc'),
    invite.replace(/Content-Length: \d+/, 'Content-Length: 1e3'),
    invite.replace(/Content-Length: \d+/, 'Content-Length: 3'),
    invite.replace('m=audio 4000', 'm=audio 99999999'),
    invite.replace('c=IN IP4 127.0.0.1', 'c=IN IP4 999.1.1.1'),
    message('INVITE', t, 'sdpbin', ['Content-Type: application/sdp'], '\x00\x01\x02v=0\r\n'),
    message('ACK', t, 'ack'),
    message('BYE', t, 'bye'),
    message('CANCEL', t, 'cancel'),
    message('REFER', t, 'refer', ['Refer-To: <sip:%%%>']),
    message('NOTIFY', t, 'notify', ['Event: ', 'Subscription-State: ;;;']),
    message('FOO', t, 'foo'),
  ];
  const bufs = out.map((s) => Buffer.from(s, 'latin1'));
  const r = rng(SEED ^ 0x5151);
  for (let i = 0; i < 10; i++)
    bufs.push(Buffer.from(Array.from({ length: 1 + Math.floor(r() * 1400) }, () => Math.floor(r() * 256))));
  return bufs;
}

/** `n` seeded mutations of valid messages: byte flips, insertions, deletions, truncations, duplicated slices. */
function mutations(t: Transport, n: number, seed: number): Buffer[] {
  const r = rng(seed);
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!;
  const bases = [
    message('REGISTER', t, 'm1', ['Expires: 300']),
    message('INVITE', t, 'm2', ['Content-Type: application/sdp'], SDP),
    message('OPTIONS', t, 'm3'),
    message('BYE', t, 'm4'),
  ].map((s) => Buffer.from(s, 'latin1'));
  const out: Buffer[] = [];
  for (let i = 0; i < n; i++) {
    let b = Buffer.from(pick(bases));
    const steps = 1 + Math.floor(r() * 4);
    for (let k = 0; k < steps; k++) {
      const at = Math.floor(r() * b.length);
      switch (pick(['flip', 'insert', 'delete', 'truncate', 'dup', 'crlf'])) {
        case 'flip':
          b[at] = Math.floor(r() * 256);
          break;
        case 'insert':
          b = Buffer.concat([
            b.subarray(0, at),
            Buffer.from(pick(['\0', ':', ';', '\r\n', '"', '<', '%', ' ', '\xff'])),
            b.subarray(at),
          ]);
          break;
        case 'delete':
          b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + Math.floor(r() * 8))]);
          break;
        case 'truncate':
          b = b.subarray(0, at);
          break;
        case 'dup':
          b = Buffer.concat([b.subarray(0, at), b.subarray(at, at + 64), b.subarray(at)]);
          break;
        case 'crlf':
          b = Buffer.concat([b.subarray(0, at), Buffer.from('\r\n\r\n'), b.subarray(at)]);
          break;
      }
    }
    out.push(b);
  }
  return out;
}

/** One TCP connection per message: write it, half-close, and wait (bounded) for the server to close or answer. */
function overTcp(port: number, data: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () => s.end(data));
    const done = () => {
      clearTimeout(t);
      s.destroy();
      resolve();
    };
    const t = setTimeout(done, 1500);
    s.on('close', done);
    s.on('error', () => undefined);
  });
}

/** A SIP WebSocket connection to `url` (subprotocol sip), once open. */
function openWs(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ['sip']);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.on('message', () => undefined);
  });
}

/** The next SIP message the server sends on `ws` matching `re`, or null when the connection closes first. */
function nextOnWs(ws: WebSocket, re: RegExp, timeoutMs = 10_000): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => (cleanup(), reject(new Error('no answer on the WebSocket'))), timeoutMs);
    const onMessage = (d: Buffer) => {
      const text = d.toString('latin1');
      if (!re.test(text)) return;
      cleanup();
      resolve(text);
    };
    const onClose = () => (cleanup(), resolve(null));
    const cleanup = () => {
      clearTimeout(t);
      ws.off('message', onMessage);
      ws.off('close', onClose);
    };
    ws.on('message', onMessage);
    ws.on('close', onClose);
    if (ws.readyState !== WebSocket.OPEN) onClose();
  });
}

/**
 * Every message over WebSocket, one SIP message per WebSocket message (text frames and binary frames in turn, as
 * clients send either; bytes that are not UTF-8 always binary, so the SIP parser sees them). A connection carries 20
 * messages, then an OPTIONS whose 200 shows the connection is still served (or the server closed it: a message
 * over 64 KiB, invalid UTF-8); the next batch opens a new connection when needed. Returns the batches whose
 * connection the server closed.
 */
async function overWs(url: string, all: Buffer[]): Promise<number> {
  let closed = 0;
  let ws: WebSocket | undefined;
  for (let i = 0; i < all.length; i += 20) {
    if (!ws || ws.readyState !== WebSocket.OPEN) ws = await openWs(url);
    for (const [k, d] of all.slice(i, i + 20).entries()) {
      if (ws.readyState !== WebSocket.OPEN) break;
      // Invalid UTF-8 goes as a binary frame: in a text frame the WebSocket layer refuses it (a broken-frame case).
      const utf8 = Buffer.from(d.toString('utf8')).equals(d);
      ws.send(d, { binary: !utf8 || k % 2 === 1 });
    }
    const probe = `probe-ws-${i}`;
    ws.send(message('OPTIONS', 'WS', probe));
    const reply = await nextOnWs(ws, new RegExp(`^SIP/2\\.0 \\d+ [^]*Call-ID: fuzz-${probe}\\r\\n`, 'i'));
    if (reply === null) closed++;
    else assert.match(reply, /^SIP\/2\.0 200 /, 'the probe OPTIONS answered 200');
  }
  ws?.terminate();
  return closed;
}

/** A client frame: FIN and `opcode`, masked as RFC 6455 requires of clients (or not, when `mask` is false). */
function frame(opcode: number, payload: Buffer, opts: { fin?: boolean; mask?: boolean; len?: bigint } = {}) {
  const mask = opts.mask ?? true;
  const len = opts.len ?? BigInt(payload.length);
  const head = [((opts.fin ?? true) ? 0x80 : 0) | opcode];
  const m = mask ? 0x80 : 0;
  let ext = Buffer.alloc(0);
  if (len < 126n) head.push(m | Number(len));
  else if (len < 65536n) {
    head.push(m | 126);
    ext = Buffer.alloc(2);
    ext.writeUInt16BE(Number(len));
  } else {
    head.push(m | 127);
    ext = Buffer.alloc(8);
    ext.writeBigUInt64BE(len);
  }
  const key = mask ? randomBytes(4) : Buffer.alloc(0);
  const body = Buffer.from(payload);
  if (mask) for (let i = 0; i < body.length; i++) body[i]! ^= key[i % 4]!;
  return Buffer.concat([Buffer.from(head), ext, key, body]);
}

/** Broken WebSocket framing after a valid upgrade to `/sip`: each case is one connection's bytes. */
function brokenFrames(): Buffer[] {
  const r = rng(SEED ^ 0x7777);
  const text = Buffer.from(message('OPTIONS', 'WS', 'frames'));
  return [
    frame(0x1, text, { mask: false }), // clients must mask
    frame(0x3, text), // reserved opcode
    frame(0x1, text).fill(0xff, 0, 1), // RSV bits set
    frame(0x9, Buffer.alloc(200)), // a ping longer than a control frame may be
    frame(0x8, Buffer.from([0x03, 0xe7])), // close code 999
    frame(0x2, Buffer.alloc(16), { len: 2n ** 63n - 1n }), // an absurd length
    frame(0x2, Buffer.alloc(16), { len: 70_000n }), // over the 64 KiB message limit
    Buffer.concat([frame(0x1, text.subarray(0, 10), { fin: false }), frame(0x1, text.subarray(10))]), // no continuation
    frame(0x0, text), // a continuation with nothing to continue
    frame(0x1, Buffer.from([0x52, 0xc3, 0x28, 0xff])), // invalid UTF-8 in a text frame
    frame(0x2, Buffer.alloc(16), { len: 1000n }), // a frame that never finishes
    ...Array.from({ length: 6 }, () =>
      Buffer.from(Array.from({ length: 1 + Math.floor(r() * 400) }, () => Math.floor(r() * 256))),
    ),
  ];
}

/** Upgrade a raw TCP connection to `/sip`, write `bytes`, and wait (bounded) for the server to close it. */
function rawWs(port: number, bytes: Buffer): Promise<'closed' | 'held'> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port }, () =>
      s.write(
        'GET /sip HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n' +
          `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n` +
          'Sec-WebSocket-Protocol: sip\r\n\r\n',
      ),
    );
    let upgraded = false;
    const done = (how: 'closed' | 'held') => {
      clearTimeout(t);
      s.destroy();
      resolve(how);
    };
    const t = setTimeout(() => done('held'), 3000);
    s.on('data', (d) => {
      if (upgraded || !d.toString('latin1').startsWith('HTTP/1.1 101')) return;
      upgraded = true;
      s.write(bytes);
    });
    s.on('close', () => done('closed'));
    s.on('error', () => undefined);
  });
}

const skip = await requireTool('sipp');

describe(`SIP fuzzing over UDP, TCP and WebSocket (${storageKind})`, { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  const phones: JsSipPhone[] = [];
  const wsUrl = () => s.url.replace(/^http/, 'ws') + '/sip';
  before(async () => {
    s = await startTestServer({ clock: systemClock, env: { SIP_TCP_PARTIAL_TIMEOUT_SEC: '1' } });
    console.log(`sip fuzz: FUZZ_SEED=${SEED} FUZZ_SIP_RUNS=${RUNS} (${storageKind})`);
  });
  after(async () => {
    for (const p of phones) p.stop();
    peers.killAll();
    await s?.close();
  });

  /** OPTIONS answered on `transport` (the server is neither down nor wedged). */
  async function optionsAnswered(transport: Transport): Promise<void> {
    const id = `probe${transport}${Date.now()}`;
    const text = Buffer.from(message('OPTIONS', transport, id));
    if (transport === 'WS') {
      const ws = await openWs(wsUrl());
      ws.send(text.toString());
      const reply = await nextOnWs(ws, new RegExp(`Call-ID: fuzz-${id}\\r\\n`, 'i'));
      ws.terminate();
      assert.match(reply ?? 'closed', /^SIP\/2\.0 200 /);
      return;
    }
    if (transport === 'TCP') {
      const c = connect({ host: '127.0.0.1', port: s.t.sipPort });
      const reply = await new Promise<string>((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('no TCP answer to OPTIONS')), 10_000);
        c.once('data', (d) => (clearTimeout(t), resolve(d.toString('latin1'))));
        c.on('error', reject);
        c.write(text);
      });
      c.destroy();
      assert.match(reply, /^SIP\/2\.0 200 /);
      return;
    }
    const u = createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    const reply = await new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no UDP answer to OPTIONS')), 10_000);
      u.once('message', (d) => (clearTimeout(t), resolve(d.toString('latin1'))));
      u.send(text, s.t.sipPort, '127.0.0.1');
    });
    u.close();
    assert.match(reply, /^SIP\/2\.0 200 /);
  }

  it(`UDP: the corpus and ${RUNS} mutations, then OPTIONS is answered`, async () => {
    const u = createSocket('udp4');
    await new Promise<void>((r) => u.bind(0, '127.0.0.1', () => r()));
    u.on('message', () => undefined);
    const all = [...corpus('UDP'), ...mutations('UDP', RUNS, SEED)];
    for (const [i, d] of all.entries()) {
      // A datagram over 65,507 bytes cannot be sent; its first 65,000 bytes are the truncated case.
      await new Promise<void>((r) => u.send(d.subarray(0, 65_000), s.t.sipPort, '127.0.0.1', () => r()));
      if (i % 50 === 49) await new Promise((r) => setImmediate(r));
    }
    u.close();
    await optionsAnswered('UDP');
  });

  it(`TCP: the corpus and ${RUNS} mutations, one connection each, then OPTIONS is answered`, async () => {
    const all = [...corpus('TCP'), ...mutations('TCP', RUNS, SEED + 1)];
    for (let i = 0; i < all.length; i += 25) {
      await Promise.all(all.slice(i, i + 25).map((d) => overTcp(s.t.sipPort, d)));
    }
    await optionsAnswered('TCP');
    await optionsAnswered('UDP');
  });

  it(`WebSocket: the corpus and ${RUNS} mutations as WebSocket messages, broken frames, then OPTIONS is answered`, async () => {
    const all = [...corpus('WS'), ...mutations('WS', RUNS, SEED + 2)];
    const closed = await overWs(wsUrl(), all);
    const frames = brokenFrames();
    const held = (await Promise.all(frames.map((f) => rawWs(Number(new URL(s.url).port), f)))).filter(
      (h) => h === 'held',
    );
    console.log(
      `sip fuzz over WebSocket: ${all.length} messages, ${closed} connections closed by the server; ` +
        `${frames.length} broken-frame connections, ${held.length} still open after 3 s`,
    );
    // Including the frame that never finishes: the unanswered heartbeat (1 s here) closes it within 2 s.
    assert.equal(held.length, 0, 'every broken-frame connection is closed by the server');
    await optionsAnswered('WS');
    await optionsAnswered('UDP');
    await optionsAnswered('TCP');
  });

  it('right after: a phone registers over UDP, a browser phone over the WebSocket, and an extension-to-extension call is bridged', async () => {
    await registerContact(s, 2, await freeUdpPort());
    const browser = jssipPhone({
      wsUrl: wsUrl(),
      user: s.demo.agents[2]!.extension,
      domain: s.demo.sip_domain,
      password: s.demo.agents[2]!.sip_password,
    });
    phones.push(browser);
    await browser.registered();
    const wsBinding = () =>
      s.t.telephony.sip.location
        .lookup(s.demo.tenant_id, s.demo.agents[2]!.agent_id)
        .find((b) => b.remote.transport === 'ws');
    const bound = wsBinding();
    assert.ok(bound, 'the browser phone is bound over ws');
    let pings = 0;
    (browser.ua._transport.socket._ws as WebSocket).on('ping', () => pings++);
    const callee = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    const caller = await agentDials(peers, s, 0, s.demo.agents[1]!.extension, { talkMs: 1000 });
    const r = await caller.done;
    assert.equal(r.code, 0, r.stdout.slice(-1500) + r.stderr);
    assert.equal((await callee.done).code, 0);
    const rec = await closedCall(s, 'callee_number', s.demo.agents[1]!.extension);
    assert.equal(rec.direction, 'internal');
    assert.equal(rec.status_detail, 'SUCCESS');
    // The heartbeat (1 s here) pinged the browser's connection during the call: answered, it stays open.
    await waitFor(() => pings >= 2, 10_000, 'two heartbeats');
    assert.ok(
      s.t.telephony.sip.stack.transport.hasWebSocket(bound.remote),
      'the browser phone is still connected',
    );
    assert.equal(wsBinding()?.remote.port, bound.remote.port);
  });
});
