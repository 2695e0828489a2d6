/**
 * bench/sip: sipp drives calls through tongdai's B2BUA at increasing rates and reports, per step, the calls
 * attempted, succeeded and failed, and tongdai's CPU (user+system over the step) and resident memory.
 *
 *   npx tsx bench/sip/run.ts [rates=100,200,300,400 | none] [seconds-per-step=10] [concurrent-with-audio=300 | 0]
 *
 * Path: a customer sipp (UAC) on loopback calls a DID through the demo trunk; the DID points at agent 1001,
 * whose phone is a sipp UAS (over TCP) answering with -rtp_echo. Every call is two legs, two RTP ports on tongdai, SDP
 * rewritten, the record written, bus events published, the agent's status following the call.
 * Phase 1 (rates): short calls (1 s) without audio (AUDIO=1: with the caller's pcap echoed). Phase 2 (audio): calls held 20 s with the g711a.pcap
 * played by the caller and echoed by the agent, ramped to the given concurrency.
 */
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../../src/clock.js';
import type { Db } from '../../src/store/db.js';
import { startTestServer } from '../../test/helpers/harness.js';
import { freeMediaPort, registerContact } from '../../test/sip/helpers/agents.js';
import { Peers, SCENARIOS, freeUdpPort } from '../../test/sip/helpers/peers.js';

const DID = '02870000001';
const [ratesArg, secondsArg, concurrentArg] = process.argv.slice(2);
const rates = ratesArg === 'none' ? [] : (ratesArg ?? '100,200,300,400').split(',').map(Number);
const seconds = Number(secondsArg ?? 10);
const concurrent = Number(concurrentArg ?? 300);
/** `AUDIO=1`: the rate steps' calls also carry audio (g711a.pcap from the caller, echoed) for their 1 s. */
const rateAudio = process.env.AUDIO === '1';

interface StepResult {
  label: string;
  attempted: number;
  ok: number;
  failed: number;
  cpuPct: number;
  rssMb: number;
  wallSec: number;
  /** Event-loop delay p99 during the step (ms): how late tongdai got to its sockets and timers. */
  loopP99Ms: number;
  /** From tongdai's call records: calls created per second, on average over the step and in the busiest second. */
  avgCps: number;
  peakCps: number;
  /** Most calls up at once (created, not yet ended) as tongdai's records show it. */
  peakConcurrent: number;
  /** INVITE received → agent answered, from the records (both legs' signalling plus the agent's answer time). */
  setupP50Ms: number;
  setupP99Ms: number;
  /** RTP endpoints still open 1 s after the step (should be 0: anything else is a leak). */
  openEndpointsAfter: number;
  /** Calls tongdai recorded as created during the step (sipp's count is lost when it times out). */
  recordedCalls: number;
  /** tongdai's process CPU (user + system) over the step ÷ calls it recorded, µs: the figure load disturbs least. */
  cpuUsPerCall: number;
  /** /proc/loadavg (1, 5, 15 min) at the step's end. */
  load: string;
  /** Both sipp processes' CPU over the step ÷ calls recorded, µs (the load generator's share of the same cores). */
  sippUsPerCall: number;
}

/** CPU seconds (user + system) of process `pid` from /proc (fields 14–17 with `children`: its reaped children's). */
function procCpuSec(pid: number | 'self', children = false): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat
      .slice(stat.lastIndexOf(')') + 2)
      .split(' ')
      .map(Number);
    // After the command: field 3 is state, so utime/stime are f[11], f[12] and cutime/cstime f[13], f[14].
    return (children ? f[13]! + f[14]! : f[11]! + f[12]!) / 100;
  } catch {
    return 0;
  }
}

/** Throughput as tongdai recorded it: the records created between `from` and `to` (ms). */
async function recorded(db: Db, from: number, to: number) {
  const rows = await db
    .selectFrom('calls')
    .select(['created_at', 'answered_at', 'ended_at'])
    .where('created_at', '>=', from)
    .where('created_at', '<=', to)
    .execute();
  const perSecond = new Map<number, number>();
  const edges: [number, number][] = [];
  for (const r of rows) {
    const sec = Math.floor(r.created_at / 1000);
    perSecond.set(sec, (perSecond.get(sec) ?? 0) + 1);
    edges.push([r.created_at, 1], [r.ended_at ?? to, -1]);
  }
  edges.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let up = 0;
  let peakConcurrent = 0;
  for (const [, d] of edges) peakConcurrent = Math.max(peakConcurrent, (up += d));
  const setup = rows
    .filter((r) => r.answered_at !== null)
    .map((r) => r.answered_at! - r.created_at)
    .sort((a, b) => a - b);
  const pct = (p: number) => setup[Math.min(setup.length - 1, Math.floor((p / 100) * setup.length))] ?? 0;
  const secs = [...perSecond.keys()];
  const span = secs.length ? Math.max(...secs) - Math.min(...secs) + 1 : 1;
  return {
    recordedCalls: rows.length,
    avgCps: Math.round(rows.length / span),
    peakCps: Math.max(0, ...perSecond.values()),
    peakConcurrent,
    setupP50Ms: pct(50),
    setupP99Ms: pct(99),
  };
}

function parseStats(out: string): { ok: number; failed: number } {
  const grab = (name: string) => {
    const m = new RegExp(`${name}\\s*\\|\\s*\\d+\\s*\\|\\s*(\\d+)`).exec(out);
    return m ? Number(m[1]) : NaN;
  };
  return { ok: grab('Successful call'), failed: grab('Failed call') };
}

async function main() {
  // The test harness's server on a fresh SQLite directory (PostgreSQL when DATABASE_URL is set), real time.
  const s = await startTestServer({ clock: systemClock, env: { LOG_LEVEL: 'error' } });
  const { t, demo } = s;
  const tenantId = demo.tenant_id;
  const db = t.ctx.db;
  await db
    .updateTable('tenants')
    .set({ max_concurrent_calls: 100_000, max_calls_per_second: 100_000 })
    .where('id', '=', tenantId)
    .execute();
  const agentId = demo.agents[0]!.agent_id;
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
  const peers = new Peers();
  const target = `127.0.0.1:${t.sipPort}`;
  const results: StepResult[] = [];
  try {
    const agentPort = await freeUdpPort();
    const agentSipp = peers.sippRun(
      target,
      [
        '-sf',
        SCENARIOS + 'agent-answer.xml',
        '-t',
        't1',
        '-p',
        String(agentPort),
        '-mp',
        String(await freeMediaPort()),
        '-rtp_echo',
        '-d',
        '0',
        '-m',
        '1000000',
        '-max_socket',
        '4096',
        '-buff_size',
        '4194304',
      ],
      3_600_000,
    );
    await new Promise((r) => setTimeout(r, 500));
    // The agent's phone is reached over TCP: no retransmissions on that leg (sipp aborts a call when an INVITE
    // retransmission crosses its 200, which a loaded machine makes common over UDP).
    await registerContact(s, 0, agentPort, 3600, 'tcp');
    const csv = peers.csv('customer.csv', [[DID, '0909000000']]);
    const step = async (
      label: string,
      args: string[],
      timeoutMs: number,
      scenario = SCENARIOS + 'customer-call.xml',
    ) => {
      const lag = monitorEventLoopDelay({ resolution: 10 });
      lag.enable();
      const cpu0 = process.cpuUsage();
      const sipp0 = procCpuSec(agentSipp.proc.pid ?? 0) + procCpuSec('self', true);
      const t0 = performance.now();
      const from = Date.now();
      let peakRss = 0;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 250);
      const run = peers.sippRun(
        target,
        [
          '-sf',
          scenario,
          '-inf',
          csv,
          '-p',
          String(await freeUdpPort()),
          '-mp',
          String(await freeMediaPort()),
          ...args,
        ],
        timeoutMs,
      );
      const out = await run.done;
      clearInterval(sampler);
      lag.disable();
      const wall = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      const { ok, failed } = parseStats(out.stdout);
      // The customer sipp has exited and been reaped: its CPU is now in this process's children's time.
      const sippSec = procCpuSec(agentSipp.proc.pid ?? 0) + procCpuSec('self', true) - sipp0;
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
      await new Promise((res) => setTimeout(res, 1000));
      const seen = await recorded(db, from, Date.now());
      const r: StepResult = {
        label,
        attempted: ok + failed,
        ok,
        failed,
        cpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100),
        rssMb: Math.round(peakRss / 1048576),
        wallSec: Math.round(wall * 10) / 10,
        loopP99Ms: Math.round(lag.percentile(99) / 1e6),
        ...seen,
        openEndpointsAfter: t.telephony.media.openEndpoints,
        cpuUsPerCall: seen.recordedCalls ? Math.round((cpu.user + cpu.system) / seen.recordedCalls) : 0,
        load,
        sippUsPerCall: seen.recordedCalls ? Math.round((sippSec * 1e6) / seen.recordedCalls) : 0,
      };
      results.push(r);
      console.log(JSON.stringify(r));
      await new Promise((res) => setTimeout(res, 3000));
    };
    for (const rate of rates) {
      const calls = rate * seconds;
      await step(
        `${rate} cps, 1 s calls${rateAudio ? ' with audio' : ''}`,
        [
          '-r',
          String(rate),
          '-m',
          String(calls),
          '-l',
          String(rate * 4),
          '-d',
          '1000',
          '-max_socket',
          '4096',
          '-buff_size',
          '4194304',
        ],
        (seconds + 60) * 1000,
        rateAudio
          ? SCENARIOS + 'customer-call.xml'
          : new URL('./customer-call-signalling.xml', import.meta.url).pathname,
      );
    }
    if (concurrent > 0) {
      // Ramp up over 10 s, then every call talks 28 s: all `concurrent` calls carry audio at once for ~18 s.
      const rate = Math.max(1, Math.round(concurrent / 10));
      await step(
        `${concurrent} concurrent, 28 s calls with audio`,
        [
          '-r',
          String(rate),
          '-m',
          String(concurrent),
          '-l',
          String(concurrent),
          '-max_socket',
          '4096',
          '-buff_size',
          '4194304',
        ],
        180_000,
        new URL('./customer-call-audio.xml', import.meta.url).pathname,
      );
      let packets = 0;
      for (const c of t.telephony.core.recent.values()) {
        const m = c.mediaStats;
        if (m) packets += m.a.packetsIn + m.a.packetsOut + (m.b ? m.b.packetsIn + m.b.packetsOut : 0);
      }
      console.log(JSON.stringify({ audioPacketsThroughTongdai: packets }));
    }
  } finally {
    peers.killAll();
    await s.close();
  }
  console.log(
    '\n| step (sipp target) | attempted | succeeded | failed | achieved cps avg / peak 1 s | peak concurrent | setup p50 / p99 ms | tongdai CPU % (one core) | peak RSS MB | event-loop p99 ms | wall s | CPU µs per call | sipp CPU µs per call | load 1/5/15 |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of results)
    console.log(
      `| ${r.label} | ${r.attempted} | ${r.ok} | ${r.failed} | ${r.avgCps} / ${r.peakCps} | ${r.peakConcurrent} | ${r.setupP50Ms} / ${r.setupP99Ms} | ${r.cpuPct} | ${r.rssMb} | ${r.loopP99Ms} | ${r.wallSec} | ${r.cpuUsPerCall} | ${r.sippUsPerCall} | ${r.load} |`,
    );
}

await main();
