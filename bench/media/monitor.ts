/**
 * What a monitored call costs against a bridged one, measured in the same run: N recorded bridged calls (two
 * phones each), then the same N calls each with a supervisor joined (three phones, three-party mix), in listen
 * and in barge mode. Every phone sends 50 pps of 20 ms G.711 (half the agents in A-law, so the bridged relay
 * transcodes too); the engine's process CPU per call is compared. Phones run in child processes so the generator
 * never shares the engine's event loop. Target: a monitored call ≤ 2× a bridged call's CPU (issue 13).
 *
 *   node --import tsx bench/media/monitor.ts                 # 100 calls, 10 s per phase
 *   node --import tsx bench/media/monitor.ts --calls 200 --seconds 15
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { Bridge, MediaEngine, MonitorMode, RtpEndpoint } from '../../src/media/engine.js';

const self = fileURLToPath(import.meta.url);

type Msg = { open: number } | { talk: number[]; seconds: number };
interface Talked {
  sent: number;
  got: number;
  late: number;
}

/** Child: `open` binds phones and answers their ports; `talk` sends to the given engine ports and counts replies. */
async function phones(): Promise<void> {
  const pool: Socket[] = [];
  let got = 0;
  process.on('disconnect', () => process.exit(0));
  process.on('message', async (m: Msg) => {
    if ('open' in m) {
      while (pool.length < m.open) {
        const s = createSocket({ type: 'udp4', recvBufferSize: 1 << 20 });
        await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
        s.on('message', () => got++);
        pool.push(s);
      }
      process.send!({ ports: pool.slice(0, m.open).map((s) => s.address().port) });
      return;
    }
    got = 0;
    let sent = 0;
    let late = 0;
    let n = 0;
    const start = performance.now();
    const tick = () => {
      if (performance.now() - (start + n * 20) > 20) late++;
      for (let i = 0; i < m.talk.length; i++) {
        pool[i]!.send(packet(n, 100 + i), m.talk[i]!, '127.0.0.1');
        sent++;
      }
      n++;
      if (n < m.seconds * 50) setTimeout(tick, Math.max(0, start + n * 20 - performance.now()));
      else setTimeout(() => process.send!({ sent, got, late } satisfies Talked), 500);
    };
    tick();
  });
}

function packet(n: number, ssrc: number): Buffer {
  const buf = Buffer.alloc(172, 0xff);
  buf[0] = 0x80;
  buf[1] = 0;
  buf.writeUInt16BE(n & 0xffff, 2);
  buf.writeUInt32BE((n * 160) >>> 0, 4);
  buf.writeUInt32BE(ssrc, 8);
  for (let k = 12; k < 172; k += 3) buf[k] = (n * 7 + k) & 0xff;
  return buf;
}

function ask<T>(c: ChildProcess, m: Msg): Promise<T> {
  return new Promise((resolve) => {
    c.once('message', (r) => resolve(r as T));
    c.send(m);
  });
}

interface Leg {
  ep: RtpEndpoint;
  child: number;
  slot: number;
}

/** One phase: `n` recorded calls, bridged or monitored in `mode`, every phone talking for `seconds`. */
async function phase(
  engine: MediaEngine,
  children: ChildProcess[],
  dir: string,
  n: number,
  seconds: number,
  mode: MonitorMode | null,
) {
  const parties = mode ? 3 : 2;
  const perChild = Math.ceil((n * parties) / children.length);
  const ports = await Promise.all(children.map((c) => ask<{ ports: number[] }>(c, { open: perChild })));
  const used = children.map(() => 0);
  const legs: Leg[] = [];
  const leg = async (law: 'PCMU' | 'PCMA') => {
    const child = legs.length % children.length;
    const slot = used[child]!++;
    const ep = await engine.allocate();
    ep.setRemote({
      ip: '127.0.0.1',
      port: ports[child]!.ports[slot]!,
      codec: law,
      payloadType: law === 'PCMU' ? 0 : 8,
    });
    const l = { ep, child, slot };
    legs.push(l);
    return l;
  };
  const calls: { bridge: Bridge; legs: Leg[] }[] = [];
  for (let i = 0; i < n; i++) {
    const a = await leg('PCMU');
    const b = await leg(i % 2 ? 'PCMA' : 'PCMU');
    const bridge = engine.bridge(a.ep, b.ep, { record: { path: join(dir, `c${i}.wav`) } });
    const mine = [a, b];
    if (mode) {
      const s = await leg('PCMU');
      if (!bridge.monitor(s.ep, mode)) throw new Error('monitor refused');
      mine.push(s);
    }
    calls.push({ bridge, legs: mine });
  }
  const skipped0 = engine.mediaClock.skippedFrames;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const talked = await Promise.all(
    children.map((c, k) => {
      const mineLegs = legs.filter((l) => l.child === k).sort((x, y) => x.slot - y.slot);
      return ask<Talked>(c, { talk: mineLegs.map((l) => l.ep.localPort), seconds });
    }),
  );
  const wallMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  for (const c of calls) await c.bridge.stop();
  for (const l of legs) l.ep.close();
  for (let i = 0; i < n; i++) rmSync(join(dir, `c${i}.wav`), { force: true });
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const sent = talked.reduce((s, t) => s + t.sent, 0);
  const got = talked.reduce((s, t) => s + t.got, 0);
  // Every phone should hear one packet per 20 ms (a relay or a mix): what arrived of that.
  const expected = n * parties * seconds * 50;
  return {
    kind: mode ? `monitored (${mode})` : 'bridged',
    calls: n,
    engine_cpu_pct: Math.round((cpuMs / wallMs) * 1000) / 10,
    cpu_ms_per_call_second: Math.round((cpuMs / n / (wallMs / 1000)) * 1000) / 1000,
    phones_sent: sent,
    phones_got: got,
    delivered_pct: Math.round((got / expected) * 1000) / 10,
    // CPU per packet that reached a phone: a mix frame the clock skipped costs nothing, so compare this too.
    cpu_us_per_delivered_packet: Math.round(((cpu.user + cpu.system) / Math.max(1, got)) * 10) / 10,
    skipped_clock_frames: engine.mediaClock.skippedFrames - skipped0,
    generator_late_ticks: talked.reduce((s, t) => s + t.late, 0),
    load1: Math.round(loadavg()[0]! * 10) / 10,
  };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      calls: { type: 'string', default: '100' },
      seconds: { type: 'string', default: '10' },
      generators: { type: 'string', default: '2' },
    },
  });
  const n = Number(values.calls);
  const seconds = Number(values.seconds);
  const { MediaEngine } = await import('../../src/media/engine.js');
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-bench-monitor-'));
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
  const rows: Awaited<ReturnType<typeof phase>>[] = [];
  // Bridged first and last: the baseline brackets the monitored phases, so drift in machine load shows.
  for (const mode of [null, 'listen', 'barge', null] as const) {
    const row = await phase(engine, children, dir, n, seconds, mode);
    console.error(JSON.stringify(row));
    rows.push(row);
  }
  for (const c of children) c.kill();
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
  const base = (rows[0]!.cpu_ms_per_call_second + rows[3]!.cpu_ms_per_call_second) / 2;
  const ratio = (r: (typeof rows)[number]) => Math.round((r.cpu_ms_per_call_second / base) * 100) / 100;
  console.log(
    JSON.stringify(
      {
        cpus: cpus().length,
        calls: n,
        seconds,
        ratio_listen: ratio(rows[1]!),
        ratio_barge: ratio(rows[2]!),
        // The same ratio per delivered packet (robust to mix frames skipped when the machine is overloaded).
        ratio_barge_per_packet:
          Math.round(
            (rows[2]!.cpu_us_per_delivered_packet /
              ((rows[0]!.cpu_us_per_delivered_packet + rows[3]!.cpu_us_per_delivered_packet) / 2)) *
              100,
          ) / 100,
        target: '<= 2',
        rows,
      },
      null,
      2,
    ),
  );
}

if (process.argv.includes('--child')) await phones();
else await main();
