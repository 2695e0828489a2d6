/**
 * Soak: one real tongdai process (test/helpers/server-child.ts, the demo tenant, every queue call recorded, no
 * wrap-up) under a steady mix for SOAK_MINUTES (default 10):
 *
 * - queue calls: sipp customers through the demo trunk (SOAK_CALL_CONCURRENCY at once, each talking
 *   SOAK_TALK_MS), answered by the three demo agents' sipp phones (RTP echo, re-registered every 2 minutes);
 * - API calls: SOAK_API_LANES lanes, each a request every SOAK_API_GAP_MS: native lists (agents, live calls,
 *   call history, teams, statuses) and a team created then deleted;
 * - Socket.IO: SOAK_SOCKETS clients subscribed to `call.*.*`, one of them replaced every 10 s;
 * - webhooks: agent.status_changed delivered to a local receiver.
 *
 * Reported: the server's RSS and heap at start, every minute and at the end; calls completed / failed; API
 * requests, 5xx and other unexpected statuses; Socket.IO events received; webhook deliveries; error log lines.
 *
 *   npm run soak                       # embedded SQLite, 10 minutes
 *   SOAK_MINUTES=2 npm run soak
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… npm run soak
 */
import { loadavg } from 'node:os';
import { io, type Socket } from 'socket.io-client';
import { type TestServer, call, newStorage } from '../../test/helpers/harness.js';
import { spawnServer } from '../../test/helpers/spawn.js';
import { registerContact, startAgent, startCustomer } from '../../test/sip/helpers/agents.js';
import { Peers } from '../../test/sip/helpers/peers.js';
import { startReceiver } from '../../test/helpers/receiver.js';

const num = (name: string, dflt: number) => Number(process.env[name] ?? dflt);
const MINUTES = num('SOAK_MINUTES', 10);
const CALLS_AT_ONCE = num('SOAK_CALL_CONCURRENCY', 2);
const TALK_MS = num('SOAK_TALK_MS', 4000);
const API_LANES = num('SOAK_API_LANES', 2);
const API_GAP_MS = num('SOAK_API_GAP_MS', 50);
const SOCKETS = num('SOAK_SOCKETS', 20);
const MB = (b: number) => Math.round((b / 1048576) * 10) / 10;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Sample {
  minute: number;
  rss_mb: number;
  heap_used_mb: number;
  calls_ok: number;
  calls_failed: number;
  api: number;
  api_5xx: number;
  api_other: number;
  socket_events: number;
  webhooks: number;
  error_logs: number;
  load1: number;
}

const counts = { callsOk: 0, callsFailed: 0, api: 0, api5xx: 0, apiOther: 0, socketEvents: 0, errorLogs: 0 };
const unexpected = new Map<string, number>();

async function main(): Promise<void> {
  const storage = newStorage('tongdai-soak-');
  const receiver = await startReceiver([200]);
  const srv = spawnServer(storage, {
    NODE_ID: 'soak',
    CHILD_RING_TIMEOUT_SEC: '20',
    CHILD_WEBHOOK_URL: receiver.url,
    CHILD_WS_TOKEN: '1',
    CHILD_MEMORY_MS: '5000',
    RATE_LIMIT_TENANT: '1000000',
    RATE_LIMIT_ROUTE: '1000000',
    LOG_LEVEL: 'warn',
  });
  let memory: NodeJS.MemoryUsage | undefined;
  srv.onLine((l) => {
    if (l.memory) memory = l.memory;
    if ((l.level ?? 0) >= 50) {
      counts.errorLogs++;
      if (counts.errorLogs <= 5) console.error(`server error log: ${l.msg ?? JSON.stringify(l)}`);
    }
  });
  const ready = await srv.next((l) => l.ready === true, 'ready', 60_000);
  const url = ready.url!;
  const demo = ready.demo!;
  const s = { t: { sipPort: ready.sipPort! }, demo } as unknown as TestServer;
  const peers = new Peers();
  const deadline = Date.now() + MINUTES * 60_000;
  let stopping = false;

  // Agents' phones: one sipp UAS each, answering every call after 300 ms.
  const phonePorts: number[] = [];
  for (let i = 0; i < demo.agents.length; i++) {
    const run = await startAgent(peers, s, i, 'agent-answer.xml', {
      pauseMs: 300,
      calls: 100_000,
      timeoutMs: (MINUTES + 2) * 60_000,
    });
    void run.done.then((f) => {
      if (!stopping) console.error(`agent phone ${i} exited (${f.code}): ${f.stderr.slice(-300)}`);
    });
    phonePorts.push(run.port);
  }

  await waitMemory(() => memory);
  const samples: Sample[] = [sample(0, memory!, receiver.received.length)];
  console.log(
    `soak: ${MINUTES} min on ${process.env.DATABASE_URL ? 'PostgreSQL' : 'SQLite'}, load ${load()}`,
  );
  console.log(JSON.stringify(samples[0]));

  const callLane = async (lane: number) => {
    for (let n = 0; Date.now() < deadline; n++) {
      const caller = `09${String(lane)}${String(n % 10_000_000).padStart(7, '0')}`;
      const c = await startCustomer(peers, s, 'customer-call.xml', TALK_MS, caller);
      const f = await c.done;
      if (f.code === 0) counts.callsOk++;
      else {
        counts.callsFailed++;
        if (counts.callsFailed <= 5)
          console.error(`call ${caller} failed (${f.code}): ${f.stderr.slice(-300)}`);
      }
    }
  };
  const key = { 'x-api-key': demo.api_key };
  const request = async (method: string, path: string, body?: unknown, expect = [200]) => {
    counts.api++;
    try {
      const r = await call(`${url}${path}`, { method, headers: key, body });
      if (r.status >= 500) counts.api5xx++;
      else if (!expect.includes(r.status)) {
        counts.apiOther++;
        const k = `${method} ${path.replace(/\d+/g, ':n')} ${r.status}`;
        unexpected.set(k, (unexpected.get(k) ?? 0) + 1);
      }
      return r;
    } catch {
      counts.api5xx++;
      return undefined;
    }
  };
  const apiLane = async (lane: number) => {
    const reads = ['/api/agents', '/api/calls?state=active', '/api/calls', '/api/teams', '/api/statuses'];
    for (let i = lane; Date.now() < deadline; i++) {
      if (i % 10 === 0) {
        const made = await request('POST', '/api/teams', { name: `soak ${lane}-${i}` }, [200, 201]);
        const id = (made?.body as { id?: number } | undefined)?.id;
        if (id) await request('DELETE', `/api/teams/${id}`, undefined, [200, 204]);
      } else await request('GET', reads[i % reads.length]!);
      await sleep(API_GAP_MS);
    }
  };
  const sockets: Socket[] = [];
  const connect = async () => {
    const sock = io(url, { transports: ['websocket'], forceNew: true, reconnection: false });
    sock.onAny(() => counts.socketEvents++);
    const ack = (await sock
      .timeout(10_000)
      .emitWithAck('subscribe', {
        account_id: demo.account_id,
        auth_token: ready.wsToken,
        binding: 'call.*.*',
      })
      .catch(() => ({ ok: false }))) as { ok: boolean };
    if (!ack.ok) console.error('a Socket.IO subscribe was refused');
    sockets.push(sock);
  };
  for (let i = 0; i < SOCKETS; i++) await connect();
  const churn = async () => {
    while (Date.now() < deadline) {
      await sleep(10_000);
      sockets.shift()?.disconnect();
      await connect();
    }
  };
  const reRegister = async () => {
    while (Date.now() < deadline) {
      await sleep(120_000);
      for (const [i, port] of phonePorts.entries())
        await registerContact(s, i, port, 300).catch(() => undefined);
    }
  };
  const minutes = async () => {
    for (let m = 1; m <= MINUTES; m++) {
      await sleep(Math.max(0, deadline - (MINUTES - m) * 60_000 - Date.now()));
      const x = sample(m, memory!, receiver.received.length);
      samples.push(x);
      console.log(JSON.stringify(x));
    }
  };
  await Promise.all([
    ...Array.from({ length: CALLS_AT_ONCE }, (_, i) => callLane(i)),
    ...Array.from({ length: API_LANES }, (_, i) => apiLane(i)),
    churn(),
    reRegister(),
    minutes(),
  ]);
  stopping = true;
  await sleep(6000); // the last memory line after the load stopped
  const end = sample(MINUTES, memory!, receiver.received.length);
  for (const sock of sockets) sock.disconnect();
  peers.killAll();
  srv.kill();
  await srv.exited;
  await receiver.close();
  await storage.remove();
  report(samples, end);
}

async function waitMemory(get: () => NodeJS.MemoryUsage | undefined): Promise<void> {
  while (!get()) await sleep(200);
}

const load = () => loadavg()[0]!.toFixed(1);

function sample(minute: number, m: NodeJS.MemoryUsage, webhooks: number): Sample {
  return {
    minute,
    rss_mb: MB(m.rss),
    heap_used_mb: MB(m.heapUsed),
    calls_ok: counts.callsOk,
    calls_failed: counts.callsFailed,
    api: counts.api,
    api_5xx: counts.api5xx,
    api_other: counts.apiOther,
    socket_events: counts.socketEvents,
    webhooks,
    error_logs: counts.errorLogs,
    load1: Number(load()),
  };
}

function report(samples: Sample[], end: Sample): void {
  const first = samples[0]!;
  console.log(
    '\n| minute | RSS MB | heap MB | calls ok / failed | API requests | 5xx | other | socket events | webhooks | error logs | load |',
  );
  console.log('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const x of [...samples, { ...end, minute: -1 }])
    console.log(
      `| ${x.minute < 0 ? 'end (idle 6 s)' : x.minute} | ${x.rss_mb} | ${x.heap_used_mb} | ${x.calls_ok} / ${x.calls_failed} | ${x.api} | ${x.api_5xx} | ${x.api_other} | ${x.socket_events} | ${x.webhooks} | ${x.error_logs} | ${x.load1} |`,
    );
  console.log(
    `\nRSS ${first.rss_mb} → ${end.rss_mb} MB (${(end.rss_mb - first.rss_mb).toFixed(1)}), heap ${first.heap_used_mb} → ${end.heap_used_mb} MB; ` +
      `unexpected statuses: ${JSON.stringify(Object.fromEntries(unexpected))}`,
  );
  if (end.api_5xx > 0 || end.error_logs > 0) process.exitCode = 1;
}

await main();
