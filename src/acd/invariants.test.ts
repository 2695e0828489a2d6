// Property-based tests: random event sequences against a shadow model that replays the decisions
// and checks the invariants of issue 6 after every step.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { AGENT_SELECTORS } from '../domain/queues.js';
import { firstChoice, mergeReqs, Shadow } from './shadow.js';
import { queueConfig, Rig, TENANT } from './testkit.js';
import type {
  AcdDecision,
  AcdInput,
  AgentSelector,
  AgentSkill,
  Presence,
  QueueConfig,
  SkillRequirement,
} from './types.js';

const VIP_NUMBER = '0900000000';
const SKILLS = [101, 102, 103];
const selectorArb = fc.constantFrom<AgentSelector | null>(...AGENT_SELECTORS, null);
/** A requirement that relaxes in zero to two steps, each lower than the one before (0 drops it). */
const requirementArb: fc.Arbitrary<SkillRequirement> = fc
  .record({
    skillId: fc.constantFrom(...SKILLS),
    minProficiency: fc.integer({ min: 1, max: 5 }),
    steps: fc.array(
      fc.record({ afterSec: fc.integer({ min: 1, max: 60 }), drop: fc.integer({ min: 1, max: 3 }) }),
      {
        maxLength: 2,
      },
    ),
  })
  .map(({ skillId, minProficiency, steps }) => {
    let level = minProficiency;
    let after = 0;
    const relax = steps.map((st) => {
      after += st.afterSec;
      level = Math.max(0, level - st.drop);
      return { afterSec: after, minProficiency: level };
    });
    return { skillId, minProficiency, ...(relax.length > 0 ? { relax } : {}) };
  });
const requirementsArb = fc.uniqueArray(requirementArb, { selector: (r) => r.skillId, maxLength: 2 });
const agentSkillsArb: fc.Arbitrary<AgentSkill[]> = fc.uniqueArray(
  fc.record({ skillId: fc.constantFrom(...SKILLS), proficiency: fc.integer({ min: 1, max: 5 }) }),
  { selector: (x) => x.skillId, maxLength: 3 },
);
const queueArb = (id: number, agents: number) =>
  fc
    .record({
      selector: selectorArb,
      managementType: fc.constantFrom<1 | 2>(1, 2),
      maxWaitSec: fc.option(fc.integer({ min: 20, max: 200 }), { nil: null }),
      wrapupSec: fc.integer({ min: 0, max: 20 }),
      ringTimeoutSec: fc.integer({ min: 5, max: 30 }),
      maxNoAnswer: fc.integer({ min: 0, max: 3 }),
      announcePosition: fc.boolean(),
      progressiveStepSec: fc.integer({ min: 2, max: 10 }),
      retrySec: fc.integer({ min: 0, max: 6 }),
      members: fc.subarray(
        Array.from({ length: agents }, (_, i) => i + 1),
        { minLength: 1 },
      ),
      priorities: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: agents, maxLength: agents }),
      overflow: fc.boolean(),
      skills: fc.option(requirementsArb, { nil: undefined }),
    })
    .map((r) =>
      queueConfig({
        ...r,
        id,
        announceIntervalSec: 15,
        overflowTarget: r.overflow ? 'overflow' : null,
        members: r.members.map((agentId) => ({ agentId, priority: r.priorities[agentId - 1]! })),
        ...(r.skills ? { skills: r.skills } : {}),
      }),
    );

const commandArb = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constant('enter' as const),
      q: fc.integer({ min: 1, max: 2 }),
      vip: fc.boolean(),
      prio: fc.integer({ min: 0, max: 1 }),
      branch: fc.option(requirementsArb, { nil: undefined }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ k: fc.constantFrom('abandon' as const, 'end' as const), pick: fc.nat() }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      k: fc.constantFrom('answer' as const, 'answer' as const, 'reject' as const, 'no_answer' as const),
      pick: fc.nat(),
      stray: fc.boolean(),
    }),
  },
  fc.record({
    k: fc.constant('presence' as const),
    agent: fc.nat(),
    p: fc.constantFrom<Presence>('ready', 'ready', 'not_ready', 'offline', 'in_call', 'ringing', 'wrapup'),
  }),
  fc.record({ k: fc.constant('wrapup_end' as const), agent: fc.nat() }),
  fc.record({
    k: fc.constant('config' as const),
    q: fc.integer({ min: 1, max: 2 }),
    selector: selectorArb,
    mask: fc.array(fc.boolean(), { minLength: 5, maxLength: 5 }),
    priorities: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: 5, maxLength: 5 }),
    skills: fc.option(requirementsArb, { nil: undefined }),
  }),
  fc.record({ k: fc.constant('skills' as const), agent: fc.nat(), skills: agentSkillsArb }),
  fc.record({ k: fc.constant('advance' as const), sec: fc.integer({ min: 1, max: 40 }) }),
);
type Command = typeof commandArb extends fc.Arbitrary<infer T> ? T : never;

function pickOf<T>(items: T[], n: number): T | undefined {
  return items.length > 0 ? items[n % items.length] : undefined;
}

/** Turns a command into an input the shadow agrees on; `valid` says whether the ACD should react. */
function toInput(
  s: Shadow,
  cmd: Command,
  agents: number,
  nextId: () => string,
): { input: AcdInput | null; valid: boolean } {
  switch (cmd.k) {
    case 'enter': {
      const callId = nextId();
      const q = s.queues.get(cmd.q)!;
      const vip = cmd.vip && q.managementType === 2;
      return {
        input: {
          type: 'call_entered',
          callId,
          tenantId: TENANT,
          queueId: cmd.q,
          callerNumber: cmd.vip ? VIP_NUMBER : '0912345678',
          priority: cmd.prio,
          ...(cmd.branch ? { skills: cmd.branch } : {}),
        },
        valid:
          (s.entered.add(callId),
          s.active.set(callId, {
            queueId: cmd.q,
            key: `${vip}/${cmd.prio}`,
            seq: s.seq++,
            ringing: new Set(),
            offered: false,
            enteredAt: s.now(),
            reqs: mergeReqs(q.skills, cmd.branch),
          }),
          true),
      };
    }
    case 'abandon': {
      const callId = pickOf([...s.active.keys()], cmd.pick);
      return { input: callId ? { type: 'call_abandoned', callId } : null, valid: true };
    }
    case 'end': {
      const callId = pickOf([...s.talking.keys()], cmd.pick);
      if (!callId) return { input: null, valid: false };
      s.eng.set(s.talking.get(callId)!, { state: 'ending', callId });
      s.talking.delete(callId);
      return { input: { type: 'call_ended', callId }, valid: true };
    }
    case 'answer':
    case 'reject':
    case 'no_answer': {
      const pairs = [...s.active].flatMap(([callId, c]) => [...c.ringing].map((a) => [callId, a] as const));
      const calls = [...s.active.keys()];
      // A stray reaction names any call and agent: the ACD must ignore it unless that agent rings.
      const pair = cmd.stray
        ? ([pickOf(calls, cmd.pick), (cmd.pick % agents) + 1] as const)
        : pickOf(pairs, cmd.pick);
      if (!pair || !pair[0]) return { input: null, valid: false };
      const [callId, agentId] = pair as readonly [string, number];
      const valid = s.active.get(callId)?.ringing.has(agentId) ?? false;
      if (valid && cmd.k !== 'answer') {
        s.active.get(callId)!.ringing.delete(agentId);
        s.eng.set(agentId, { state: 'idle' });
        s.miss(callId, agentId);
      }
      const type =
        cmd.k === 'answer' ? 'agent_answered' : cmd.k === 'reject' ? 'agent_rejected' : 'agent_no_answer';
      return { input: { type, callId, agentId }, valid };
    }
    case 'presence': {
      const agentId = (cmd.agent % agents) + 1;
      const system = cmd.p === 'in_call' || cmd.p === 'ringing' || cmd.p === 'wrapup';
      const echo = system && s.engOf(agentId).state !== 'idle';
      if (!echo) s.presence.set(agentId, cmd.p);
      return {
        input: { type: 'agent_availability', tenantId: TENANT, agentId, presence: cmd.p },
        valid: true,
      };
    }
    case 'wrapup_end': {
      const agentId = (cmd.agent % agents) + 1;
      return { input: { type: 'wrapup_ended', agentId }, valid: s.engOf(agentId).state === 'wrapup' };
    }
    case 'config': {
      // Strategy and membership change while calls wait and ring.
      const ids = Array.from({ length: agents }, (_, i) => i + 1).filter((id) => cmd.mask[id - 1]);
      const { skills: _old, ...rest } = s.queues.get(cmd.q)!;
      const queue: QueueConfig = {
        ...rest,
        selector: cmd.selector,
        members: ids.map((agentId) => ({ agentId, priority: cmd.priorities[agentId - 1]! })),
        ...(cmd.skills ? { skills: cmd.skills } : {}),
      };
      s.queues.set(cmd.q, queue);
      return { input: { type: 'queue_config', queue }, valid: true };
    }
    case 'skills': {
      const agentId = (cmd.agent % agents) + 1;
      s.skills.set(agentId, new Map(cmd.skills.map((x) => [x.skillId, x.proficiency])));
      return { input: { type: 'agent_skills', tenantId: TENANT, agentId, skills: cmd.skills }, valid: true };
    }
    case 'advance':
      return { input: null, valid: true };
  }
}

/**
 * A call that entered and was offered at once went to the best choice the shadow saw before the input: the
 * best tier with an eligible agent, the highest skill score there (ring-all: every eligible agent).
 */
function checkFirstOffer(s: Shadow, callId: string, choice: Set<number> | null, out: AcdDecision[]): void {
  const first = out.find((d) => d.type === 'offer' && d.callId === callId);
  if (!choice || first?.type !== 'offer') {
    if (choice && choice.size > 0 && s.active.has(callId))
      assert.fail(`${callId} entered with ${[...choice].join(',')} free and eligible but was not offered`);
    return;
  }
  const q = s.queues.get(s.active.get(callId)?.queueId ?? 0);
  if (q?.selector === 'ring-all') {
    assert.deepEqual(new Set(first.agentIds), choice, `${callId}: ring-all rings every eligible agent`);
    return;
  }
  assert.equal(first.agentIds.length, 1);
  assert.ok(
    choice.has(first.agentIds[0]!),
    `${callId} offered to ${first.agentIds[0]}, not one of ${[...choice]}`,
  );
}

function run(
  agents: number,
  q1: QueueConfig,
  q2: QueueConfig,
  commands: Command[],
  seed: number,
  initialSkills: AgentSkill[][] = [],
): void {
  let rnd = seed;
  const rig = new Rig(() => (rnd = (rnd * 16807) % 2147483647) / 2147483647);
  const queues = new Map([
    [1, q1],
    [2, q2],
  ]);
  const s = new Shadow(
    queues,
    Array.from({ length: agents }, (_, i) => i + 1),
  );
  s.now = () => rig.clock.now();
  const feed = (out: AcdDecision[]) => {
    for (const d of out) s.apply(d);
    s.checkAtRest();
  };
  feed(rig.send({ type: 'caller_lists', tenantId: TENANT, vip: [VIP_NUMBER], blacklist: [] }));
  feed(rig.send({ type: 'queue_config', queue: q1 }));
  feed(rig.send({ type: 'queue_config', queue: q2 }));
  for (const [agentId, skills] of initialSkills.entries()) {
    s.skills.set(agentId + 1, new Map(skills.map((x) => [x.skillId, x.proficiency])));
    feed(rig.send({ type: 'agent_skills', tenantId: TENANT, agentId: agentId + 1, skills }));
  }
  let n = 0;
  const nextId = () => `c${++n}`;
  for (const cmd of commands) {
    if (cmd.k === 'advance') {
      feed(rig.advance(cmd.sec));
      continue;
    }
    const { input, valid } = toInput(s, cmd, agents, nextId);
    if (!input) continue;
    // What the call that enters may be offered, judged before the ACD sees it.
    const entering = input.type === 'call_entered' ? s.active.get(input.callId) : undefined;
    const q = entering ? s.queues.get(entering.queueId) : undefined;
    const choice = entering && q ? firstChoice(s, entering, q) : null;
    const out = rig.send(input);
    if (!valid) assert.deepEqual(out, [], `ignored input ${JSON.stringify(input)}`);
    feed(out);
    if (entering && input.type === 'call_entered') checkFirstOffer(s, input.callId, choice, out);
  }
  // Drain: every call still in a queue is abandoned, every conversation ends.
  for (const callId of [...s.active.keys()]) feed(rig.send({ type: 'call_abandoned', callId }));
  for (const [callId, agentId] of [...s.talking]) {
    s.eng.set(agentId, { state: 'ending', callId });
    s.talking.delete(callId);
    feed(rig.send({ type: 'call_ended', callId }));
  }
  for (const callId of s.entered)
    assert.equal(s.finished.get(callId), 1, `${callId} ended ${s.finished.get(callId) ?? 0} times`);
  assert.equal(s.finished.size, s.entered.size);
}

describe('ACD invariants over random event sequences', () => {
  it('hold for 1,000 sequences', () => {
    const scenario = fc
      .integer({ min: 2, max: 5 })
      .chain((agents) =>
        fc.tuple(
          fc.constant(agents),
          queueArb(1, agents),
          queueArb(2, agents),
          fc.array(commandArb, { minLength: 1, maxLength: 80 }),
          fc.integer({ min: 1, max: 1e6 }),
          fc.array(agentSkillsArb, { minLength: agents, maxLength: agents }),
        ),
      );
    fc.assert(
      fc.property(scenario, ([agents, q1, q2, commands, seed, skills]) =>
        run(agents, q1, q2, commands, seed, skills),
      ),
      { numRuns: 1000 },
    );
  });

  it('hold with every call requiring skills that relax (500 sequences)', () => {
    // Both queues require skills and agents hold few of them, so calls wait for the relaxation steps.
    const scenario = fc.integer({ min: 2, max: 5 }).chain((agents) =>
      fc.tuple(
        fc.constant(agents),
        queueArb(1, agents),
        queueArb(2, agents),
        requirementsArb.filter((r) => r.length > 0),
        fc.array(commandArb, { minLength: 1, maxLength: 80 }),
        fc.integer({ min: 1, max: 1e6 }),
        fc.array(agentSkillsArb, { minLength: agents, maxLength: agents }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([agents, q1, q2, reqs, commands, seed, skills]) => {
        // Everyone starts ready, so a call that no free agent qualifies for waits next to them until it relaxes.
        const ready: Command[] = Array.from({ length: agents }, (_, i) => ({
          k: 'presence',
          agent: i,
          p: 'ready',
        }));
        run(agents, { ...q1, skills: reqs }, { ...q2, skills: reqs }, [...ready, ...commands], seed, skills);
      }),
      { numRuns: 500 },
    );
  });

  it('keep arrival order under a backlog (500 sequences)', () => {
    // Every agent logged in but not ready while calls pile up, so that freeing agents has a choice.
    const scenario = fc.integer({ min: 2, max: 4 }).chain((agents) =>
      fc.tuple(
        fc.constant(agents),
        queueArb(1, agents),
        queueArb(2, agents),
        fc.array(
          fc.record({
            k: fc.constant('enter' as const),
            q: fc.integer({ min: 1, max: 2 }),
            vip: fc.boolean(),
            prio: fc.integer({ min: 0, max: 1 }),
            branch: fc.constant(undefined),
          }),
          { minLength: 2, maxLength: 12 },
        ),
        fc.array(commandArb, { minLength: 1, maxLength: 40 }),
        fc.integer({ min: 1, max: 1e6 }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([agents, q1, q2, backlog, commands, seed]) => {
        const busy: Command[] = Array.from({ length: agents }, (_, i) => ({
          k: 'presence',
          agent: i,
          p: 'not_ready',
        }));
        run(agents, q1, q2, [...busy, ...backlog, ...commands], seed);
      }),
      { numRuns: 500 },
    );
  });
});
