/**
 * SIP fuzzing over UDP and TCP: a corpus of malformed messages (truncated, huge headers, bad Content-Length,
 * binary, broken start lines) plus seeded random mutations of valid REGISTER / INVITE / OPTIONS messages. The
 * server must stay up: afterwards OPTIONS is answered on both transports, a phone registers with digest auth and
 * an extension-to-extension call (sipp) is bridged and recorded as a success.
 * FUZZ_SEED replays a run; FUZZ_SIP_RUNS sets the mutations per transport (CI: 300).
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, requireTool, startTestServer, storageKind } from '../helpers/harness.js';
import { agentDials, closedCall, registerContact, startAgent } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort } from '../sip/helpers/peers.js';

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

function message(method: string, transport: 'UDP' | 'TCP', id: string, extra: string[] = [], body = '') {
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
function corpus(t: 'UDP' | 'TCP'): Buffer[] {
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
function mutations(t: 'UDP' | 'TCP', n: number, seed: number): Buffer[] {
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

const skip = await requireTool('sipp');

describe(`SIP fuzzing over UDP and TCP (${storageKind})`, { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({ clock: systemClock, env: { SIP_TCP_PARTIAL_TIMEOUT_SEC: '1' } });
    console.log(`sip fuzz: FUZZ_SEED=${SEED} FUZZ_SIP_RUNS=${RUNS} (${storageKind})`);
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  /** OPTIONS answered on `transport` (the server is neither down nor wedged). */
  async function optionsAnswered(transport: 'UDP' | 'TCP'): Promise<void> {
    const text = Buffer.from(message('OPTIONS', transport, `probe${transport}${Date.now()}`));
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

  it('right after: a phone registers and an extension-to-extension call is bridged', async () => {
    await registerContact(s, 2, await freeUdpPort());
    const callee = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    const caller = await agentDials(peers, s, 0, s.demo.agents[1]!.extension, { talkMs: 1000 });
    const r = await caller.done;
    assert.equal(r.code, 0, r.stdout.slice(-1500) + r.stderr);
    assert.equal((await callee.done).code, 0);
    const rec = await closedCall(s, 'callee_number', s.demo.agents[1]!.extension);
    assert.equal(rec.direction, 'internal');
    assert.equal(rec.status_detail, 'SUCCESS');
  });
});
