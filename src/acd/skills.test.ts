import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { members, offers, Rig, TENANT } from './testkit.js';
import type { AgentSelector, AgentSkill, SkillRequirement } from './types.js';

const BILLING = 11;
const ENGLISH = 12;

function skills(rig: Rig, agentId: number, list: AgentSkill[], tenantId = TENANT) {
  return rig.send({ type: 'agent_skills', tenantId, agentId, skills: list });
}

const billing = (proficiency: number): AgentSkill => ({ skillId: BILLING, proficiency });

/** Offers of `callId` among the decisions, as agent lists. */
const offeredTo = (out: ReturnType<Rig['send']>, callId = 'c1') =>
  offers(out)
    .filter(([id]) => id === callId)
    .map(([, ids]) => ids);

describe('ACD skills', () => {
  it('offers a call requiring a skill only to an agent who has it at the minimum', () => {
    const rig = new Rig();
    rig.queue({ members: members([1, 2, 3]), skills: [{ skillId: BILLING, minProficiency: 3 }] });
    skills(rig, 2, [billing(2)]);
    skills(rig, 3, [billing(3)]);
    rig.presence([1, 2, 3]);
    assert.deepEqual(offeredTo(rig.call('c1')), [[3]]);
  });

  it('a call nobody qualifies for waits, then relaxes in steps and is offered to the agents each step admits', () => {
    const rig = new Rig();
    const req: SkillRequirement = {
      skillId: BILLING,
      minProficiency: 5,
      relax: [
        { afterSec: 10, minProficiency: 3 },
        { afterSec: 30, minProficiency: 0 },
      ],
    };
    rig.queue({ members: members([1, 2]), skills: [req], ringTimeoutSec: 5, retrySec: 60 });
    skills(rig, 2, [billing(3)]);
    rig.presence([1, 2]);
    assert.deepEqual(offeredTo(rig.call('c1')), []);
    assert.deepEqual(offeredTo(rig.advance(9)), []);
    assert.deepEqual(offeredTo(rig.advance(1)), [[2]], 'after 10 s proficiency 3 is enough');
    // Agent 2 declines; agent 1 (no billing at all) is not eligible before 30 s.
    rig.send({ type: 'agent_rejected', callId: 'c1', agentId: 2 });
    assert.deepEqual(offeredTo(rig.advance(19)), []);
    assert.deepEqual(offeredTo(rig.advance(1)), [[1]], 'after 30 s the requirement is dropped');
  });

  it('prefers the higher proficiency, but member priority comes first', () => {
    const rig = new Rig();
    rig.queue({
      members: [{ agentId: 1, priority: 2 }, ...members([2, 3], 1)],
      skills: [{ skillId: BILLING, minProficiency: 1 }],
    });
    skills(rig, 1, [billing(5)]);
    skills(rig, 2, [billing(2)]);
    skills(rig, 3, [billing(4)]);
    rig.presence([1, 2, 3]);
    assert.deepEqual(offeredTo(rig.call('c1')), [[3]]);
  });

  it('adds up the proficiencies of every required skill, relaxed ones included', () => {
    const rig = new Rig();
    rig.queue({
      members: members([1, 2]),
      skills: [
        { skillId: BILLING, minProficiency: 1 },
        { skillId: ENGLISH, minProficiency: 4, relax: [{ afterSec: 5, minProficiency: 0 }] },
      ],
    });
    skills(rig, 1, [billing(5)]);
    skills(rig, 2, [billing(3), { skillId: ENGLISH, proficiency: 3 }]);
    rig.presence([1, 2]);
    assert.deepEqual(offeredTo(rig.call('c1')), []);
    // Both qualify once English is dropped; 3 + 3 beats 5 + 0, though agent 1 is idle longer and better at billing.
    assert.deepEqual(offeredTo(rig.advance(5)), [[2]]);
  });

  const strategyCases: { selector: AgentSelector; expect: number[][] }[] = [
    { selector: 'longest-idle', expect: [[3]] },
    { selector: 'top-down', expect: [[4]] },
    { selector: 'round-robin', expect: [[4]] },
    { selector: 'fewest-calls', expect: [[3]] },
    { selector: 'least-talk-time', expect: [[3]] },
    { selector: 'random', expect: [[3]] },
    { selector: 'ring-progressively', expect: [[3]] },
    { selector: 'ring-all', expect: [[1, 3, 4]] },
  ];
  for (const { selector, expect } of strategyCases) {
    it(`${selector}: the strategy decides among the best-scored eligible agents`, () => {
      // Agent 2 lacks the skill; 3 and 4 hold it at 4 (3 idle longer, 4 first in the list); 1 holds it at 2.
      const rig = new Rig(() => 0);
      rig.queue({
        selector,
        members: members([4, 1, 2, 3]),
        skills: [{ skillId: BILLING, minProficiency: 2 }],
      });
      skills(rig, 1, [billing(2)]);
      skills(rig, 3, [billing(4)]);
      skills(rig, 4, [billing(4)]);
      rig.presence([2, 3, 1, 4]);
      assert.deepEqual(
        offeredTo(rig.call('c1')).map((ids) => [...ids].sort()),
        expect,
      );
    });
  }

  it("a branch's requirements add to the queue's and replace the queue's for the same skill", () => {
    const rig = new Rig();
    rig.queue({ members: members([1, 2, 3]), skills: [{ skillId: BILLING, minProficiency: 4 }] });
    skills(rig, 1, [billing(4)]);
    skills(rig, 2, [billing(2), { skillId: ENGLISH, proficiency: 1 }]);
    skills(rig, 3, [billing(1)]);
    rig.presence([1, 2, 3]);
    const out = rig.send({
      type: 'call_entered',
      callId: 'c1',
      tenantId: TENANT,
      queueId: 1,
      callerNumber: '0912345678',
      skills: [
        { skillId: BILLING, minProficiency: 2 },
        { skillId: ENGLISH, minProficiency: 1 },
      ],
    });
    assert.deepEqual(offeredTo(out), [[2]]);
  });

  it('an agent given the skill a waiting call needs is offered it at once', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]), skills: [{ skillId: BILLING, minProficiency: 3 }] });
    rig.presence([1]);
    assert.deepEqual(offeredTo(rig.call('c1')), []);
    assert.deepEqual(offeredTo(skills(rig, 1, [billing(2)])), []);
    assert.deepEqual(offeredTo(skills(rig, 1, [billing(3)])), [[1]]);
    assert.deepEqual(rig.acd.agentState(1)?.skills, [{ skillId: BILLING, proficiency: 3 }]);
  });

  it("another tenant's agent_skills is ignored and proficiencies outside 1-5 are not skills", () => {
    const rig = new Rig();
    rig.queue({ members: members([1]), skills: [{ skillId: BILLING, minProficiency: 1 }] });
    rig.presence([1]);
    rig.call('c1');
    assert.deepEqual(skills(rig, 1, [billing(5)], TENANT + 1), []);
    assert.deepEqual(skills(rig, 1, [billing(0), { skillId: ENGLISH, proficiency: 9 }]), []);
    assert.deepEqual(rig.acd.agentState(1)?.skills, [{ skillId: ENGLISH, proficiency: 5 }]);
  });

  it('a waiting call keeps the requirements it entered with when the queue changes', () => {
    const rig = new Rig();
    const cfg = { members: members([1]), skills: [{ skillId: BILLING, minProficiency: 3 }] };
    rig.queue(cfg);
    rig.presence([1]);
    rig.call('c1');
    assert.deepEqual(offeredTo(rig.queue({ ...cfg, skills: [] })), []);
    assert.deepEqual(offeredTo(rig.call('c2'), 'c2'), [[1]], 'a new call takes the new list');
  });

  it('when two calls relax at the same moment the one ahead in the queue is offered first', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    rig.presence([1]);
    const enter = (callId: string, relax: SkillRequirement['relax']) =>
      rig.send({
        type: 'call_entered',
        callId,
        tenantId: TENANT,
        queueId: 1,
        callerNumber: '0912345678',
        skills: [{ skillId: BILLING, minProficiency: 5, ...(relax ? { relax } : {}) }],
      });
    // c1's last step is armed after c2's timer (at its first step), though both fall due at 25 s.
    enter('c1', [
      { afterSec: 20, minProficiency: 4 },
      { afterSec: 25, minProficiency: 0 },
    ]);
    rig.advance(5);
    enter('c2', [{ afterSec: 20, minProficiency: 0 }]);
    assert.deepEqual(offers(rig.advance(15)), []);
    assert.deepEqual(offers(rig.advance(5)), [['c1', [1]]]);
  });
});
