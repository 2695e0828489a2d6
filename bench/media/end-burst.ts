/**
 * Do many recorded calls ending at once disturb the calls still running? (issue #20: 300 concurrent recorded
 * calls ending together must not raise the live calls' packet loss above 0.5 %.)
 *
 * One MediaEngine in this process, as in production: `--live` recorded bridged calls keep running and are
 * measured (their loss, and the main event loop's delay), while `--burst` recorded calls run beside them and
 * then end in the same instant: every bridge stops (its WAV finalised), every endpoint closes, and every
 * recording goes to the recordings pipeline's MP3 encoder (EncoderPool: worker threads, `--threads` at a time,
 * RECORDINGS_ENCODE_THREADS' default 1), exactly what the end of a call starts. The live calls are measured in
 * `--slice`-second windows until the encoder has finished the whole backlog.
 * Baselines, same run: the live calls alone before the burst calls start, and the live calls with the burst
 * calls running (before they end). Callers are child processes (bench/media/phones.ts); agents are sipp RTP
 * echoes, so a caller packet crosses the relay twice before it is counted back.
 *
 *   npm run bench:end-burst                     # 50 live, 300 ending together, 30 s of audio each
 *   npm run bench:end-burst -- --burst 300 --live 50 --warm 60 --threads 1
 *   npm run bench:end-burst -- --workers 1       # the engine in one media worker thread (src/media/workers.ts)
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Bridge, Media, RtpEndpoint } from '../../src/media/engine.js';
import type { EncodeResult } from '../../src/recordings/encode-job.js';
import { EncoderPool } from '../../src/recordings/encoder.js';
import { type StepReport, ask, forkPhones, openPhones, startEchoes } from './phones.js';

const { values } = parseArgs({
  options: {
    live: { type: 'string', default: '50' },
    burst: { type: 'string', default: '300' },
    warm: { type: 'string', default: '30' },
    base: { type: 'string', default: '10' },
    slice: { type: 'string', default: '10' },
    'max-slices': { type: 'string', default: '30' },
    threads: { type: 'string', default: '1' },
    'sipp-echo': { type: 'string', default: '8' },
    workers: { type: 'string', default: '0' },
  },
});
const N = { live: Number(values.live), burst: Number(values.burst) };
const sec = { warm: Number(values.warm), base: Number(values.base), slice: Number(values.slice) };

interface Call {
  a: RtpEndpoint;
  b: RtpEndpoint;
  bridge: Bridge;
  wav: string;
}

const { MediaEngine: Engine } = await import('../../src/media/engine.js');
const { MediaWorkers } = await import('../../src/media/workers.js');
const dir = mkdtempSync(join(tmpdir(), 'tongdai-bench-burst-'));
const engineOptions = { publicIp: '127.0.0.1', bindIp: '127.0.0.1', portMin: 40000, portMax: 49999 };
const workers = Number(values.workers);
const engine: Media =
  workers > 0 ? new MediaWorkers({ ...engineOptions, workers }) : new Engine(engineOptions);
const encoder = new EncoderPool(Number(values.threads));
const echo = await startEchoes(Number(values['sipp-echo']), dir);
const echoPorts = echo.map((e) => e.port);
const liveGen = forkPhones(1);
const burstGen = forkPhones(2);

/** Recorded calls: caller → engine A ⇄ bridge ⇄ engine B → a sipp echo. */
async function open(kind: string, ports: { a: number }[]): Promise<Call[]> {
  const calls: Call[] = [];
  for (let i = 0; i < ports.length; i++) {
    const a = await engine.allocate();
    const b = await engine.allocate({ near: a });
    a.setRemote({ ip: '127.0.0.1', port: ports[i]!.a, codec: 'PCMU', payloadType: 0 });
    const law = i % 2 ? 'PCMA' : 'PCMU';
    b.setRemote({
      ip: '127.0.0.1',
      port: echoPorts[i % echoPorts.length]!,
      codec: law,
      payloadType: law === 'PCMU' ? 0 : 8,
    });
    const wav = join(dir, `${kind}-${i}.wav`);
    calls.push({ a, b, bridge: engine.bridge(a, b, { record: { path: wav } }), wav });
  }
  return calls;
}

const spec = (calls: Call[]) => calls.map((c) => ({ a: c.a.localPort, b: null }));

/** The live calls measured for `seconds`: loss (both crossings of the relay) and event-loop delay. */
async function measure(label: string, live: Call[], seconds: number, during?: () => Record<string, unknown>) {
  const h = monitorEventLoopDelay({ resolution: 5 });
  h.enable();
  const r = (await ask(liveGen[0]!, { calls: spec(live), seconds })) as StepReport;
  h.disable();
  const row = {
    window: label,
    live_calls: live.length,
    sent: r.sentA,
    got: r.gotA,
    loss_pct: Math.round((100 - (100 * r.gotA) / Math.max(1, r.sentA)) * 1000) / 1000,
    loop_p99_ms: Math.round(h.percentile(99) / 1e4) / 100,
    loop_max_ms: Math.round(h.max / 1e4) / 100,
    generator_late_ticks: r.lateTicks,
    load1: Math.round(loadavg()[0]! * 10) / 10,
    ...during?.(),
  };
  console.error(JSON.stringify(row));
  return row;
}

const livePorts = await openPhones(liveGen, N.live);
const burstPorts = await openPhones(burstGen, N.burst);
const live = await open('live', livePorts);
const rows = [];

// Baseline 1: the live calls alone.
rows.push(await measure('live alone', live, sec.base));

// The burst calls start; their phones play warm + base + 3 s, then go quiet (as at a BYE), and the calls end.
const burst = await open('burst', burstPorts);
const share = (k: number) => burst.filter((_, i) => i % burstGen.length === k);
const burstDone = Promise.all(
  burstGen.map((g, k) => ask(g, { calls: spec(share(k)), seconds: sec.warm + sec.base + 3 })),
);
await new Promise((r) => setTimeout(r, sec.warm * 1000));
// Baseline 2: the live calls with the burst calls running.
rows.push(await measure(`with ${N.burst} more running`, live, sec.base));

let ended = 0;
let encoded = 0;
let encodeFailed = 0;
let wavBytes = 0;
let mp3Bytes = 0;
let endMs = 0;
const encodes: Promise<EncodeResult | void>[] = [];
const endAll = burstDone.then(async () => {
  const t = performance.now();
  const results = await Promise.all(burst.map((c) => c.bridge.stop()));
  for (const c of burst) {
    c.a.close();
    c.b.close();
  }
  endMs = Math.round(performance.now() - t);
  ended = results.length;
  for (const c of burst) {
    wavBytes += statSync(c.wav).size;
    encodes.push(
      encoder
        .encode({ wavPath: c.wav, mp3Path: c.wav.replace(/\.wav$/, '.mp3') })
        .then((res) => {
          encoded++;
          mp3Bytes += res.sizeBytes;
          rmSync(c.wav, { force: true });
          return res;
        })
        .catch(() => void encodeFailed++),
    );
  }
});

// The burst ends inside the first window; windows go on until the encoder's backlog is gone.
const after = [];
for (let k = 0; k < Number(values['max-slices']); k++) {
  const row = await measure(`after end, window ${k + 1}`, live, sec.slice, () => ({
    burst_ended: ended,
    encoded,
  }));
  after.push(row);
  if (ended === N.burst && encoded + encodeFailed === N.burst) break;
}
await endAll;
await Promise.all(encodes);

const totalSent = after.reduce((s, r) => s + r.sent, 0);
const totalGot = after.reduce((s, r) => s + r.got, 0);
for (const c of live) {
  await c.bridge.stop();
  c.a.close();
  c.b.close();
}
for (const g of [...liveGen, ...burstGen]) g.kill();
for (const e of echo) e.proc.kill();
await encoder.close();
await engine.close();
rmSync(dir, { recursive: true, force: true });

console.log(
  JSON.stringify(
    {
      cpus: cpus().length,
      live_calls: N.live,
      burst_calls: N.burst,
      burst_audio_s: sec.warm + sec.base + 3,
      encode_threads: Number(values.threads),
      media_workers: workers,
      burst_end_ms: endMs,
      encoded,
      encode_failed: encodeFailed,
      wav_mb: Math.round(wavBytes / 2 ** 20),
      mp3_mb: Math.round(mp3Bytes / 2 ** 20),
      windows: [...rows, ...after],
      baseline_loss_pct: rows[0]!.loss_pct,
      baseline_running_loss_pct: rows[1]!.loss_pct,
      after_end_loss_pct: Math.round((100 - (100 * totalGot) / Math.max(1, totalSent)) * 1000) / 1000,
      worst_window_loss_pct: Math.max(...after.map((r) => r.loss_pct)),
      after_end_loop_p99_ms_worst: Math.max(...after.map((r) => r.loop_p99_ms)),
    },
    null,
    2,
  ),
);
