/**
 * How many concurrent recorded calls one tongdai process relays with under 0.5 % packet loss.
 *
 * The media engine runs in this process exactly as in production: two RTP endpoints per call, bridged,
 * every call recorded to a stereo WAV, and half the calls transcoding (PCMU caller, PCMA agent). Child
 * processes play the callers (20 ms packets, 50 pps, absolute deadlines, one UDP socket per phone), so
 * the traffic generator never shares the engine's event loop. The agents are sipp RTP echoes (C, much
 * cheaper than Node phones on a 2-core machine), so every caller packet crosses the relay twice and is
 * counted when it comes back; `--sipp-echo 0` plays the agents from Node too. The load rises step by step
 * until loss passes the threshold. Steps where the generators could not keep 20 ms pacing are flagged
 * `generator_limited`: there the offered load, not the engine, was the limit.
 *
 * `--workers 0,1` runs every step once per setting in the same run (0: the engine on the main thread, N: N media
 * worker threads, src/media/workers.ts), and each row has the main event loop's delay (p99, max) over the step.
 *
 *   npm run bench:media                                   # steps 50,100,…,400, 10 s each
 *   npm run bench:media -- --steps 100,200,300 --seconds 20
 *   npm run bench:media -- --steps 300,450,600 --workers 0,1 */
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { Bridge, Media, RtpEndpoint } from '../../src/media/engine.js';
import { type StepReport, ask, forkPhones, openPhones, startEchoes, udpDrops } from './phones.js';

/** One step: n recorded calls for `seconds`; returns the measured row. */
async function step(
  engine: Media,
  children: ChildProcess[],
  echo: number[],
  dir: string,
  n: number,
  seconds: number,
) {
  const ports = await openPhones(children, n);
  const calls: { a: RtpEndpoint; b: RtpEndpoint; bridge: Bridge }[] = [];
  for (let i = 0; i < n; i++) {
    const a = await engine.allocate();
    const b = await engine.allocate({ near: a });
    a.setRemote({ ip: '127.0.0.1', port: ports[i]!.a, codec: 'PCMU', payloadType: 0 });
    const law = i % 2 ? 'PCMA' : 'PCMU';
    const agentPort = echo.length > 0 ? echo[i % echo.length]! : ports[i]!.b;
    b.setRemote({ ip: '127.0.0.1', port: agentPort, codec: law, payloadType: law === 'PCMU' ? 0 : 8 });
    const bridge = engine.bridge(a, b, { record: { path: join(dir, `step${n}-call${i}.wav`) } });
    calls.push({ a, b, bridge });
  }
  const echoDrops0 = udpDrops(new Set(echo));
  const cpu0 = process.cpuUsage();
  const loop = monitorEventLoopDelay({ resolution: 10 });
  loop.enable();
  const t0 = performance.now();
  const reports = (await Promise.all(
    children.map((c, k) =>
      ask(c, {
        calls: calls
          .filter((_, i) => i % children.length === k)
          .map((x) => ({ a: x.a.localPort, b: echo.length > 0 ? null : x.b.localPort })),
        seconds,
      }),
    ),
  )) as StepReport[];
  const wallMs = performance.now() - t0;
  loop.disable();
  // Every thread of the process (the workers' too).
  const cpu = process.cpuUsage(cpu0);
  const sum = (f: (r: StepReport) => number) => reports.reduce((acc, r) => acc + f(r), 0);
  const sent = sum((r) => r.sentA + r.sentB);
  let engineIn = 0;
  const got = sum((r) => r.gotA + r.gotB);
  const engineDrops = udpDrops(new Set(calls.flatMap((c) => [c.a.localPort, c.b.localPort])));
  const echoDrops = udpDrops(new Set(echo)) - echoDrops0;
  let recorded = 0;
  // Per leg: A faces the callers, B the agents (or the sipp echoes).
  const leg = { aIn: 0, aOut: 0, bIn: 0, bOut: 0 };
  for (const c of calls) {
    const [a, b] = [c.a.stats(), c.b.stats()];
    leg.aIn += a.packetsIn;
    leg.aOut += a.packetsOut;
    leg.bIn += b.packetsIn;
    leg.bOut += b.packetsOut;
    engineIn += a.packetsIn + b.packetsIn;
    recorded += (await c.bridge.stop()).recording?.durationMs ?? 0;
    c.a.close();
    c.b.close();
  }
  for (let i = 0; i < n; i++) rmSync(join(dir, `step${n}-call${i}.wav`), { force: true });
  return {
    calls: n,
    // Packets the engine should receive per second (both legs), and what it did receive.
    nominal_pps: n * 100,
    engine_in_pps: Math.round((engineIn * 1000) / wallMs),
    // With sipp echoes, a caller packet crosses the relay twice before it is counted back.
    loss_pct: Math.round((100 - (100 * got) / sent) * 1000) / 1000,
    // Where packets went missing: phones → engine, engine → agents/echo → engine, engine → phones.
    lost_to_engine: sum((r) => r.sentA) - leg.aIn,
    lost_on_agent_side: echo.length > 0 ? leg.bOut - leg.bIn : null,
    lost_to_phones: leg.aOut - sum((r) => r.gotA),
    // Kernel drops at full receive buffers: the engine's own sockets, and the sipp echoes'.
    engine_socket_drops: engineDrops,
    echo_socket_drops: echo.length > 0 ? echoDrops : null,
    engine_cpu_pct: Math.round(((cpu.user + cpu.system) / 1000 / wallMs) * 100),
    // CPU per packet received, relayed and recorded: the capacity of one idle core is 1e6 / (this × 100) calls.
    engine_us_per_packet: Math.round(((cpu.user + cpu.system) / Math.max(1, engineIn)) * 10) / 10,
    rss_mb: Math.round(process.memoryUsage().rss / 2 ** 20),
    recorded_s_per_call: Math.round(recorded / n / 100) / 10,
    generator_late_ticks: sum((r) => r.lateTicks),
    // The phones could not keep 20 ms pacing: the offered load, not the engine, was the limit.
    generator_limited: sum((r) => r.lateTicks) > seconds * 50 * children.length * 0.05,
    // The main thread's event loop (signalling and HTTP run there): how late its timers fire.
    main_loop_p99_ms: Math.round(loop.percentile(99) / 1e4) / 100,
    main_loop_max_ms: Math.round(loop.max / 1e4) / 100,
    load1: Math.round(loadavg()[0]! * 10) / 10,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      steps: { type: 'string', default: '50,100,150,200,250,300,350,400' },
      seconds: { type: 'string', default: '10' },
      'max-loss': { type: 'string', default: '0.5' },
      generators: { type: 'string', default: '2' },
      // Agents as sipp RTP echoes (C, cheaper than our Node phones); 0 plays them from Node too.
      'sipp-echo': { type: 'string', default: '8' },
      workers: { type: 'string', default: '0' },
    },
  });
  const seconds = Number(values.seconds);
  const maxLoss = Number(values['max-loss']);
  const { MediaEngine } = await import('../../src/media/engine.js');
  const { MediaWorkers } = await import('../../src/media/workers.js');
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-bench-media-'));
  const settings = values.workers.split(',').map(Number);
  // One engine per setting, each on its own part of 40000-49999.
  const span = Math.floor(10000 / settings.length);
  const engines = settings.map((w, i) => {
    const o = {
      publicIp: '127.0.0.1',
      bindIp: '127.0.0.1',
      portMin: 40000 + i * span,
      portMax: 40000 + (i + 1) * span - 1,
    };
    return w > 0 ? new MediaWorkers({ ...o, workers: w }) : new MediaEngine(o);
  });
  const children = forkPhones(Number(values.generators));
  const echo = await startEchoes(Number(values['sipp-echo']), dir);
  const echoPorts = echo.map((e) => e.port);
  const steps = [];
  let best = 0;
  for (const n of values.steps.split(',').map(Number)) {
    let over = 0;
    for (const [i, w] of settings.entries()) {
      const row = { workers: w, ...(await step(engines[i]!, children, echoPorts, dir, n, seconds)) };
      steps.push(row);
      console.error(JSON.stringify(row));
      if (row.loss_pct >= maxLoss) over++;
    }
    if (over === settings.length) break;
    best = n;
  }
  for (const c of children) c.kill();
  for (const e of echo) e.proc.kill();
  for (const e of engines) await e.close();
  rmSync(dir, { recursive: true, force: true });
  const summary = { cpus: cpus().length, seconds, max_loss_pct: maxLoss, best_calls: best, steps };
  console.log(JSON.stringify(summary, null, 2));
}

await main();
