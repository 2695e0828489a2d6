// ACD decision latency: 10,000 agents, 500 queues, 2,000 waiting calls.
// Run with `npm run bench:acd` (or `npx tsx bench/acd/run.ts [ops]`). Not part of the tests.
//
// Half the queues are "busy": their 5,000 agents are logged in but mostly not ready, so 2,000 calls
// wait there (8 per queue). The other half are "idle": 5,000 ready agents, so a call entering one of
// them is offered at once through the queue's strategy. Each agent belongs to 3 queues of its half
// with priorities 1–3, and every strategy is used. The timed mix then exercises each input:
// an agent becoming ready (takes the longest-waiting call across its queues), answer, end, not-ready
// while ringing, a call entering either half, an abandon, and ticks firing timers.
//
// The whole run happens twice in one process, first without skills (the baseline) and then with them:
// 20 skills, every agent holds 3 (proficiency 1–5), every queue requires 1–2 of its members' skills at
// 1–3 that relax in two steps (one level lower after 10 s, dropped after 30 s), and one call in five
// brings a requirement of its own (an IVR branch). `--skills` or `--baseline` runs only one of them.
import { cpus, loadavg, totalmem } from 'node:os';
import { FakeClock } from '../../src/clock.js';
import { Acd } from '../../src/acd/index.js';
import type { AcdDecision, AcdInput, QueueConfig, SkillRequirement } from '../../src/acd/index.js';
import { AGENT_SELECTORS } from '../../src/domain/queues.js';

const AGENTS = 10_000;
const QUEUES = 500;
const WAITING = 2_000;
const QUEUES_PER_AGENT = 3;
const TENANT = 1;
const IDLE_TALKING = 1_250;
const SKILLS = 20;
const args = process.argv.slice(2);
const OPS = Number(args.find((a) => /^\d+$/.test(a)) ?? 60_000);

interface Summary {
  label: string;
  p99Input: number;
  p99Decision: number;
}

/** One full run of the mix; `withSkills` turns requirements and agent skills on. */
function runBench(withSkills: boolean): Summary {
  let seed = 42;
  const rand = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;

  const clock = new FakeClock();
  const acd = new Acd(clock, { random: rand });
  const half = QUEUES / 2;
  const busyQueues = Array.from({ length: half }, (_, i) => i + 1);
  const idleQueues = Array.from({ length: half }, (_, i) => half + i + 1);
  const busyAgents = Array.from({ length: AGENTS / 2 }, (_, i) => i + 1);
  const idleAgents = Array.from({ length: AGENTS / 2 }, (_, i) => AGENTS / 2 + i + 1);

  const members = new Map<number, { agentId: number; priority: number }[]>();
  const held = new Map<number, { skillId: number; proficiency: number }[]>();
  function configure(): void {
    const join = (agents: number[], queues: number[]) => {
      for (const agentId of agents) {
        const mine = new Set<number>();
        while (mine.size < QUEUES_PER_AGENT) mine.add(pick(queues));
        for (const q of mine) {
          if (!members.has(q)) members.set(q, []);
          members.get(q)!.push({ agentId, priority: 1 + Math.floor(rand() * 3) });
        }
      }
    };
    join(busyAgents, busyQueues);
    join(idleAgents, idleQueues);
    if (withSkills) {
      for (const agentId of [...busyAgents, ...idleAgents]) {
        const mine = new Set<number>();
        while (mine.size < 3) mine.add(1 + Math.floor(rand() * SKILLS));
        held.set(
          agentId,
          [...mine].map((skillId) => ({ skillId, proficiency: 1 + Math.floor(rand() * 5) })),
        );
      }
    }
    for (let id = 1; id <= QUEUES; id++) {
      const queue: QueueConfig = {
        id,
        tenantId: TENANT,
        managementType: id % 10 === 0 ? 2 : 1,
        selector: AGENT_SELECTORS[id % AGENT_SELECTORS.length]!,
        maxWaitSec: null,
        announcePosition: id % 3 === 0,
        announceIntervalSec: 30,
        wrapupSec: id > half ? 5 : 0,
        ringTimeoutSec: 20,
        maxNoAnswer: 3,
        serviceLevelSec: 20,
        overflowTarget: null,
        divertTarget: null,
        members: members.get(id) ?? [],
        ...(withSkills ? { skills: queueSkills(id) } : {}),
      };
      acd.handle({ type: 'queue_config', queue });
    }
    for (const [agentId, skills] of held)
      acd.handle({ type: 'agent_skills', tenantId: TENANT, agentId, skills });
    for (const agentId of busyAgents)
      acd.handle({ type: 'agent_availability', tenantId: TENANT, agentId, presence: 'not_ready' });
    for (const agentId of idleAgents)
      acd.handle({ type: 'agent_availability', tenantId: TENANT, agentId, presence: 'ready' });
  }

  let callSeq = 0;
  const waiting = new Set<string>();
  const ringing = new Map<number, string>(); // agent → call offered to them
  const talkingIdle: [string, number][] = []; // calls answered in the idle half, oldest first
  const lateOffers = new Map<number, string>(); // idle-half agent → call offered to them since the last idle call

  /** Keeps the bookkeeping of what the engine decided, so the driver only sends valid inputs. */
  function track(out: AcdDecision[]): void {
    for (const d of out) {
      if (d.type === 'offer') {
        for (const a of d.agentIds) {
          ringing.set(a, d.callId);
          if (a > AGENTS / 2) lateOffers.set(a, d.callId);
        }
      } else if (d.type === 'stop_offer') for (const a of d.agentIds) ringing.delete(a);
      else if (d.type === 'call_finished') {
        waiting.delete(d.callId);
        if (d.outcome === 'answered' && d.agentId !== null) ringing.delete(d.agentId);
      }
    }
  }

  const samples = new Map<string, number[]>();
  const perDecision: number[] = [];
  // CPU time of the process during each input: on a shared machine wall time also counts the moments
  // the OS ran someone else, so both are reported.
  const cpuSamples = new Map<string, number[]>();
  let timed = false;
  let decisions = 0;

  function measure(label: string, run: () => AcdDecision[]): AcdDecision[] {
    const c0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    const out = run();
    const ns = Number(process.hrtime.bigint() - t0);
    const cpu = process.cpuUsage(c0);
    if (timed) {
      if (!cpuSamples.has(label)) cpuSamples.set(label, []);
      cpuSamples.get(label)!.push((cpu.user + cpu.system) * 1000);
      if (!samples.has(label)) samples.set(label, []);
      samples.get(label)!.push(ns);
      decisions += out.length;
      perDecision.push(ns / Math.max(1, out.length));
    }
    track(out);
    return out;
  }

  const send = (label: string, input: AcdInput) => measure(label, () => acd.handle(input));

  /**
   * 1–2 skills that one member of the queue holds, at a minimum of 1–3 that member meets, one level lower after
   * 10 s and dropped after 30 s: a requirement some members meet, as in a real centre.
   */
  function queueSkills(queueId: number): SkillRequirement[] {
    const list = members.get(queueId) ?? [];
    if (list.length === 0) return [];
    const mine = held.get(pick(list).agentId) ?? [];
    const want = 1 + Math.floor(rand() * 2);
    return mine.slice(0, want).map((s) => requirement(s.skillId, s.proficiency));
  }

  function requirement(skillId: number, atMost: number): SkillRequirement {
    const minProficiency = Math.min(atMost, 1 + Math.floor(rand() * 3));
    return {
      skillId,
      minProficiency,
      relax: [
        ...(minProficiency > 1 ? [{ afterSec: 10, minProficiency: minProficiency - 1 }] : []),
        { afterSec: 30, minProficiency: 0 },
      ],
    };
  }

  function enter(queues: number[]): AcdDecision[] {
    const callId = `c${++callSeq}`;
    // Only the busy half's backlog is abandoned and replaced (an idle-half call waits only for a skill).
    if (queues === busyQueues) waiting.add(callId);
    const queueId = pick(queues);
    return send('call_entered', {
      type: 'call_entered',
      callId,
      tenantId: TENANT,
      queueId,
      callerNumber: `09${callSeq}`,
      ...(withSkills && rand() < 0.2 ? { skills: queueSkills(queueId).slice(0, 1) } : {}),
    });
  }

  /** A busy-half agent becomes ready, takes the longest-waiting call, talks, and goes back to not ready. */
  function busyCycle(): void {
    const agentId = pick(busyAgents);
    if (ringing.has(agentId)) return;
    send('agent_ready', { type: 'agent_availability', tenantId: TENANT, agentId, presence: 'ready' });
    const callId = ringing.get(agentId);
    if (!callId) {
      // Skills: no waiting call this agent qualifies for; they go back to not ready like the others.
      send('agent_not_ready', {
        type: 'agent_availability',
        tenantId: TENANT,
        agentId,
        presence: 'not_ready',
      });
      return;
    }
    send('agent_answered', { type: 'agent_answered', callId, agentId });
    send('agent_not_ready', { type: 'agent_availability', tenantId: TENANT, agentId, presence: 'not_ready' });
    send('call_ended', { type: 'call_ended', callId });
    enter(busyQueues);
  }

  /** A call enters the idle half and one of the agents it rings answers. */
  function idleCall(): void {
    // A call that waited for a skill (or a relax step) and rings an idle-half agent now is answered first.
    const late = [...lateOffers].find(([agentId, callId]) => ringing.get(agentId) === callId);
    lateOffers.clear();
    if (late) {
      send('agent_answered', { type: 'agent_answered', callId: late[1], agentId: late[0] });
      talkingIdle.push([late[1], late[0]]);
    }
    const offer = enter(idleQueues).find((d) => d.type === 'offer');
    if (offer?.type !== 'offer') return;
    const agentId = offer.agentIds[0]!;
    lateOffers.delete(agentId);
    send('agent_answered', { type: 'agent_answered', callId: offer.callId, agentId });
    talkingIdle.push([offer.callId, agentId]);
    // About a quarter of the idle half stays on the phone; the oldest conversation ends.
    const oldest = talkingIdle.length > IDLE_TALKING ? talkingIdle.shift() : undefined;
    if (oldest) send('call_ended', { type: 'call_ended', callId: oldest[0] });
  }

  /** A busy-half agent becomes ready, rejects the call it is offered, and goes back to not ready. */
  function busyReject(): void {
    const agentId = pick(busyAgents);
    if (ringing.has(agentId)) return;
    send('agent_ready', { type: 'agent_availability', tenantId: TENANT, agentId, presence: 'ready' });
    const callId = ringing.get(agentId);
    if (callId) send('agent_rejected', { type: 'agent_rejected', callId, agentId });
    if (!ringing.has(agentId)) {
      send('agent_not_ready', {
        type: 'agent_availability',
        tenantId: TENANT,
        agentId,
        presence: 'not_ready',
      });
    }
  }

  /** One step of the mix; keeps about WAITING calls in the busy half. */
  function step(): void {
    const r = rand();
    if (r < 0.3) busyCycle();
    else if (r < 0.6) idleCall();
    else if (r < 0.7) busyReject();
    else if (r < 0.8) {
      const talk = talkingIdle.shift();
      if (talk) send('call_ended', { type: 'call_ended', callId: talk[0] });
    } else if (r < 0.9) {
      const callId = waiting.values().next().value;
      if (callId) send('call_abandoned', { type: 'call_abandoned', callId });
      enter(busyQueues);
    } else {
      clock.advance(500);
      measure('tick', () => acd.tick());
    }
  }

  function pct(sorted: number[], p: number): string {
    const v = sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
    return (v / 1e6).toFixed(3);
  }

  const t0 = Date.now();
  configure();
  for (let i = 0; i < WAITING; i++) enter(busyQueues);
  const setupMs = Date.now() - t0;
  const waitingAtStart = busyQueues.reduce((n, q) => n + (acd.queueStats(q)?.waiting ?? 0), 0);
  for (let i = 0; i < 5_000; i++) step();
  timed = true;
  for (let i = 0; i < OPS; i++) step();

  const all = [...samples.values()].flat();
  const waitingAtEnd = busyQueues.reduce((n, q) => n + (acd.queueStats(q)?.waiting ?? 0), 0);
  const label = withSkills ? 'skills on' : 'baseline (no skills)';
  console.log(`\n== ${label}`);
  console.log(
    `machine: ${cpus()[0]?.model ?? '?'} x${cpus().length}, ${Math.round(totalmem() / 2 ** 30)} GiB, node ${process.version}, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `setup: ${AGENTS} agents, ${QUEUES} queues, ${waitingAtStart} waiting calls in ${setupMs} ms; ${waitingAtEnd} waiting at the end`,
  );
  console.log(`timed: ${all.length} inputs, ${decisions} decisions`);
  console.log('input (wall time)   count    p50 ms   p99 ms  p99.9 ms   max ms');
  const row = (label: string, xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    console.log(
      `${label.padEnd(18)} ${String(s.length).padStart(6)} ${pct(s, 50).padStart(9)} ${pct(s, 99).padStart(8)} ${pct(s, 99.9).padStart(9)} ${pct(s, 100).padStart(8)}`,
    );
  };
  for (const [label, xs] of [...samples].sort()) row(label, xs);
  row('ALL inputs', all);
  row('per decision', perDecision);
  console.log('input (CPU time)');
  for (const [label, xs] of [...cpuSamples].sort()) row(label, xs);
  row('ALL inputs', [...cpuSamples.values()].flat());
  const p99 = (xs: number[]) => {
    const s = [...xs].sort((a, b) => a - b);
    return Number(pct(s, 99));
  };
  return { label, p99Input: p99(all), p99Decision: p99(perDecision) };
}

const runs: Summary[] = [];
if (!args.includes('--skills')) runs.push(runBench(false));
if (!args.includes('--baseline')) runs.push(runBench(true));
if (runs.length === 2) {
  const [base, skills] = runs as [Summary, Summary];
  const ratio = (a: number, b: number) => (b > 0 ? (a / b).toFixed(2) : 'n/a');
  console.log(
    `\nskills ÷ baseline (same run): p99 per input ${skills.p99Input} / ${base.p99Input} ms = ${ratio(skills.p99Input, base.p99Input)}, ` +
      `p99 per decision ${skills.p99Decision} / ${base.p99Decision} ms = ${ratio(skills.p99Decision, base.p99Decision)}; load average ${loadavg()[0]!.toFixed(1)}`,
  );
}
