/**
 * Music-on-hold pacing from the shared media clock: 20 hold streams for 30 s, measured at the receiver.
 * Jitter here is |inter-arrival − 20 ms| per packet; drift is the last packet's lateness against
 * first + n·20 ms. The bound (p99 < 5 ms) is asserted on an idle machine, a looser one when the
 * shared machine is busy; the measured figures are printed either way.
 */
import assert from 'node:assert/strict';
import { cpus, loadavg } from 'node:os';
import { test } from 'node:test';
import { MediaEngine } from '../../src/media/engine.js';
import { sleep, udpPeer } from './helpers.js';

const STREAMS = 20;
const SECONDS = Number(process.env.MOH_PACING_SECONDS ?? 30);

/**
 * Idle: the bound. Busy: timers fire late and the clock catches up with back-to-back frames
 * (a 20 ms "jitter"). Overloaded (other processes want several times the cores): the OS stalls the
 * process for tens of ms and the clock skips frames rather than burst them; only gross failures
 * (a drifting or stopped clock) are asserted there.
 */
function boundsFor(loadPerCore: number): { p99: number; minFraction: number; drift: number } {
  if (loadPerCore < 0.5) return { p99: 5, minFraction: 0.995, drift: 30 };
  if (loadPerCore < 1.5) return { p99: 25, minFraction: 0.98, drift: 50 };
  return { p99: 150, minFraction: 0.9, drift: 100 };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;

test(
  `hold music is paced at 20 ms over ${SECONDS} s (${STREAMS} streams)`,
  { timeout: (SECONDS + 30) * 1000 },
  async (t) => {
    const engine = new MediaEngine({
      publicIp: '127.0.0.1',
      bindIp: '127.0.0.1',
      portMin: 33000,
      portMax: 33999,
    });
    const peers = [];
    for (let i = 0; i < STREAMS; i++) {
      const ep = await engine.allocate();
      const peer = await udpPeer();
      ep.setRemote({
        ip: '127.0.0.1',
        port: peer.port,
        codec: i % 2 ? 'PCMA' : 'PCMU',
        payloadType: i % 2 ? 8 : 0,
      });
      ep.startMoh();
      peers.push({ ep, peer });
    }
    const loadBefore = loadavg()[0]! / cpus().length;
    await sleep(SECONDS * 1000);
    const load = Math.max(loadBefore, loadavg()[0]! / cpus().length);
    for (const { ep, peer } of peers) {
      ep.close();
      peer.close();
    }
    await engine.close();

    const jitter: number[] = [];
    let worstDrift = 0;
    let fewest = Infinity;
    for (const { peer } of peers) {
      const g = peer.got;
      fewest = Math.min(fewest, g.length);
      for (let i = 1; i < g.length; i++) {
        jitter.push(Math.abs(g[i]!.at - g[i - 1]!.at - 20));
        assert.equal((g[i]!.pkt.seq - g[i - 1]!.pkt.seq) & 0xffff, 1);
        assert.equal(((g[i]!.pkt.timestamp - g[i - 1]!.pkt.timestamp) >>> 0) % 160, 0);
      }
      // Drift: arrival of the last packet against where its RTP timestamp says it belongs.
      const media = ((g[g.length - 1]!.pkt.timestamp - g[0]!.pkt.timestamp) >>> 0) / 8;
      worstDrift = Math.max(worstDrift, Math.abs(g[g.length - 1]!.at - g[0]!.at - media));
    }
    jitter.sort((a, b) => a - b);
    const p50 = pct(jitter, 0.5);
    const p99 = pct(jitter, 0.99);
    const max = jitter[jitter.length - 1]!;
    t.diagnostic(
      `fewest packets ${fewest}/${SECONDS * 50}; load/core ${load.toFixed(2)}; jitter p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms; ` +
        `worst drift after ${SECONDS} s ${worstDrift.toFixed(2)} ms; skipped frames ${engine.mediaClock.skippedFrames}`,
    );
    const b = boundsFor(load);
    assert.ok(p50 < 5, `median jitter ${p50.toFixed(2)} ms`);
    assert.ok(p99 < b.p99, `p99 jitter ${p99.toFixed(2)} ms ≥ ${b.p99} ms (load/core ${load.toFixed(2)})`);
    assert.ok(fewest >= SECONDS * 50 * b.minFraction, `a stream sent only ${fewest} packets`);
    // Absolute deadlines: whatever the jitter, the stream does not drift from real time.
    assert.ok(worstDrift < b.drift, `drift ${worstDrift.toFixed(2)} ms`);
  },
);
