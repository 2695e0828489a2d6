/**
 * bench:mixed — the AloHub agent list under a running contact center: sipp calls at a steady rate, each with audio
 * (the caller's pcap, echoed by the agent's sipp) and recorded, while 1,000 Socket.IO clients are subscribed to the
 * call events. Reports the list's throughput as a ratio to a bare Fastify hello-world measured in the same run
 * (interleaved rounds, both under the same call load), failed calls, and call-event delivery latency.
 *
 *   npm run bench:mixed                                   # embedded SQLite
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… npm run bench:mixed
 *   npm run bench:mixed -- --cps 30 --seconds 8 --rounds 2 --clients 1000 --agents 1000
 *
 * tongdai runs in this process (as bench/sip does); the hello-world, autocannon and the Socket.IO clients run in
 * child processes so none of them shares tongdai's event loop. The list is page 0 of the demo tenant (grown to
 * `--agents`), which holds agent 1001, the one every call rings: its status changes ~3 times per call.
 * Event latency: from the bus publish (this process) to the arrival at a sample of the clients (one in 50, in a
 * process of their own), on the same wall clock.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { systemClock } from '../../src/clock.js';
import { startTestServer } from '../../test/helpers/harness.js';
import { freeMediaPort, registerContact } from '../../test/sip/helpers/agents.js';
import { Peers, SCENARIOS, freeUdpPort } from '../../test/sip/helpers/peers.js';
import { seedBenchTenant } from '../http/seed.js';
import { FanOut, type FanOutItem } from '../../src/realtime/fanout.js';
import { RealtimeGateway } from '../../src/realtime/gateway.js';

const self = fileURLToPath(import.meta.url);
const now = () => performance.timeOrigin + performance.now();
const DID = '02870000001';
const WIRE: Record<string, string> = {
  CHANNEL_CREATE: 'call.created',
  CHANNEL_ANSWER: 'call.answered',
  CHANNEL_DESTROY: 'call.ended',
};
const SAMPLE_EVERY = 50;

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** Child: the Socket.IO clients. Sampled clients record each event's arrival; 'report' on stdin prints them. */
async function runClients(): Promise<void> {
  const { io } = await import('socket.io-client');
  const { URL: url, ACCOUNT: account, TOKEN: token, CLIENTS, SAMPLED } = process.env;
  const n = Number(CLIENTS);
  const seen: [string, string, number][] = [];
  let received = 0;
  const pending = [];
  for (let i = 0; i < n; i++) {
    const socket = io(url!, { transports: ['websocket'], forceNew: true });
    const sampled = SAMPLED === '1';
    for (const ev of Object.keys(WIRE)) {
      socket.on(ev, (data: { call_id: string }) => {
        received++;
        if (sampled) seen.push([data.call_id, ev, now()]);
      });
    }
    pending.push(
      socket
        .timeout(20_000)
        .emitWithAck('subscribe', { account_id: account, auth_token: token, binding: 'call.*.*' }),
    );
    if (i % 50 === 49) await Promise.all(pending.slice(-50));
  }
  const acks = await Promise.all(pending);
  if (acks.some((a: { ok: boolean }) => !a.ok)) throw new Error('a subscribe was refused');
  process.stdout.write(JSON.stringify({ ready: true }) + '\n');
  process.stdin.on('data', () => {
    // Exit only once the (large) line is written: stdout on a pipe is asynchronous.
    process.stdout.write(JSON.stringify({ received, seen }) + '\n', () => process.exit(0));
  });
}

/** Child: one autocannon run; prints its result. */
async function runCannon(): Promise<void> {
  const autocannon = createRequire(import.meta.url)('autocannon') as (o: object) => Promise<any>;
  const { TARGET, AUTH, SECONDS, CONNECTIONS } = process.env;
  const headers = AUTH ? { Authorization: AUTH } : {};
  const r = await autocannon({
    url: TARGET,
    headers,
    connections: Number(CONNECTIONS),
    duration: Number(SECONDS),
  });
  process.stdout.write(
    JSON.stringify({
      rps: r.requests.average,
      p50: r.latency.p50,
      p99: r.latency.p99,
      bad: r.non2xx + r.errors,
    }) + '\n',
  );
}

function firstLine(child: ChildProcess, pred: (m: any) => boolean = () => true): Promise<any> {
  return new Promise((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!line.startsWith('{')) continue;
        const m = JSON.parse(line);
        if (pred(m)) resolve(m);
      }
    });
    child.once('exit', (code) => code !== 0 && reject(new Error(`child exited with ${code}`)));
  });
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) c.kill('SIGKILL');
});

function child(args: string[], env: Record<string, string>, stdin: 'pipe' | 'ignore' = 'ignore') {
  const c = spawn(process.execPath, ['--import', 'tsx', ...args], {
    stdio: [stdin, 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  children.add(c);
  c.once('exit', () => children.delete(c));
  return c;
}

async function cannon(target: string, auth: string | undefined, seconds: number, connections: number) {
  const c = child([self, '--role', 'cannon'], {
    TARGET: target,
    AUTH: auth ?? '',
    SECONDS: String(seconds),
    CONNECTIONS: String(connections),
  });
  return (await firstLine(c)) as { rps: number; p50: number; p99: number; bad: number };
}

function sippStats(out: string): { ok: number; failed: number } {
  const grab = (name: string) => {
    const m = new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(out);
    return m ? Number(m[1]) : NaN;
  };
  return { ok: grab('Successful call'), failed: grab('Failed call') };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      role: { type: 'string', default: 'main' },
      cps: { type: 'string', default: '30' },
      seconds: { type: 'string', default: '8' },
      rounds: { type: 'string', default: '2' },
      connections: { type: 'string', default: '10' },
      clients: { type: 'string', default: '1000' },
      agents: { type: 'string', default: '1000' },
    },
  });
  if (values.role === 'clients') return runClients();
  if (values.role === 'cannon') return runCannon();
  const cps = Number(values.cps);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  const connections = Number(values.connections);
  const load0 = loadavg();

  // The gateway's fan-out, to report its batches and socket writes.
  const fanOuts = new Set<FanOut>();
  const send = FanOut.prototype.send;
  FanOut.prototype.send = function (this: FanOut, items: readonly FanOutItem[]) {
    fanOuts.add(this);
    return send.call(this, items);
  };
  // The gateway, to report how long its tenants' chain tasks waited and ran.
  const gateways = new Set<RealtimeGateway>();
  const start = RealtimeGateway.prototype.start;
  RealtimeGateway.prototype.start = function (this: RealtimeGateway) {
    gateways.add(this);
    return start.call(this);
  };
  const s = await startTestServer({ clock: systemClock, env: { LOG_LEVEL: 'error' } });
  const { t, demo } = s;
  const tenantId = demo.tenant_id;
  const db = t.ctx.db;
  const key = await seedBenchTenant(t, Number(values.agents));
  await db
    .updateTable('tenants')
    .set({ max_concurrent_calls: 100_000, max_calls_per_second: 100_000 })
    .where('id', '=', tenantId)
    .execute();
  const agentId = demo.agents[0]!.agent_id;
  await db.updateTable('agents').set({ recording_enabled: 1 }).where('id', '=', agentId).execute();
  await db
    .insertInto('numbers')
    .values({
      tenant_id: tenantId,
      number: DID,
      target_type: 'agent',
      target_id: agentId,
      trunk_id: null,
      created_at: Date.now(),
    })
    .execute();

  // Publish instants of the call events, matched with the sampled clients' arrivals afterwards.
  const published = new Map<string, number>();
  t.ctx.bus.subscribe((e) => {
    if (e.type === 'call.created' || e.type === 'call.answered' || e.type === 'call.ended')
      published.set(`${(e.payload as { callId: string }).callId}|${e.type}`, now());
  });

  const say = (m: string) => console.error(`[mixed ${new Date().toISOString().slice(11, 19)}] ${m}`);
  say(`tongdai up (${t.ctx.store.dialect}), ${values.agents} agents`);
  const bare = child(
    [fileURLToPath(new URL('../http/alohub-agents.ts', import.meta.url)), '--role', 'bare'],
    {},
  );
  const bareUrl = `http://127.0.0.1:${(await firstLine(bare)).port}/`;
  const token = (await t.ctx.credentials.createToken(tenantId, 'ws')).token;
  // The sampled clients (one in SAMPLE_EVERY) have a process of their own: in the other one, 980 clients decoding
  // every event would queue the samples behind their own backlog, and the figure would be that process's.
  const total = Number(values.clients);
  const nSampled = Math.ceil(total / SAMPLE_EVERY);
  const clientEnv = { URL: s.url, ACCOUNT: demo.account_id, TOKEN: token };
  const clients = child(
    [self, '--role', 'clients'],
    { ...clientEnv, CLIENTS: String(total - nSampled), SAMPLED: '0' },
    'pipe',
  );
  say('bare Fastify up; connecting the Socket.IO clients');
  await firstLine(clients, (m) => m.ready);
  // Connected last, so they are last in the room: the fan-out writes to them after everyone else (worst case).
  const sampledClients = child(
    [self, '--role', 'clients'],
    { ...clientEnv, CLIENTS: String(nSampled), SAMPLED: '1' },
    'pipe',
  );
  await firstLine(sampledClients, (m) => m.ready);
  say(`${values.clients} clients subscribed; starting calls`);

  const peers = new Peers();
  const target = `127.0.0.1:${t.sipPort}`;
  const listUrl = `${s.url}/v1/agents?page=0&size=20`;
  const bareRuns: { rps: number; p99: number }[] = [];
  const listRuns: { rps: number; p50: number; p99: number }[] = [];
  let calls = { ok: 0, failed: 0 };
  const callsFrom = Date.now();
  try {
    const agentPort = await freeUdpPort();
    peers.sippRun(
      target,
      [
        ...['-sf', SCENARIOS + 'agent-answer.xml', '-t', 't1', '-p', String(agentPort)],
        ...['-mp', String(await freeMediaPort()), '-rtp_echo', '-d', '0', '-m', '1000000'],
        ...['-max_socket', '4096', '-buff_size', '4194304'],
      ],
      3_600_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    await registerContact(s, 0, agentPort, 3600, 'tcp');
    const csv = peers.csv('customer.csv', [[DID, '0909000000']]);
    const warm = 8;
    const total = warm + rounds * 2 * (seconds + 3) + 4;
    const customers = peers.sippRun(
      target,
      [
        ...['-sf', SCENARIOS + 'customer-call.xml', '-inf', csv, '-p', String(await freeUdpPort())],
        ...['-mp', String(await freeMediaPort()), '-r', String(cps), '-m', String(cps * total)],
        ...['-l', String(cps * 6), '-max_socket', '4096', '-buff_size', '4194304'],
      ],
      (total + 600) * 1000,
    );
    await new Promise((r) => setTimeout(r, warm * 1000));
    say('measuring');
    for (let i = 0; i < rounds; i++) {
      bareRuns.push(await cannon(bareUrl, undefined, seconds, connections));
      const l = await cannon(listUrl, key, seconds, connections);
      if (l.bad > 0) throw new Error(`${l.bad} bad answers from the list`);
      listRuns.push(l);
    }
    say('waiting for the last calls');
    calls = sippStats((await customers.done).stdout);
  } finally {
    peers.killAll();
  }
  const callsTo = Date.now();
  say(
    `calls done: ${calls.ok} ok, ${calls.failed} failed; list ${JSON.stringify(listRuns)}; bare ${JSON.stringify(bareRuns)}`,
  );
  await new Promise((r) => setTimeout(r, 2000));
  const noReport = { received: NaN, seen: [] as [string, string, number][] };
  const reportOf = (c: ChildProcess) => {
    c.stdin!.write('report\n');
    return Promise.race([
      firstLine(c, (m) => 'seen' in m),
      new Promise((r) => setTimeout(() => r(noReport), 60_000)),
    ]) as Promise<typeof noReport>;
  };
  const [rest, report] = await Promise.all([reportOf(clients), reportOf(sampledClients)]);
  say('clients reported');
  const lat: number[] = [];
  for (const [callId, ev, at] of report.seen) {
    const p = published.get(`${callId}|${WIRE[ev]}`);
    if (p !== undefined) lat.push(at - p);
  }
  lat.sort((a, b) => a - b);
  const recorded = await db
    .selectFrom('recordings')
    .select(db.fn.countAll<number>().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('created_at', '>=', callsFrom)
    .executeTakeFirst();
  const load1 = loadavg();
  bare.kill('SIGTERM');
  clients.kill('SIGKILL');
  sampledClients.kill('SIGKILL');
  // Closing waits for the recordings still being encoded; give it a while, then drop the storage regardless.
  await Promise.race([s.close(), new Promise((r) => setTimeout(r, 20_000))]);
  await s.storage.remove().catch(() => undefined);

  const bestBare = bareRuns.reduce((a, b) => (b.rps > a.rps ? b : a));
  const bestList = listRuns.reduce((a, b) => (b.rps > a.rps ? b : a));
  const result = {
    storage: t.ctx.store.dialect,
    node: process.version,
    cpus: cpus().length,
    loadavgBefore: load0.map((l) => l.toFixed(1)).join(' / '),
    loadavgAfter: load1.map((l) => l.toFixed(1)).join(' / '),
    cpsOffered: cps,
    callSeconds: Math.round((callsTo - callsFrom) / 1000),
    callsOk: calls.ok,
    callsFailed: calls.failed,
    recordingsMade: Number(recorded?.n ?? 0),
    clients: Number(values.clients),
    eventsDelivered: rest.received + report.received,
    // Every client is subscribed to call.*.*: each published call event is owed to each of them.
    eventsExpected: published.size * total,
    eventsSampled: lat.length,
    fanOut: [...fanOuts].map((f) => f.stats),
    fanOutWritesPerSecond: Math.round(
      [...fanOuts].reduce((a, f) => a + f.stats.writes, 0) / ((callsTo - callsFrom) / 1000),
    ),
    chain: [...gateways].map((g) =>
      Object.fromEntries(
        Object.entries(g.chainStats).map(([kind, c]) => [
          kind,
          {
            tasks: c.tasks,
            meanWaitMs: +(c.waitMs / c.tasks).toFixed(2),
            meanRunMs: +(c.runMs / c.tasks).toFixed(2),
            maxRunMs: Math.round(c.maxRunMs),
            runSeconds: +(c.runMs / 1000).toFixed(1),
          },
        ]),
      ),
    ),
    eventLog: [...gateways].map((g) => ({
      ...g.log.stats,
      ms: Math.round(g.log.stats.ms),
      idClaims: g.ids.stats.claims,
    })),
    eventP50: Math.round(percentile(lat, 50)),
    eventP99: Math.round(percentile(lat, 99)),
    bareRps: bareRuns.map((r) => Math.round(r.rps)),
    listRps: listRuns.map((r) => Math.round(r.rps)),
    ratio: +(bestList.rps / bestBare.rps).toFixed(2),
    listP50: bestList.p50,
    listP99: bestList.p99,
  };
  console.log(JSON.stringify(result, null, 2));
  console.log(
    `| ${result.storage} | ${result.loadavgBefore} → ${result.loadavgAfter} | ${cps} | ${result.callsOk} / ${result.callsFailed} | ${result.recordingsMade} | ${Math.round(bestBare.rps)} | ${Math.round(bestList.rps)} | **${result.ratio}** | ${bestList.p50} / ${bestList.p99} | ${result.eventsDelivered} / ${result.eventsExpected} | ${result.eventP50} / ${result.eventP99} |`,
  );
  process.exit(0);
}

await main();
