/**
 * Delivery latency of realtime call events: from `bus.publish` of a call event to its arrival at each of 1,000
 * Socket.IO clients subscribed to `call.*.*`, on one tongdai process (the real path: event_log insert, rooms).
 * The clients run in a child process so they do not share the server's event loop; both sides read the same wall
 * clock (performance.timeOrigin + performance.now()).
 *
 *   npm run bench:events                                  # embedded SQLite
 *   npm run bench:events -- --clients 1000 --calls 60 --gap 100   (the defaults: 10 events/s)
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… npm run bench:events
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { FanOut, FanOutItem } from '../../src/realtime/fanout.js';

const now = () => performance.timeOrigin + performance.now();
const self = fileURLToPath(import.meta.url);
const EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'] as const;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Child: connect and subscribe the clients, then report every latency it observes. */
async function runClients(): Promise<void> {
  const { io } = await import('socket.io-client');
  const { URL: url, ACCOUNT: account, TOKEN: token, CLIENTS, EXPECT } = process.env;
  const n = Number(CLIENTS);
  const expected = Number(EXPECT) * n;
  const latencies: number[] = [];
  const sockets = [];
  for (let i = 0; i < n; i++) {
    const socket = io(url!, { transports: ['websocket'], forceNew: true });
    for (const ev of EVENTS) {
      socket.on(ev, (data: { caller_id_number: string }) => {
        latencies.push(now() - Number(data.caller_id_number));
        if (latencies.length === expected) report();
      });
    }
    sockets.push(
      socket
        .timeout(10_000)
        .emitWithAck('subscribe', { account_id: account, auth_token: token, binding: 'call.*.*' }),
    );
    // Pace the handshakes a little: 1,000 simultaneous upgrades mostly measure the accept queue.
    if (i % 50 === 49) await Promise.all(sockets.slice(-50));
  }
  const acks = await Promise.all(sockets);
  if (acks.some((a: { ok: boolean }) => !a.ok)) throw new Error('a subscribe was refused');
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  const cpuAtReady = process.cpuUsage();
  function report() {
    const cpu = process.cpuUsage(cpuAtReady);
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      JSON.stringify({
        deliveries: latencies.length,
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
        max: latencies[latencies.length - 1],
        // All the clients' CPU per event: decoding one event on 1,000 sockets in this one process.
        clients_cpu_ms_per_event: (cpu.user + cpu.system) / 1000 / Number(EXPECT),
      }) + '\n',
    );
    process.exit(0);
  }
  setTimeout(() => {
    process.stdout.write(
      JSON.stringify({ error: `only ${latencies.length} of ${expected} deliveries` }) + '\n',
    );
    process.exit(1);
  }, 120_000).unref();
}

function lines(child: ChildProcess, onLine: (msg: Record<string, unknown>) => void): void {
  let buf = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    buf += chunk.toString();
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line.startsWith('{')) onLine(JSON.parse(line) as Record<string, unknown>);
    }
  });
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      clients: { type: 'string', default: '1000' },
      calls: { type: 'string', default: '60' },
      gap: { type: 'string', default: '100' },
    },
  });
  const clients = Number(values.clients);
  const calls = Number(values.calls);
  const gapMs = Number(values.gap);
  const { createTongdai } = await import('../../src/app.js');
  const { FanOut } = await import('../../src/realtime/fanout.js');
  const { loadConfig } = await import('../../src/config.js');
  const { ensureDemoTenant, demoCredentials } = await import('../../src/domain/demo.js');
  const dataDir = mkdtempSync(join(tmpdir(), 'tongdai-bench-events-'));
  const pgSchema = process.env.DATABASE_URL ? `bench_${randomBytes(5).toString('hex')}` : undefined;
  const config = loadConfig({
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    SIP_PORT: '0',
    TONGDAI_DATA: dataDir,
    LOG_LEVEL: 'warn',
    ...(pgSchema ? { DATABASE_SCHEMA: pgSchema } : {}),
  });
  const t = await createTongdai(config);
  const port = await t.listen();
  const url = `http://127.0.0.1:${port}`;
  const deps = {
    db: t.ctx.db,
    clock: t.ctx.clock,
    box: t.ctx.box,
    credentials: t.ctx.credentials,
    httpUrl: url,
    sipPort: 0,
    publicIp: '127.0.0.1',
    demoTrunkPort: config.demoTrunkPort,
  };
  const { tenantId } = await ensureDemoTenant(deps);
  const demo = await demoCredentials(deps, tenantId);
  const token = (await t.ctx.credentials.createToken(tenantId, 'ws')).token;

  // Server-side share of the latency: publish → the broadcast starts (persist + queue), and the broadcast itself.
  const queued: number[] = [];
  const broadcast: number[] = [];
  // CPU time of the broadcast (user + system): what it costs without the other processes sharing the cores.
  const broadcastCpu: number[] = [];
  const send = FanOut.prototype.send;
  FanOut.prototype.send = function (this: FanOut, items: readonly FanOutItem[]) {
    const start = now();
    const cpu0 = process.cpuUsage();
    for (const item of items)
      queued.push(start - Number((item.payload as { caller_id_number: string }).caller_id_number));
    const r = send.call(this, items);
    broadcast.push(now() - start);
    const cpu = process.cpuUsage(cpu0);
    broadcastCpu.push((cpu.user + cpu.system) / 1000);
    return r;
  };
  const serverStats = () => {
    const q = [...queued].sort((a, b) => a - b);
    const b = [...broadcast].sort((a, b2) => a - b2);
    return {
      queued_p50: percentile(q, 50),
      queued_p99: percentile(q, 99),
      broadcast_p50: percentile(b, 50),
      broadcast_p99: percentile(b, 99),
      broadcast_cpu_p50: percentile(
        [...broadcastCpu].sort((x, y) => x - y),
        50,
      ),
      broadcast_cpu_p99: percentile(
        [...broadcastCpu].sort((x, y) => x - y),
        99,
      ),
    };
  };

  const child = spawn(process.execPath, ['--import', 'tsx', self, '--child'], {
    env: {
      ...process.env,
      URL: url,
      ACCOUNT: demo.account_id,
      TOKEN: token,
      CLIENTS: String(clients),
      EXPECT: String(calls * 3),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const result = await new Promise<Record<string, unknown>>((resolve, reject) => {
    child.on('exit', (code) => code !== 0 && reject(new Error(`client process exited with ${code}`)));
    lines(child, (msg) => {
      if (msg.ready) void publish();
      else resolve(msg);
    });
  });

  // One event every `gap` ms: a call's create/answer/destroy are seconds apart in life, so the bench spreads them
  // instead of bursting three at once (a burst mostly measures the 1,000 clients decoding in one process).
  async function publish() {
    for (let i = 0; i < calls; i++) {
      const callId = `bench-${i}`;
      for (const [type, answered] of [
        ['call.created', false],
        ['call.answered', true],
        ['call.ended', true],
      ] as const) {
        const at = Date.now();
        // The publish instant rides in caller_id_number, so the client side can compute the latency itself.
        t.ctx.bus.publish(tenantId, type, {
          callId,
          direction: 'inbound',
          callerNumber: String(now()),
          destinationNumber: demo.hotline,
          didNumber: demo.hotline,
          queueId: null,
          agentId: null,
          createdAt: at,
          answeredAt: answered ? at : null,
          endedAt: type === 'call.ended' ? at : null,
          durationSec: type === 'call.ended' ? 1 : null,
          hangupCause: type === 'call.ended' ? 'NORMAL_CLEARING' : null,
          at,
        });
        await new Promise((r) => setTimeout(r, gapMs));
      }
    }
  }

  console.log(
    JSON.stringify(
      {
        storage: t.ctx.store.dialect,
        clients,
        events: calls * 3,
        gapMs,
        loadavg: loadavg().map((l) => Math.round(l * 10) / 10),
        cpus: cpus().length,
        end_to_end: result,
        server: serverStats(),
      },
      null,
      2,
    ),
  );
  await t.close();
  rmSync(dataDir, { recursive: true, force: true });
  if (pgSchema && config.databaseUrl) {
    const pg = (await import('pg')).default;
    const c = new pg.Client({ connectionString: config.databaseUrl });
    await c.connect();
    await c.query(`drop schema if exists ${pgSchema} cascade`);
    await c.end();
  }
  if (typeof result.p99 === 'number' && result.p99 >= 50) process.exitCode = 1; // target: p99 < 50 ms
}

if (process.argv.includes('--child')) await runClients();
else await main();
