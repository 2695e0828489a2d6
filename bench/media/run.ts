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
 *   npm run bench:media                                   # steps 50,100,…,400, 10 s each
 *   npm run bench:media -- --steps 100,200,300 --seconds 20 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Bridge, MediaEngine, RtpEndpoint } from '../../src/media/engine.js';

const self = fileURLToPath(import.meta.url);

interface StepRequest {
  /** b is null when the agent side is a sipp RTP echo instead of a phone of ours. */
  calls: { a: number; b: number | null }[];
  seconds: number;
}
interface StepReport {
  sentA: number;
  sentB: number;
  gotA: number;
  gotB: number;
  lateTicks: number;
}
type Reply = { ports: { a: number; b: number }[] } | StepReport;

/** Child: the phones, one UDP socket per phone as in real life (each with its own receive buffer). */
async function phones(): Promise<void> {
  const bind = () =>
    new Promise<Socket>((r) => {
      const s = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
      s.bind(0, '127.0.0.1', () => r(s));
    });
  let got = [0, 0];
  let counting = false;
  const pool: Socket[][] = [];
  // Die with the parent, whatever way it ends.
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (msg: { open: number } | StepRequest) => {
    if ('open' in msg) {
      while (pool.length < msg.open) {
        const pair = [await bind(), await bind()];
        pair.forEach((s, side) => s.on('message', () => counting && got[side]!++));
        pool.push(pair);
      }
      process.send!({
        ports: pool.slice(0, msg.open).map((p) => ({ a: p[0]!.address().port, b: p[1]!.address().port })),
      });
      return;
    }
    got = [0, 0];
    let sent = 0;
    let sentB = 0;
    let lateTicks = 0;
    let n = 0;
    const ticks = msg.seconds * 50;
    const start = performance.now();
    counting = true;
    const tick = () => {
      if (performance.now() - (start + n * 20) > 20) lateTicks++;
      for (let i = 0; i < msg.calls.length; i++) {
        const c = msg.calls[i]!;
        pool[i]![0]!.send(packet(0, n, 1000 + i), c.a, '127.0.0.1');
        sent++;
        if (c.b === null) continue;
        pool[i]![1]!.send(packet(i % 2 ? 8 : 0, n, 5000 + i), c.b, '127.0.0.1');
        sentB++;
      }
      n++;
      if (n < ticks) setTimeout(tick, Math.max(0, start + n * 20 - performance.now()));
      else
        setTimeout(() => {
          counting = false;
          process.send!({
            sentA: sent,
            sentB,
            gotA: got[0]!,
            gotB: got[1]!,
            lateTicks,
          } satisfies Reply);
        }, 1500);
    };
    tick();
  });
}

function packet(pt: number, n: number, ssrc: number): Buffer {
  const buf = Buffer.alloc(172, pt === 0 ? 0xff : 0xd5);
  buf[0] = 0x80;
  buf[1] = pt;
  buf.writeUInt16BE(n & 0xffff, 2);
  buf.writeUInt32BE((n * 160) >>> 0, 4);
  buf.writeUInt32BE(ssrc, 8);
  // A little audio so the recorder and transcoder work on real values.
  for (let k = 12; k < 172; k += 8) buf[k] = (n + k) & 0xff;
  return buf;
}

/** Kernel receive-buffer drops of the loopback UDP sockets on `ports` (Linux /proc/net/udp; 0 elsewhere). */
function udpDrops(ports: Set<number>): number {
  let text = '';
  try {
    text = readFileSync('/proc/net/udp', 'utf8');
  } catch {
    return 0;
  }
  let drops = 0;
  for (const line of text.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    const port = parseInt(f[1]?.split(':')[1] ?? '', 16);
    if (ports.has(port)) drops += Number(f[f.length - 1]);
  }
  return drops;
}

function ask(child: ChildProcess, msg?: StepRequest | { open: number }): Promise<Reply> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Reply));
    if (msg) child.send(msg);
  });
}

/** Split calls round-robin over the generator processes; returns each call's phone ports. */
async function openPhones(children: ChildProcess[], n: number): Promise<{ a: number; b: number }[]> {
  const share = (k: number) => Math.floor(n / children.length) + (k < n % children.length ? 1 : 0);
  const lists = await Promise.all(
    children.map(
      async (c, k) => ((await ask(c, { open: share(k) })) as { ports: { a: number; b: number }[] }).ports,
    ),
  );
  return Array.from({ length: n }, (_, i) => lists[i % children.length]![Math.floor(i / children.length)]!);
}

/** One step: n recorded calls for `seconds`; returns the measured row. */
async function step(
  engine: MediaEngine,
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
    const b = await engine.allocate();
    a.setRemote({ ip: '127.0.0.1', port: ports[i]!.a, codec: 'PCMU', payloadType: 0 });
    const law = i % 2 ? 'PCMA' : 'PCMU';
    const agentPort = echo.length > 0 ? echo[i % echo.length]! : ports[i]!.b;
    b.setRemote({ ip: '127.0.0.1', port: agentPort, codec: law, payloadType: law === 'PCMU' ? 0 : 8 });
    const bridge = engine.bridge(a, b, { record: { path: join(dir, `step${n}-call${i}.wav`) } });
    calls.push({ a, b, bridge });
  }
  const echoDrops0 = udpDrops(new Set(echo));
  const cpu0 = process.cpuUsage();
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
    load1: Math.round(loadavg()[0]! * 10) / 10,
  };
}

/** sipp in UAS mode with -rtp_echo sends every RTP packet back to where it came from. */
async function startEchoes(count: number, cwd: string): Promise<{ port: number; proc: ChildProcess }[]> {
  const out = [];
  for (let k = 0; k < count; k++) {
    const port = 38000 + k * 10;
    const sip = 38001 + k * 10;
    const proc = spawn(
      'sipp',
      [
        '-sn',
        'uas',
        '-i',
        '127.0.0.1',
        '-p',
        String(sip),
        '-mi',
        '127.0.0.1',
        '-mp',
        String(port),
        '-rtp_echo',
        '-nostdin',
      ],
      { cwd, stdio: 'ignore' },
    );
    out.push({ port, proc });
  }
  await new Promise((r) => setTimeout(r, 1000));
  for (const e of out)
    if (e.proc.exitCode !== null) throw new Error(`sipp echo on ${e.port} exited (is sipp installed?)`);
  return out;
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
    },
  });
  const seconds = Number(values.seconds);
  const maxLoss = Number(values['max-loss']);
  const { MediaEngine } = await import('../../src/media/engine.js');
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-bench-media-'));
  const engine = new MediaEngine({
    publicIp: '127.0.0.1',
    bindIp: '127.0.0.1',
    portMin: 40000,
    portMax: 49999,
  });
  const children = Array.from({ length: Number(values.generators) }, () =>
    fork(self, ['--child'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const echo = await startEchoes(Number(values['sipp-echo']), dir);
  const echoPorts = echo.map((e) => e.port);
  const steps = [];
  let best = 0;
  for (const n of values.steps.split(',').map(Number)) {
    const row = await step(engine, children, echoPorts, dir, n, seconds);
    steps.push(row);
    console.error(JSON.stringify(row));
    if (row.loss_pct >= maxLoss) break;
    best = n;
  }
  for (const c of children) c.kill();
  for (const e of echo) e.proc.kill();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  const summary = { cpus: cpus().length, seconds, max_loss_pct: maxLoss, best_calls: best, steps };
  console.log(JSON.stringify(summary, null, 2));
}

if (process.argv.includes('--child')) await phones();
else await main();
