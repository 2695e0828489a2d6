/**
 * The media benches' traffic: child processes playing phones (one UDP socket per phone, 20 ms packets at
 * absolute deadlines, so the generator never shares the engine's event loop), the kernel's drop counters, and
 * sipp RTP echoes playing agents. Used by bench/media/run.ts and bench/media/end-burst.ts.
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const self = fileURLToPath(import.meta.url);

export interface StepRequest {
  /** b is null when the agent side is a sipp RTP echo instead of a phone of ours. */
  calls: { a: number; b: number | null }[];
  seconds: number;
}
export interface StepReport {
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
export function udpDrops(ports: Set<number>): number {
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

export function ask(child: ChildProcess, msg?: StepRequest | { open: number }): Promise<Reply> {
  return new Promise((resolve) => {
    child.once('message', (m) => resolve(m as Reply));
    if (msg) child.send(msg);
  });
}

/** Split calls round-robin over the generator processes; returns each call's phone ports. */
export async function openPhones(children: ChildProcess[], n: number): Promise<{ a: number; b: number }[]> {
  const share = (k: number) => Math.floor(n / children.length) + (k < n % children.length ? 1 : 0);
  const lists = await Promise.all(
    children.map(
      async (c, k) => ((await ask(c, { open: share(k) })) as { ports: { a: number; b: number }[] }).ports,
    ),
  );
  return Array.from({ length: n }, (_, i) => lists[i % children.length]![Math.floor(i / children.length)]!);
}

/** sipp in UAS mode with -rtp_echo sends every RTP packet back to where it came from. */
export async function startEchoes(
  count: number,
  cwd: string,
): Promise<{ port: number; proc: ChildProcess }[]> {
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

/** Fork `n` phone generator processes (this module with --child). */
export function forkPhones(n: number): ChildProcess[] {
  return Array.from({ length: n }, () =>
    fork(self, ['--child'], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
}

if (process.argv.includes('--child')) await phones();
