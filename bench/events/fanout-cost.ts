/**
 * CPU cost of writing events to N subscribed Socket.IO clients, per (socket, event): Socket.IO's own room broadcast
 * (`io.to(room).emit`, one event at a time) against FanOut (src/realtime/fanout.ts) with batches of 1 and of 3
 * events. The clients (real socket.io-client v4 over WebSocket) live in a child process and count what they get.
 *
 *   node --import tsx bench/events/fanout-cost.ts [--clients 1000] [--events 300]
 */
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Server } from 'socket.io';
import { FanOut } from '../../src/realtime/fanout.js';

const ROOM = 'r';
const payload = (i: number) => ({
  event_name: 'CHANNEL_CREATE',
  event_id: i,
  account_id: 'a'.repeat(32),
  call_id: `call-${i}-${'x'.repeat(30)}`,
  caller_id_number: '0909000000',
  callee_id_number: '02870000001',
  destination_number: '02870000001',
  did_number: '02870000001',
  direction: 'inbound',
  call_direction: 'inbound',
  call_class: 'trunking',
  caller_id_name: 'Customer',
  queue_id: null,
  agent_id: 'b'.repeat(32),
  Timestamp: 63_900_000_000,
  unix_timestamp: 1_760_000_000,
  event_timestamp: 63_900_000_000,
});

async function clients(): Promise<void> {
  const { io } = await import('socket.io-client');
  const n = Number(process.env.CLIENTS);
  let got = 0;
  const ready = [];
  for (let i = 0; i < n; i++) {
    const s = io(process.env.URL!, { transports: ['websocket'], forceNew: true });
    s.on('CHANNEL_CREATE', () => void got++);
    ready.push(new Promise((r) => s.once('joined', r)));
    if (i % 50 === 49) await Promise.all(ready.slice(-50));
  }
  await Promise.all(ready);
  process.stdout.write('ready\n');
  process.stdin.on('data', () => process.stdout.write(`${got}\n`));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { clients: { type: 'string', default: '1000' }, events: { type: 'string', default: '300' } },
  });
  const n = Number(values.clients);
  const events = Number(values.events);
  const http = createServer();
  const io = new Server(http, { allowEIO3: true });
  io.on('connection', (s) => {
    void s.join(ROOM);
    s.emit('joined' as never);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--child'], {
    env: { ...process.env, URL: url, CLIENTS: String(n) },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  let wake: (() => void) | null = null;
  child.stdout.on('data', (d: Buffer) => {
    lines.push(...d.toString().trim().split('\n'));
    wake?.();
  });
  const next = async () => {
    while (lines.length === 0) await new Promise<void>((r) => (wake = r));
    return lines.shift()!;
  };
  await next();
  const fan = new FanOut(io);
  let delivered = 0;
  const cases: [string, (i: number) => void, number][] = [
    ['io.to(room).emit, 1 event per call', (i) => io.to(ROOM).emit('CHANNEL_CREATE', payload(i)), 1],
    [
      'FanOut, 1 event per batch',
      (i) => fan.send([{ event: 'CHANNEL_CREATE', payload: payload(i), rooms: [ROOM] }]),
      1,
    ],
    [
      'FanOut, 3 events per batch',
      (i) =>
        fan.send([0, 1, 2].map((k) => ({ event: 'CHANNEL_CREATE', payload: payload(i + k), rooms: [ROOM] }))),
      3,
    ],
  ];
  const rows = [];
  for (let round = 0; round < 2; round++)
    for (const [name, run, per] of cases) {
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < events; i += per) {
        run(i);
        // Let the writes complete between broadcasts, as events spaced in time would.
        await new Promise((r) => setImmediate(r));
      }
      await new Promise((r) => setTimeout(r, 200));
      const cpu = process.cpuUsage(cpu0);
      const wall = performance.now() - t0 - 200;
      delivered += events * n;
      child.stdin.write('count\n');
      const got = Number(await next());
      rows.push({
        round,
        name,
        us_cpu_per_delivery: +((cpu.user + cpu.system) / (events * n)).toFixed(2),
        wall_ms: Math.round(wall),
        received: got === delivered ? 'all' : `${got} of ${delivered}`,
      });
    }
  console.log(
    JSON.stringify({ clients: n, events, loadavg: loadavg().map((l) => +l.toFixed(1)), rows }, null, 2),
  );
  child.kill();
  await io.close();
  process.exit(0);
}

if (process.argv.includes('--child')) await clients();
else await main();
