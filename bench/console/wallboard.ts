/**
 * The wallboard under a busy floor: 1,000 agents in 100 queues, 50 agent status changes per second, in headless
 * Chromium (playwright-core + /usr/bin/chromium). Measures, per status change, the time from the server's publish
 * (the status model's write and event) to the agent card showing the new status in the page's DOM (a
 * MutationObserver timestamps every card change; server and page share the machine's wall clock), and every long
 * task the page ran (PerformanceObserver 'longtask').
 *
 *   npm run bench:console                                   # embedded SQLite, the defaults below
 *   npm run bench:console -- --agents 1000 --queues 100 --rate 50 --seconds 30
 *   DATABASE_URL=postgres://… REDIS_URL=redis://… npm run bench:console
 *
 * Only status events are driven (no SIP calls): a call on the wallboard reaches the page by the same path (an event
 * on the console namespace, a throttled refresh of GET /console/api/wallboard, a render).
 */
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { systemClock } from '../../src/clock.js';
import { createAgent } from '../../src/domain/agents.js';
import { createInboundQueue, replaceAgentQueues } from '../../src/domain/queues.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { inTransaction } from '../../src/store/db.js';
import { launch, newPage, signIn } from '../../test/console/browser.js';
import { startTestServer } from '../../test/helpers/harness.js';

const { values: opt } = parseArgs({
  options: {
    agents: { type: 'string', default: '1000' },
    queues: { type: 'string', default: '100' },
    rate: { type: 'string', default: '50' },
    seconds: { type: 'string', default: '30' },
  },
});
const AGENTS = Number(opt.agents);
const QUEUES = Number(opt.queues);
const RATE = Number(opt.rate);
const SECONDS = Number(opt.seconds);

const now = () => performance.timeOrigin + performance.now();
const pct = (sorted: number[], p: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]! : NaN;

interface PageLog {
  changes: { agent: number; status: string; at: number }[];
  longTasks: { at: number; ms: number }[];
}
declare const window: { __bench: PageLog };
declare const document: { querySelector(s: string): unknown };

async function main(): Promise<void> {
  const load0 = loadavg();
  const s = await startTestServer({ clock: systemClock });
  const { db, box, statuses } = s.t.ctx;
  const tenantId = s.demo.tenant_id;
  const t0 = now();
  await db
    .updateTable('service_packages')
    .set({ max_agents: AGENTS + 100 })
    .execute();
  const ids = await inTransaction(db, async (tx) => {
    const queues: number[] = [];
    for (let q = 0; q < QUEUES; q++) {
      const row = await createInboundQueue(tx, systemClock, tenantId, {
        name: `Bench queue ${q + 1}`,
        agentSelector: 'longest-idle',
      });
      queues.push(row.id);
    }
    const agents: number[] = [];
    for (let i = 0; i < AGENTS; i++) {
      const { agent } = await createAgent(tx, systemClock, box, tenantId, {
        name: `Bench Agent ${i + 1}`,
        email: `bench${i + 1}@bench.example`,
        createdBy: 'bench',
      });
      // Each agent in two queues (10 % of the floor per queue pair on average).
      await replaceAgentQueues(tx, tenantId, agent.id, [queues[i % QUEUES]!, queues[(i + 1) % QUEUES]!], 1);
      agents.push(agent.id);
    }
    return agents;
  });
  for (const id of ids) await statuses.login(tenantId, id, 'bench');
  await bumpRevision(db, tenantId);
  console.error(`seeded ${AGENTS} agents, ${QUEUES} queues in ${Math.round(now() - t0)} ms`);

  const browser = await launch();
  const page = await newPage(browser, { width: 1920, height: 1080 });
  await signIn(page, s.url, s.demo.console_email, s.demo.console_password);
  await page.waitForSelector('.live-dot.up', { timeout: 30_000 });
  await page.waitForFunction(
    (n: number) => document.querySelector(`.agent-grid > :nth-child(${n})`) !== null,
    AGENTS,
    {
      timeout: 60_000,
    },
  );
  // A string, not a function: tsx's transform would wrap the function's inner names in a helper the page lacks.
  await page.evaluate(`(() => {
    const log = { changes: [], longTasks: [] };
    window.__bench = log;
    performance.clearResourceTimings();
    performance.setResourceTimingBufferSize(100000);
    new MutationObserver((ms) => {
      const at = performance.timeOrigin + performance.now();
      for (const m of ms) {
        const el = m.target.closest ? m.target : m.target.parentElement;
        const status = el && el.closest('[data-k=status]');
        const card = status && status.closest('[data-agent]');
        if (card) log.changes.push({ agent: Number(card.dataset.agent), status: status.textContent, at });
      }
    }).observe(document.querySelector('.agent-grid'), { subtree: true, characterData: true, childList: true });
    new PerformanceObserver((l) => {
      for (const e of l.getEntries())
        log.longTasks.push({ at: performance.timeOrigin + e.startTime, ms: e.duration });
    }).observe({ type: 'longtask' });
  })()`);

  // Drive the floor: agent k (round robin) flips Available ⇄ Break; each agent changes every AGENTS/RATE s.
  const sent: { agent: number; status: string; at: number }[] = [];
  const state = new Map(ids.map((id) => [id, 'Available']));
  const total = RATE * SECONDS;
  const start = now();
  for (let k = 0; k < total; k++) {
    const due = start + (k * 1000) / RATE;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    const id = ids[k % ids.length]!;
    const next = state.get(id) === 'Available' ? 'Break' : 'Available';
    state.set(id, next);
    const at = now();
    // Not awaited in sequence: a slow write must not slow the offered rate.
    void statuses.setCustomStatus(tenantId, [id], next, 'bench').catch((e: unknown) => console.error(e));
    sent.push({ agent: id, status: next, at });
  }
  const driveMs = now() - start;
  // Let the last refreshes land (throttled at 60 ms; a refresh can take a few hundred ms).
  await new Promise((r) => setTimeout(r, 3000));
  const log = await page.evaluate(() => window.__bench);
  // How long each wallboard read took as the page saw it (request to last byte): the refresh's share of the delay.
  const reads = (await page.evaluate(`performance.getEntriesByType('resource')
      .filter((e) => e.name.includes('/console/api/wallboard')).map((e) => e.duration)`)) as number[];
  reads.sort((a, b) => a - b);
  await browser.close();
  await s.close();

  const latencies: number[] = [];
  let missing = 0;
  for (const e of sent) {
    const shown = log.changes.find((c) => c.agent === e.agent && c.status === e.status && c.at >= e.at - 5);
    if (shown) latencies.push(shown.at - e.at);
    else missing++;
  }
  latencies.sort((a, b) => a - b);
  const longest = log.longTasks.reduce((m, x) => Math.max(m, x.ms), 0);
  const result = {
    agents: AGENTS,
    queues: QUEUES,
    offered_per_sec: RATE,
    achieved_per_sec: Math.round((sent.length / driveMs) * 1000 * 10) / 10,
    events: sent.length,
    shown: latencies.length,
    missing,
    event_to_dom_ms: {
      p50: Math.round(pct(latencies, 50)),
      p95: Math.round(pct(latencies, 95)),
      p99: Math.round(pct(latencies, 99)),
      max: Math.round(latencies[latencies.length - 1] ?? NaN),
    },
    wallboard_reads: reads.length,
    wallboard_read_ms: { p50: Math.round(pct(reads, 50)), p99: Math.round(pct(reads, 99)) },
    long_tasks: log.longTasks.length,
    long_tasks_over_200ms: log.longTasks.filter((x) => x.ms > 200).length,
    longest_task_ms: Math.round(longest),
    store: process.env.DATABASE_URL ? 'postgresql' : 'sqlite',
    cpus: cpus().length,
    loadavg_before: load0.map((x) => Math.round(x * 100) / 100),
    loadavg_after: loadavg().map((x) => Math.round(x * 100) / 100),
  };
  console.log(JSON.stringify(result, null, 2));
}

await main();
