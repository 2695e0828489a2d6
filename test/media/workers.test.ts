/**
 * Media in worker threads (src/media/workers.ts): the proxy keeps the engine's interface (relay, synchronous
 * stats, recording, DTMF, placement next to a call's other leg), a dead worker's legs are reported and the worker
 * restarted, and — what the workers are for — a blocked main thread no longer stalls the relay.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { type Media, MediaEngine, type RtpEndpoint } from '../../src/media/engine.js';
import { MediaWorkers } from '../../src/media/workers.js';
import { waitFor } from '../helpers/wait.js';
import { freeUdpPort, rtpPacket, sleep, udpPeer } from './helpers.js';

let dir: string;
before(() => (dir = mkdtempSync(join(tmpdir(), 'tongdai-workers-'))));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A free range of `n` ports on loopback (bound briefly by nothing else a moment ago). */
async function range(n: number): Promise<{ portMin: number; portMax: number }> {
  const p = await freeUdpPort(true);
  const portMin = Math.min(p, 60000);
  return { portMin, portMax: portMin + n - 1 };
}

async function workers(n: number, inThread: boolean): Promise<MediaWorkers> {
  return new MediaWorkers({
    publicIp: '127.0.0.1',
    bindIp: '127.0.0.1',
    ...(await range(64)),
    workers: n,
    inThread,
  });
}

const silence = new Uint8Array(160).fill(0xff);

for (const inThread of [true, false]) {
  describe(`media workers (${inThread ? 'in-thread transport' : 'worker threads'})`, () => {
    test('relays, counts synchronously, records and reports DTMF through the proxy', async () => {
      const media = await workers(2, inThread);
      const pa = await udpPeer();
      const pb = await udpPeer();
      try {
        const a = await media.allocate();
        const b = await media.allocate({ near: a });
        assert.equal(media.workerOf(a), media.workerOf(b), 'the second leg goes to the first one’s worker');
        assert.equal(a.localIp, '127.0.0.1');
        a.setRemote({ ip: '127.0.0.1', port: pa.port, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
        b.setRemote({ ip: '127.0.0.1', port: pb.port, codec: 'PCMA', payloadType: 8, dtmfPayloadType: 101 });
        const digits: string[] = [];
        const path = join(dir, `rec-${inThread}.wav`);
        const bridge = media.bridge(a, b, {
          record: { path },
          onDtmf: (from, d) => digits.push(`${from}:${d}`),
        });
        assert.equal(bridge.recordingState, 'recording');
        for (let i = 0; i < 25; i++) {
          pa.sock.send(rtpPacket(0, i, i * 160, 7, silence), a.localPort, '127.0.0.1');
          await sleep(20);
        }
        // RFC 4733 end packet for digit 5 (sent three times, reported once).
        const ev = Uint8Array.from([5, 0x80, 0x03, 0x20]);
        for (let k = 0; k < 3; k++)
          pa.sock.send(rtpPacket(101, 25 + k, 25 * 160, 7, ev), a.localPort, '127.0.0.1');
        await waitFor(() => pb.got.length >= 28 && digits.length === 1, 5000);
        assert.deepEqual(digits, ['a:5']);
        assert.ok(pb.got.filter((g) => g.pkt.payloadType === 8).length === 25, 'transcoded to PCMA');
        const sa = a.stats();
        assert.equal(sa.packetsIn, 28, 'read from the shared counters, no message');
        assert.equal(b.stats().packetsOut, 28);
        assert.ok(sa.lastPacketAt !== null);
        assert.ok((bridge.recordingPositionMs ?? 0) > 400);
        const { recording } = await bridge.stop();
        assert.ok(recording && recording.durationMs >= 400, JSON.stringify(recording));
        assert.equal(statSync(path).size, recording.sizeBytes);
        a.close();
        b.close();
        assert.equal(a.stats().packetsIn, 28, 'a closed leg keeps its last counters');
        assert.equal(media.totals.snapshot().packetsIn, 28);
      } finally {
        pa.close();
        pb.close();
        await media.close();
      }
    });

    test('a dead worker reports its legs, is restarted and allocates again', async () => {
      const media = await workers(2, inThread);
      try {
        const a = await media.allocate();
        const b = await media.allocate({ near: a });
        const other = await media.allocate();
        assert.notEqual(media.workerOf(other), media.workerOf(a), 'placement: least loaded worker');
        const failed: RtpEndpoint[][] = [];
        media.onFailure((legs) => failed.push(legs));
        await media.kill(media.workerOf(a));
        await waitFor(() => failed.length === 1, 5000);
        assert.deepEqual(new Set(failed[0]), new Set([a, b]));
        assert.equal(media.restarts[media.workerOf(a)], 1);
        a.close();
        b.close();
        const ping = await media.ping(media.workerOf(a));
        assert.equal(ping.restarts, 1);
        const c = await media.allocate({ near: a });
        assert.equal(typeof c.localPort, 'number');
        // Legs of two calls (an attended transfer) may sit in different workers: relayed between them.
        assert.notEqual(media.workerOf(c), media.workerOf(other));
        const pc = await udpPeer();
        const po = await udpPeer();
        try {
          c.setRemote({ ip: '127.0.0.1', port: pc.port, codec: 'PCMA', payloadType: 8 });
          other.setRemote({
            ip: '127.0.0.1',
            port: po.port,
            codec: 'PCMU',
            payloadType: 0,
            dtmfPayloadType: 96,
          });
          const digits: string[] = [];
          const path = join(dir, `cross-${inThread}.wav`);
          const bridge = media.bridge(c, other, {
            record: { path },
            onDtmf: (from, d) => digits.push(`${from}:${d}`),
          });
          await sleep(100);
          for (let i = 0; i < 10; i++) {
            pc.sock.send(rtpPacket(8, i, i * 160, 3, silence), c.localPort, '127.0.0.1');
            po.sock.send(rtpPacket(0, i, i * 160, 4, silence), other.localPort, '127.0.0.1');
            await sleep(20);
          }
          const ev = Uint8Array.from([9, 0x80, 0x03, 0x20]);
          for (let k = 0; k < 3; k++)
            po.sock.send(rtpPacket(96, 10 + k, 1600, 4, ev), other.localPort, '127.0.0.1');
          await waitFor(() => po.got.length >= 10 && pc.got.length >= 10 && digits.length === 1, 5000);
          assert.deepEqual(digits, ['b:9']);
          assert.equal(
            media.totals.snapshot().openStreams,
            2,
            'c and other: the relay legs between the workers are not counted',
          );
          assert.ok(po.got.every((g) => g.pkt.payloadType === 0));
          assert.ok(pc.got.every((g) => g.pkt.payloadType === 8));
          const { recording } = await bridge.stop();
          assert.ok(recording && recording.durationMs >= 150, JSON.stringify(recording));
        } finally {
          pc.close();
          po.close();
        }
      } finally {
        await media.close();
      }
    });
  });
}

/**
 * A phone pair in a thread of its own: sends 20 ms packets to leg A for `ms`, and reports when each arrived at
 * leg B's phone. It must not share the main thread, which the test blocks.
 */
function phones(
  aPort: number,
  ms: number,
): Promise<{ port: number; ready: Promise<void>; done: Promise<number[]> }> {
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const dgram = require('node:dgram');
    const tx = dgram.createSocket('udp4');
    const rx = dgram.createSocket('udp4');
    const arrivals = [];
    rx.on('message', () => arrivals.push(performance.timeOrigin + performance.now()));
    rx.bind(0, '127.0.0.1', () => {
      tx.bind(0, '127.0.0.1', () => {
        parentPort.postMessage({ port: rx.address().port, txPort: tx.address().port });
        parentPort.once('message', () => {
          const t0 = performance.now();
          let n = 0;
          const b = Buffer.alloc(172, 0xff);
          const next = () => {
            b.writeUInt16BE(0x8000, 0); b.writeUInt16BE(n & 0xffff, 2); b.writeUInt32BE(n * 160, 4); b.writeUInt32BE(9, 8);
            tx.send(b, workerData.aPort, '127.0.0.1');
            n++;
            if (n * 20 >= workerData.ms) return setTimeout(() => { parentPort.postMessage({ arrivals, sent: n }); tx.close(); rx.close(); }, 300);
            setTimeout(next, Math.max(0, t0 + n * 20 - performance.now()));
          };
          next();
        });
      });
    });`;
  const w = new Worker(code, { eval: true, workerData: { aPort, ms } });
  return new Promise((resolve) => {
    w.once('message', (m: { port: number }) => {
      let go!: () => void;
      const ready = new Promise<void>((r) => (go = r));
      const done = new Promise<number[]>((r) =>
        w.once('message', (x: { arrivals: number[]; sent: number }) => {
          assert.equal(x.arrivals.length, x.sent, 'every packet relayed');
          r(x.arrivals);
          void w.terminate();
        }),
      );
      void ready.then(() => w.postMessage('go'));
      resolve({ port: m.port, ready: Promise.resolve().then(go), done });
    });
  });
}

/** How many packets reach B's phone while the main thread is busy for `blockMs` (wall clock, all threads). */
async function relayedWhileBlocked(media: Media, blockMs: number): Promise<number> {
  const a = await media.allocate();
  const b = await media.allocate({ near: a });
  const p = await phones(a.localPort, 1500);
  a.setRemote({ ip: '127.0.0.1', port: 9, codec: 'PCMU', payloadType: 0 });
  b.setRemote({ ip: '127.0.0.1', port: p.port, codec: 'PCMU', payloadType: 0 });
  const bridge = media.bridge(a, b);
  await p.ready;
  await sleep(500);
  const now = () => performance.timeOrigin + performance.now();
  const from = now();
  while (now() < from + blockMs); // the main thread's event loop is stuck here
  const to = now();
  const arrivals = await p.done;
  await bridge.stop();
  a.close();
  b.close();
  // A packet sent just before the block may still be relayed in its first few ms.
  return arrivals.filter((t) => t > from + 40 && t < to).length;
}

test('a blocked main thread stalls the in-thread relay but not a worker’s', async () => {
  const inThread = new MediaEngine({ publicIp: '127.0.0.1', bindIp: '127.0.0.1', ...(await range(8)) });
  const stuck = await relayedWhileBlocked(inThread, 400).finally(() => inThread.close());
  assert.equal(stuck, 0, 'in-thread: nothing is relayed until the main thread is free again');
  const media = await workers(1, false);
  try {
    // 18 packets are due in the window; a loaded machine may delay some, none should wait for the main thread.
    const relayed = await relayedWhileBlocked(media, 400);
    assert.ok(
      relayed >= 6,
      `worker: packets keep flowing while the main thread is blocked (${relayed} relayed)`,
    );
  } finally {
    await media.close();
  }
});
