import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MediaLeg } from '../../src/calls/media-leg.js';
import { MediaEngine } from '../../src/media/engine.js';
import { isWebRtcSdp } from '../../src/media/webrtc.js';
import { parseWav } from '../../src/media/wav.js';
import { freeUdpPort } from '../helpers/ports.js';
import { sleep, waitFor } from '../helpers/wait.js';
import { TonePhone, toneAmplitude, HEARD, ABSENT } from './tones.js';
import { WebRtcPeer } from './webrtc-peer.js';

/**
 * The WebRTC leg (src/media/webrtc.ts) against a real werift peer standing in for the browser, bridged to a plain
 * RTP phone: audio both ways, recording, RFC 4733 both ways, hold music, tongdai's own offer, the browser's hold
 * re-offer, and werift issue #356 (an offer without `a=ssrc`).
 */

let engine: MediaEngine;
let dir: string;
const PHONE_HZ = 440;
const BROWSER_HZ = 1000;

before(async () => {
  const min = await freeUdpPort(true);
  engine = new MediaEngine({ publicIp: '127.0.0.1', bindIp: '127.0.0.1', portMin: min, portMax: min + 40 });
  dir = mkdtempSync(join(tmpdir(), 'tongdai-webrtc-'));
});
after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A plain RTP phone on leg A and a WebRTC browser on leg B, answered as src/calls does for a browser's INVITE. */
async function browserCall(o: { withoutSsrc?: boolean; repeatHelloVerify?: boolean } = {}) {
  const phone = await new TonePhone(PHONE_HZ).open();
  const a = await engine.allocate();
  a.setRemote({ ip: '127.0.0.1', port: phone.port, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
  const browser = new WebRtcPeer(BROWSER_HZ);
  const offer = await browser.offer(o);
  assert.ok(isWebRtcSdp(offer));
  const leg = new MediaLeg(await engine.allocate());
  assert.equal(await leg.prepare(offer, true), true);
  const answer = leg.answer(offer);
  assert.ok(answer && isWebRtcSdp(answer), 'werift answers with DTLS-SRTP');
  assert.match(answer, /^a=rtpmap:0 PCMU\/8000/m);
  assert.doesNotMatch(answer, /opus/i);
  await browser.accept(answer);
  await browser.connected();
  return { phone, a, leg, browser };
}

test('a browser offer gets werift’s answer; audio and digits flow both ways with an RTP leg, recorded', async () => {
  const { phone, a, leg, browser } = await browserCall();
  const digits: string[] = [];
  const bridge = engine.bridge(a, leg.endpoint, {
    record: { path: join(dir, 'call.wav') },
    onDtmf: (from, d) => digits.push(`${from}:${d}`),
  });
  const t0 = performance.now();
  phone.talk(a.localPort);
  browser.talk();
  await waitFor(() => browser.got.length >= 25 && phone.got.length >= 25, 10_000);
  await sleep(300);
  assert.ok(browser.amplitudeSince(t0, PHONE_HZ) > HEARD, 'the browser hears the phone');
  assert.ok(browser.amplitudeSince(t0, BROWSER_HZ) < ABSENT);
  const heard = phone.tonesSince(t0, { browser: BROWSER_HZ, own: PHONE_HZ });
  assert.ok(heard.browser! > HEARD && heard.own! < ABSENT, JSON.stringify(heard));
  browser.dtmf(5);
  await waitFor(() => digits.includes('b:5'), 3000);
  // The phone's digit reaches the browser as RFC 4733 over SRTP, on the browser's payload type.
  const ev = Buffer.from([9, 0x8a, 0x03, 0x20]);
  for (let k = 0; k < 3; k++) {
    const p = Buffer.alloc(16);
    p.writeUInt8(0x80, 0);
    p.writeUInt8(101, 1);
    p.writeUInt16BE(500 + k, 2);
    p.writeUInt32BE(123456, 4);
    p.writeUInt32BE(77, 8);
    ev.copy(p, 12);
    phone.sock.send(p, a.localPort, '127.0.0.1');
  }
  await waitFor(() => browser.events.includes(9), 3000);
  assert.deepEqual(digits, ['b:5', 'a:9'], 'each side’s digit reported once');
  const { recording } = await bridge.stop();
  const wav = parseWav(readFileSync(recording!.path));
  const pcm = (ch: Float32Array) => Int16Array.from(ch, (v) => Math.round(v * 32767));
  // Caller (A, the phone) left, agent (B, the browser) right.
  assert.ok(toneAmplitude(pcm(wav.channels[1]!), BROWSER_HZ) > HEARD, 'the browser’s tone is recorded');
  assert.ok(toneAmplitude(pcm(wav.channels[0]!), PHONE_HZ) > HEARD);
  assert.ok(leg.endpoint.stats().packetsIn > 20);
  phone.close();
  await browser.close();
  a.close();
  leg.endpoint.close();
});

/** Bridge the browser's leg to the phone and check the phone hears the browser's tone; then hang everything up. */
async function phoneHearsBrowser({
  phone,
  a,
  leg,
  browser,
}: Awaited<ReturnType<typeof browserCall>>): Promise<void> {
  engine.bridge(a, leg.endpoint);
  const t0 = performance.now();
  browser.talk();
  await waitFor(() => phone.got.length >= 20, 10_000);
  assert.ok(phone.tonesSince(t0, { b: BROWSER_HZ }).b! > HEARD);
  phone.close();
  await browser.close();
  a.close();
  leg.endpoint.close();
}

test('werift #356: an offer without a=ssrc still delivers the browser’s audio (packets are read off the DTLS transport)', async () => {
  const { phone, a, leg, browser } = await browserCall({ withoutSsrc: true });
  await phoneHearsBrowser({ phone, a, leg, browser });
});

test('a repeated HelloVerifyRequest (the first ClientHello retransmitted under load) does not fail tongdai’s DTLS', async () => {
  // tongdai answers a=setup:active, so it is the DTLS client; werift's client used to throw on the second
  // HelloVerifyRequest, fail its transport and drop the SRTP of a browser that had completed the handshake.
  const { phone, a, leg, browser } = await browserCall({ repeatHelloVerify: true });
  assert.ok(browser.helloVerifyRepeats >= 1, 'the browser sent a HelloVerifyRequest twice');
  await phoneHearsBrowser({ phone, a, leg, browser });
});

test('hold music reaches the browser; its hold re-offer is answered recvonly with the same DTLS role', async () => {
  const { phone, a, leg, browser } = await browserCall();
  leg.endpoint.startMoh();
  await waitFor(() => browser.got.length >= 20, 10_000);
  const level = Math.max(...browser.got.slice(-10).map((g) => Math.max(...g.pcm.map(Math.abs))));
  assert.ok(level > 500, `hold music level ${level}`);
  const first = leg.answer(browser.pc.localDescription!.sdp)!;
  const reoffer = browser.pc.localDescription!.sdp.replace(/^a=sendrecv/m, 'a=sendonly');
  const held = leg.answer(reoffer);
  assert.ok(held);
  assert.match(held, /^a=recvonly/m);
  assert.equal(leg.onHold, true);
  assert.equal(/^a=setup:(\S+)/m.exec(held)![1], /^a=setup:(\S+)/m.exec(first)![1]);
  assert.notEqual(/^o=\S+ \S+ (\d+)/m.exec(held)![1], /^o=\S+ \S+ (\d+)/m.exec(first)![1]);
  phone.close();
  await browser.close();
  a.close();
  leg.endpoint.close();
});

test('tongdai offers WebRTC to a browser fork; its answer makes the leg WebRTC and audio flows', async () => {
  const phone = await new TonePhone(PHONE_HZ).open();
  const a = await engine.allocate();
  a.setRemote({ ip: '127.0.0.1', port: phone.port, codec: 'PCMU', payloadType: 0 });
  const leg = new MediaLeg(await engine.allocate());
  const offer = await leg.offerWebRtc();
  assert.ok(isWebRtcSdp(offer.sdp));
  assert.match(offer.sdp, /^a=setup:actpass/m);
  const browser = new WebRtcPeer(BROWSER_HZ, 'PCMA');
  const answer = await browser.answer(offer.sdp);
  assert.equal(leg.acceptWebRtc(offer, answer), true);
  assert.equal(leg.isWebRtc, true);
  assert.equal(leg.codec, 'PCMA', 'the law the browser chose');
  await browser.connected();
  engine.bridge(a, leg.endpoint);
  const t0 = performance.now();
  phone.talk(a.localPort);
  browser.talk();
  await waitFor(() => browser.got.length >= 20 && phone.got.length >= 20, 10_000);
  await sleep(200);
  assert.ok(browser.amplitudeSince(t0, PHONE_HZ) > HEARD);
  assert.ok(phone.tonesSince(t0, { b: BROWSER_HZ }).b! > HEARD);
  // A re-offer from tongdai (hold from the console) is werift's description again, actpass, next version.
  assert.match(leg.offer(), /^a=setup:actpass/m);
  phone.close();
  await browser.close();
  a.close();
  leg.endpoint.close();
});

test('a plain RTP offer is not turned into WebRTC, and a WebRTC offer outside a WebSocket is refused', async () => {
  const leg = new MediaLeg(await engine.allocate());
  const plain = leg.offer();
  assert.equal(isWebRtcSdp(plain), false);
  const browser = new WebRtcPeer(BROWSER_HZ);
  const offer = await browser.offer();
  assert.equal(await leg.prepare(offer, false), true);
  assert.equal(leg.answer(offer), null, 'no DTLS-SRTP answer for an offer that did not come from a browser');
  await browser.close();
  leg.endpoint.close();
});
