import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { MediaEngine, type RtpEndpoint } from '../../src/media/engine.js';
import { decode, encode } from '../../src/media/g711.js';
import { parseRtp, type RtpPacket, writeRtpHeader } from '../../src/media/rtp.js';
import { encodeWav, parseWav } from '../../src/media/wav.js';
import { sleep, waitFor } from '../helpers/wait.js';

/** A phone-side UDP socket that collects what it receives. */
async function peer(): Promise<{ sock: Socket; port: number; got: RtpPacket[] }> {
  const sock = createSocket('udp4');
  const got: RtpPacket[] = [];
  sock.on('message', (b) => {
    const p = parseRtp(b);
    if (p) got.push({ ...p, payload: Buffer.from(p.payload) });
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port, got };
}

function packet(pt: number, seq: number, ts: number, ssrc: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  writeRtpHeader(b, { marker: false, payloadType: pt, seq, timestamp: ts, ssrc });
  Buffer.from(payload).copy(b, 12);
  return b;
}

const tone = (hz: number, n: number, t0 = 0) =>
  Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin((2 * Math.PI * hz * (t0 + i)) / 8000)));

let engine: MediaEngine;
let dir: string;
before(() => {
  engine = new MediaEngine({
    publicIp: '127.0.0.1',
    bindIp: '127.0.0.1',
    portMin: 31000,
    portMax: 31999,
  });
  dir = mkdtempSync(join(tmpdir(), 'tongdai-media-'));
});
after(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

async function legs(lawA: 'PCMU' | 'PCMA', lawB: 'PCMU' | 'PCMA') {
  const a = await engine.allocate();
  const b = await engine.allocate();
  const pa = await peer();
  const pb = await peer();
  a.setRemote({
    ip: '127.0.0.1',
    port: pa.port,
    codec: lawA,
    payloadType: lawA === 'PCMU' ? 0 : 8,
    dtmfPayloadType: 101,
  });
  b.setRemote({
    ip: '127.0.0.1',
    port: pb.port,
    codec: lawB,
    payloadType: lawB === 'PCMU' ? 0 : 8,
    dtmfPayloadType: 96,
  });
  return { a, b, pa, pb };
}

function closeAll(...xs: (RtpEndpoint | { sock: Socket })[]) {
  for (const x of xs) {
    if ('sock' in x) x.sock.close();
    else x.close();
  }
}

test('allocates even ports in range, relays PCMU→PCMA with transcoding and continuous rewriting', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMA');
  assert.equal(a.localPort % 2, 0);
  assert.ok(a.localPort >= 31000 && a.localPort <= 31999);
  const bridge = engine.bridge(a, b, { record: { path: join(dir, 'r.wav') } });
  const pcm = tone(440, 160 * 10);
  for (let i = 0; i < 10; i++) {
    const frame = encode('PCMU', pcm.subarray(i * 160, (i + 1) * 160));
    pa.sock.send(packet(0, 1000 + i, 5000 + i * 160, 1234, frame), a.localPort, '127.0.0.1');
    await sleep(20);
  }
  await sleep(50);
  const res = await bridge.stop();
  assert.equal(pb.got.length, 10);
  assert.ok(pb.got.every((p) => p.payloadType === 8));
  const ssrcs = new Set(pb.got.map((p) => p.ssrc));
  assert.equal(ssrcs.size, 1);
  assert.notEqual([...ssrcs][0], 1234);
  for (let i = 1; i < 10; i++) {
    assert.equal((pb.got[i]!.seq - pb.got[i - 1]!.seq) & 0xffff, 1);
    assert.equal((pb.got[i]!.timestamp - pb.got[i - 1]!.timestamp) >>> 0, 160);
  }
  // A-law decode of what arrived is close to the µ-law original (both are 8-bit companded).
  const back = decode('PCMA', pb.got[3]!.payload);
  const orig = pcm.subarray(480, 640);
  const err = back.reduce((m, v, i) => Math.max(m, Math.abs(v - orig[i]!)), 0);
  assert.ok(err < 600, `transcoding error ${err}`);
  assert.ok(res.recording);
  const wav = parseWav(readFileSync(res.recording.path));
  assert.equal(wav.format.channels, 2);
  const leftEnergy = wav.channels[0]!.reduce((s, v) => s + v * v, 0);
  const rightEnergy = wav.channels[1]!.reduce((s, v) => s + v * v, 0);
  assert.ok(leftEnergy > 10 && rightEnergy === 0, `left ${leftEnergy} right ${rightEnergy}`);
  closeAll(a, b, pa, pb);
});

test('DTMF is relayed with the peer payload type and reported once to the bridge owner', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMU');
  const events: unknown[] = [];
  const bridge = engine.bridge(a, b, {
    onDtmf: (from, digit, durationMs) => events.push({ from, digit, durationMs }),
  });
  const ev = (end: boolean, dur: number) => Buffer.from([5, end ? 0x8a : 0x0a, dur >> 8, dur & 0xff]);
  let seq = 10;
  for (const [end, dur] of [
    [false, 160],
    [false, 320],
    [true, 800],
    [true, 800],
    [true, 800],
  ] as const) {
    pa.sock.send(packet(101, seq++, 9000, 42, ev(end, dur)), a.localPort, '127.0.0.1');
  }
  await sleep(60);
  await bridge.stop();
  assert.equal(pb.got.length, 5);
  assert.ok(pb.got.every((p) => p.payloadType === 96));
  assert.deepEqual(
    events.map((e) => (e as { digit: string }).digit),
    ['5'],
  );
  assert.deepEqual(events[0], { from: 'a', digit: '5', durationMs: 100 });
  closeAll(a, b, pa, pb);
});

test('symmetric RTP: the first source wins (NAT), strangers are ignored, the signalled address wins back', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMU');
  const nat = await peer(); // the phone's real (NATed) address differs from its SDP
  const bridge = engine.bridge(a, b);
  nat.sock.send(packet(0, 1, 0, 9, new Uint8Array(160).fill(0xff)), a.localPort, '127.0.0.1');
  await sleep(30);
  pb.sock.send(packet(0, 1, 0, 10, new Uint8Array(160).fill(0xff)), b.localPort, '127.0.0.1');
  await sleep(50);
  assert.equal(nat.got.length, 1);
  assert.equal(pa.got.length, 0);
  // Once latched, packets from a stranger are not accepted...
  const stranger = await peer();
  stranger.sock.send(packet(0, 2, 160, 9, new Uint8Array(160).fill(0xff)), a.localPort, '127.0.0.1');
  await sleep(30);
  assert.equal(pb.got.length, 1);
  // ...but the signalled address takes the stream back (a stranger raced the phone's first packet).
  pa.sock.send(packet(0, 3, 320, 9, new Uint8Array(160).fill(0xff)), a.localPort, '127.0.0.1');
  await sleep(30);
  assert.equal(pb.got.length, 2);
  pb.sock.send(packet(0, 2, 160, 10, new Uint8Array(160).fill(0xff)), b.localPort, '127.0.0.1');
  await sleep(30);
  assert.deepEqual([nat.got.length, pa.got.length, stranger.got.length], [1, 1, 0]);
  await bridge.stop();
  closeAll(a, b, pa, pb, nat, stranger);
});

test('MOH ↔ bridge switches keep one SSRC with continuous sequence numbers', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMA');
  a.startMoh();
  await sleep(200);
  const bridge = engine.bridge(a, b);
  for (let i = 0; i < 5; i++) {
    pb.sock.send(
      packet(8, 500 + i, 77 + i * 160, 99, new Uint8Array(160).fill(0xd5)),
      b.localPort,
      '127.0.0.1',
    );
    await sleep(20);
  }
  await waitFor(() => pa.got.length >= 5, 5000, 'the relayed frames');
  await bridge.stop();
  const relayed = pa.got.length;
  a.startMoh();
  await waitFor(() => pa.got.length >= relayed + 5, 5000, 'hold music again');
  a.stopMoh();
  await sleep(30);
  assert.equal(new Set(pa.got.map((p) => p.ssrc)).size, 1);
  for (let i = 1; i < pa.got.length; i++) {
    assert.equal((pa.got[i]!.seq - pa.got[i - 1]!.seq) & 0xffff, 1, `seq gap at ${i}`);
    // Timestamps follow the wall clock in whole frames: after a stall the music skips ahead rather than bursts
    // (a loaded machine pauses the process for a few hundred ms), so the step is bounded only loosely.
    const dts = (pa.got[i]!.timestamp - pa.got[i - 1]!.timestamp) >>> 0;
    assert.ok(dts >= 160 && dts % 160 === 0 && dts <= 160 * 150, `ts step ${dts} at ${i}`);
  }
  closeAll(a, b, pa, pb);
});

test('a prompt interrupts hold music, resolves when played, and hold music resumes on the same stream', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMU');
  const prompt = join(dir, 'const.wav');
  writeFileSync(prompt, encodeWav(new Int16Array(1600).fill(1000))); // 200 ms = 10 frames
  a.startMoh();
  await sleep(100);
  const before = pa.got.length;
  const started = performance.now();
  await a.playPrompt([join(dir, 'missing.wav'), prompt]);
  const took = performance.now() - started;
  const promptByte = encode('PCMU', Int16Array.of(1000))[0]!;
  const promptFrame = (p: RtpPacket) => p.payload.every((x) => x === promptByte);
  await waitFor(
    () => pa.got.length - pa.got.findLastIndex(promptFrame) > 3,
    5000,
    'hold music after the prompt',
  );
  a.stopMoh();
  const isPrompt = pa.got.map(promptFrame);
  assert.equal(isPrompt.filter(Boolean).length, 10, 'the whole prompt, once');
  const first = isPrompt.indexOf(true);
  assert.ok(first >= before - 1 && isPrompt.slice(first, first + 10).every(Boolean), 'contiguous');
  assert.ok(pa.got.length > first + 10 + 2, 'hold music resumed after the prompt');
  // 200 ms of prompt; the upper bound only says it resolved when played, not later (loaded machines stall).
  assert.ok(took >= 150 && took < 3000, `prompt took ${took} ms`);
  assert.equal(new Set(pa.got.map((p) => p.ssrc)).size, 1);
  for (let i = 1; i < pa.got.length; i++) assert.equal((pa.got[i]!.seq - pa.got[i - 1]!.seq) & 0xffff, 1);
  closeAll(a, b, pa, pb);
});

test('re-bridging and transfers: stopping an older bridge leaves the newer one working', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMU');
  const frame = new Uint8Array(160).fill(0xff);
  let seq = 0;
  /** Send one frame into `to`, then wait until `arrives` holds (the frame reached where it should). */
  const talk = async (from: { sock: Socket }, to: RtpEndpoint, arrives: () => boolean, what: string) => {
    from.sock.send(packet(0, seq++, seq * 160, 5, frame), to.localPort, '127.0.0.1');
    await waitFor(arrives, 5000, what);
  };
  const first = engine.bridge(a, b);
  const second = engine.bridge(a, b, { record: { path: join(dir, 'second.wav') } });
  await first.stop();
  await talk(pa, a, () => pb.got.length === 1, 'the newer bridge still relays');
  // Transfer: a moves to c; b is left alone, its audio goes nowhere. b's frame goes first and a's after it, so
  // once a's has reached c, b's had its turn (the same engine, one event loop): it must not be anywhere.
  const c = await engine.allocate();
  const pc = await peer();
  c.setRemote({ ip: '127.0.0.1', port: pc.port, codec: 'PCMA', payloadType: 8 });
  const third = engine.bridge(a, c);
  pb.sock.send(packet(0, seq++, seq * 160, 5, frame), b.localPort, '127.0.0.1');
  await sleep(20);
  await talk(pa, a, () => pc.got.length === 1, "a's audio at c");
  await sleep(30);
  assert.deepEqual([pb.got.length, pc.got.length, pa.got.length], [1, 1, 0]);
  const { recording } = await second.stop();
  assert.ok(recording && recording.durationMs > 0);
  await talk(pa, a, () => pc.got.length === 2, 'stopping the old bridge did not break the transfer');
  await third.stop();
  closeAll(a, b, c, pa, pb, pc);
});

test('stopPrompt cuts a prompt short: playPrompt resolves at once, the rest is never sent, hold music goes on', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMU');
  const prompt = join(dir, 'long.wav');
  writeFileSync(prompt, encodeWav(new Int16Array(80_000).fill(1000))); // 10 s = 500 frames
  a.startMoh();
  const played = a.playPrompt([prompt]);
  const promptByte = encode('PCMU', Int16Array.of(1000))[0]!;
  const isPrompt = (p: { payload: Uint8Array }) => p.payload.every((x) => x === promptByte);
  while (!pa.got.some(isPrompt)) await sleep(10);
  const started = performance.now();
  a.stopPrompt();
  await played;
  const took = performance.now() - started;
  // Frames sent before the stop may still be on their way: wait for hold music after the prompt's frames.
  const resumed = () => {
    const last = pa.got.findLastIndex(isPrompt);
    return pa.got.length >= last + 6 ? { last } : false;
  };
  const { last: lastPrompt } = await waitFor(resumed, 5000, 'hold music after the prompt');
  await sleep(60);
  a.stopMoh();
  const sent = pa.got.filter(isPrompt).length;
  assert.ok(took < 50, `resolved ${took} ms after the stop`);
  assert.ok(sent < 250, `${sent} of 500 prompt frames sent`);
  assert.equal(pa.got.findLastIndex(isPrompt), lastPrompt, 'no prompt frame once hold music is back');
  assert.ok(!pa.got.slice(lastPrompt + 1).some(isPrompt), 'hold music resumed');
  a.stopPrompt(); // nothing plays: no-op
  closeAll(a, b, pa, pb);
});

test('after a prompt without hold music, relayed audio flows to the leg again', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMU');
  const bridge = engine.bridge(a, b);
  const prompt = join(dir, 'short.wav');
  writeFileSync(prompt, encodeWav(new Int16Array(320).fill(500)));
  await a.playPrompt([prompt]);
  await sleep(60);
  const before = pa.got.length;
  pb.sock.send(packet(0, 1, 160, 77, new Uint8Array(160).fill(0x11)), b.localPort, '127.0.0.1');
  await sleep(50);
  assert.equal(pa.got.length, before + 1);
  assert.equal(pa.got[before]!.payload[0], 0x11);
  await bridge.stop();
  closeAll(a, b, pa, pb);
});

test('a recording that cannot be written never breaks the call', async () => {
  const { a, b, pa, pb } = await legs('PCMU', 'PCMU');
  for (const path of [join(dir, 'no', 'such', 'dir.wav'), '/dev/full']) {
    const bridge = engine.bridge(a, b, { record: { path } });
    pa.sock.send(packet(0, 1, 160, 3, new Uint8Array(160).fill(0xff)), a.localPort, '127.0.0.1');
    await sleep(30);
    assert.deepEqual(await bridge.stop(), {}, path);
  }
  assert.equal(pb.got.length, 2, 'audio flowed both times');
  closeAll(a, b, pa, pb);
});
