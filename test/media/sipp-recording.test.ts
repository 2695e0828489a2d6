/**
 * sipp plays a known audio pcap (g711a.pcap, then an RFC 4733 digit) as the caller; a raw UDP socket is
 * the agent, answering in µ-law with its own tone. The engine bridges and records; the agent must receive
 * the caller's audio (transcoded) and the recording's two channels must match each side (sox statistics).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { MediaEngine } from '../../src/media/engine.js';
import { decode, encode } from '../../src/media/g711.js';
import { buildSdp, negotiate, parseSdp } from '../../src/media/sdp.js';
import { encodeWav } from '../../src/media/wav.js';
import { requireTool } from '../helpers/harness.js';
import { freeUdpPort, readPcapRtp, rtpPacket, sleep, soxStats, udpPeer } from './helpers.js';

const PCAP = '/usr/share/sip-tester/g711a.pcap';
const SCENARIO = fileURLToPath(new URL('./fixtures/pcap-caller.xml', import.meta.url));

/** Just enough of a SIP UAS for one sipp call: 200 OK with our SDP to INVITE and BYE, nothing else. */
async function miniUas(answer: (offer: string) => string) {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  sock.on('message', (buf, rinfo) => {
    const msg = buf.toString();
    const method = msg.slice(0, msg.indexOf(' '));
    if (method !== 'INVITE' && method !== 'BYE') return;
    const head = msg.split('\r\n\r\n')[0]!.split('\r\n');
    const h = (name: string) => head.filter((l) => l.toLowerCase().startsWith(name.toLowerCase() + ':'));
    const body = method === 'INVITE' ? answer(msg.slice(msg.indexOf('\r\n\r\n') + 4)) : '';
    const to = h('To')[0]!;
    const reply = [
      'SIP/2.0 200 OK',
      ...h('Via'),
      ...h('From'),
      to.includes('tag=') ? to : `${to};tag=uas1`,
      ...h('Call-ID'),
      ...h('CSeq'),
      `Contact: <sip:agent@127.0.0.1:${sock.address().port}>`,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n');
    sock.send(reply, rinfo.port, rinfo.address);
  });
  return { port: sock.address().port, close: () => sock.close() };
}

test('sipp pcap caller → bridge → agent; stereo recording channels match each side', async (t) => {
  for (const tool of ['sipp', 'sox']) {
    const missing = await requireTool(tool);
    if (missing) return t.skip(missing);
  }
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-sipp-'));
  const digits: string[] = [];
  const engine = new MediaEngine({
    publicIp: '127.0.0.1',
    bindIp: '127.0.0.1',
    portMin: 32000,
    portMax: 32999,
  });
  const caller = await engine.allocate();
  const agentEp = await engine.allocate();
  const agent = await udpPeer();
  agentEp.setRemote({
    ip: '127.0.0.1',
    port: agent.port,
    codec: 'PCMU',
    payloadType: 0,
    dtmfPayloadType: 101,
  });
  const recPath = join(dir, 'call.wav');
  const bridge = engine.bridge(caller, agentEp, {
    record: { path: recPath },
    onDtmf: (from, digit) => digits.push(`${from === 'a' ? 'caller' : 'agent'}:${digit}`),
  });
  const uas = await miniUas((offer) => {
    const m = parseSdp(offer);
    const n = negotiate(m)!;
    caller.setRemote({ ip: m.ip, port: m.port, ...n });
    return buildSdp({
      ip: caller.localIp,
      port: caller.localPort,
      codecs: [n.codec],
      sessionId: '1',
      version: 1,
    });
  });

  // The agent talks (a 600 Hz tone) from the moment the caller's audio reaches it, for as long as the pcap.
  const source = readPcapRtp(PCAP);
  const sourceSec = (source.length * source[0]!.payload.length) / 8000;
  let agentSent = 0;
  const talk = (async () => {
    while (agent.got.length === 0) await sleep(5);
    const t0 = performance.now();
    for (let i = 0; i < Math.round((sourceSec * 1000) / 20); i++) {
      const pcm = Int16Array.from(
        { length: 160 },
        (_, k) => 6000 * Math.sin((2 * Math.PI * 600 * (i * 160 + k)) / 8000),
      );
      agent.sock.send(rtpPacket(0, i, i * 160, 777, encode('PCMU', pcm)), agentEp.localPort, '127.0.0.1');
      agentSent++;
      await sleep(Math.max(0, t0 + (i + 1) * 20 - performance.now()));
    }
  })();

  const sipPort = await freeUdpPort();
  const mediaPort = await freeUdpPort(true);
  const sipp = spawn(
    'sipp',
    [
      '-sf',
      SCENARIO,
      '-m',
      '1',
      '-i',
      '127.0.0.1',
      '-p',
      String(sipPort),
      '-mi',
      '127.0.0.1',
      '-mp',
      String(mediaPort),
      '-nostdin',
      '-timeout',
      '30s',
      '-timeout_error',
      `127.0.0.1:${uas.port}`,
    ],
    { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let stderr = '';
  sipp.stderr.on('data', (d) => (stderr += String(d)));
  const code = await new Promise<number | null>((r) => sipp.on('exit', (c) => r(c)));
  await talk;
  await sleep(100);
  const { recording } = await bridge.stop();
  uas.close();
  agent.close();
  caller.close();
  agentEp.close();
  await engine.close();
  assert.equal(code, 0, `sipp failed: ${stderr}`);

  // The agent received every audio packet of the pcap, transcoded A-law → µ-law, plus the DTMF digit.
  const audio = agent.got.filter((g) => g.pkt.payloadType === 0);
  assert.ok(audio.length >= source.length * 0.99, `agent got ${audio.length}/${source.length} packets`);
  let worst = 0;
  for (let i = 0; i < Math.min(audio.length, source.length); i++) {
    const want = decode('PCMA', source[i]!.payload);
    const got = decode('PCMU', audio[i]!.pkt.payload);
    for (let k = 0; k < want.length; k++)
      worst = Math.max(worst, Math.abs(want[k]! - got[k]!) / (Math.abs(want[k]!) + 64));
  }
  assert.ok(worst < 0.2, `transcoded audio differs from the pcap (worst relative error ${worst})`);
  assert.ok(
    agent.got.some((g) => g.pkt.payloadType === 101),
    'the RFC 4733 digit reached the agent',
  );
  assert.deepEqual(digits, ['caller:1']);

  // Recording: left = caller (the pcap), right = agent (the tone); sox reads it, both channels carry audio.
  assert.ok(recording);
  const expected = join(dir, 'expected-caller.wav');
  writeFileSync(expected, encodeWav(decode('PCMA', Buffer.concat(source.map((p) => p.payload)))));
  const left = soxStats(recPath, 1, true);
  const right = soxStats(recPath, 2, true);
  const want = soxStats(expected, 1, true);
  t.diagnostic(
    `caller: recorded ${left.lengthSec}s @ ${left.rmsDb} dB vs source ${want.lengthSec}s @ ${want.rmsDb} dB`,
  );
  t.diagnostic(
    `agent: recorded ${right.lengthSec}s @ ${right.rmsDb} dB vs sent ${(agentSent * 0.02).toFixed(2)}s`,
  );
  assert.ok(
    Math.abs(left.lengthSec - want.lengthSec) / want.lengthSec < 0.02,
    'caller channel length within 2 %',
  );
  assert.ok(Math.abs(left.rmsDb - want.rmsDb) < 1, 'caller channel level matches the source');
  assert.ok(
    Math.abs(right.lengthSec - agentSent * 0.02) / (agentSent * 0.02) < 0.02,
    'agent channel length within 2 %',
  );
  assert.ok(right.rmsDb > -30, 'agent channel is not silent');
  const whole = soxStats(recPath, 1);
  assert.ok(Math.abs(whole.lengthSec * 1000 - recording.durationMs) < 50, 'row duration matches the file');
  rmSync(dir, { recursive: true, force: true });
});
