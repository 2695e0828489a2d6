import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { members, ofType, offers, Rig } from './testkit.js';
import type { AgentSelector, QueueMember } from './types.js';

interface StrategyCase {
  name: string;
  selector: AgentSelector;
  members: QueueMember[];
  /** Brings agents to ready (order matters: it is the idle order) and builds any history. */
  setup: (rig: Rig) => void;
  /** Who is offered call "c1" first. */
  expected: number[];
  random?: () => number;
}

/** Agent `id` takes one call `callId` from queue 1 and talks for `sec` seconds. */
function history(rig: Rig, callId: string, id: number, sec: number): void {
  const offer = offers(rig.call(callId)).find(([, ids]) => ids.includes(id));
  assert.ok(offer, `${callId} should be offered to ${id}`);
  rig.talk(callId, id, sec);
}

const cases: StrategyCase[] = [
  {
    name: 'longest-idle offers the agent ready for longest',
    selector: 'longest-idle',
    members: members([1, 2, 3]),
    setup: (r) => r.presence([2, 3, 1]),
    expected: [2],
  },
  {
    name: 'longest-idle honours member priority before idle time',
    selector: 'longest-idle',
    members: [...members([1, 2], 2), { agentId: 3, priority: 1 }],
    setup: (r) => r.presence([1, 2, 3]),
    expected: [3],
  },
  {
    name: 'top-down offers the first member in list order',
    selector: 'top-down',
    members: members([3, 1, 2]),
    setup: (r) => r.presence([1, 2, 3]),
    expected: [3],
  },
  {
    name: 'top-down: priority wins over list order',
    selector: 'top-down',
    members: [...members([3, 1], 2), { agentId: 2, priority: 1 }],
    setup: (r) => r.presence([1, 2, 3]),
    expected: [2],
  },
  {
    name: 'fewest-calls offers the agent who answered least',
    selector: 'fewest-calls',
    members: members([1, 2]),
    setup: (r) => {
      r.presence([1]);
      history(r, 'h1', 1, 10);
      r.presence([2]);
    },
    expected: [2],
  },
  {
    name: 'least-talk-time offers the agent with the least talk, not the fewest calls',
    selector: 'least-talk-time',
    members: members([1, 2]),
    setup: (r) => {
      r.presence([2]);
      history(r, 'h1', 2, 10);
      history(r, 'h2', 2, 10);
      r.presence([1]);
      history(r, 'h3', 1, 100);
    },
    expected: [2],
  },
  {
    name: 'least-talk-time honours priority',
    selector: 'least-talk-time',
    members: [{ agentId: 1, priority: 1 }, ...members([2], 2)],
    setup: (r) => {
      r.presence([1]);
      history(r, 'h1', 1, 100);
      r.presence([2]);
    },
    expected: [1],
  },
  {
    name: 'random uses the injected source (0.99 → last in the tier)',
    selector: 'random',
    members: members([1, 2, 3]),
    setup: (r) => r.presence([1, 2, 3]),
    random: () => 0.99,
    expected: [3],
  },
  {
    name: 'random uses the injected source (0 → first in the tier)',
    selector: 'random',
    members: members([1, 2, 3]),
    setup: (r) => r.presence([1, 2, 3]),
    random: () => 0,
    expected: [1],
  },
  {
    name: 'random stays within the best priority tier',
    selector: 'random',
    members: [...members([1, 2], 2), { agentId: 3, priority: 1 }],
    setup: (r) => r.presence([1, 2, 3]),
    random: () => 0.5,
    expected: [3],
  },
  {
    name: 'ring-all rings every ready member at once, whatever the priority',
    selector: 'ring-all',
    members: [...members([1, 2], 2), { agentId: 3, priority: 1 }, { agentId: 4, priority: 1 }],
    setup: (r) => {
      r.presence([1, 2, 3]);
      r.presence([4], 'not_ready');
    },
    expected: [1, 2, 3],
  },
  {
    name: 'ring-progressively starts with the best agent only',
    selector: 'ring-progressively',
    members: [...members([1, 2], 2), { agentId: 3, priority: 1 }],
    setup: (r) => r.presence([1, 2, 3]),
    expected: [3],
  },
];

describe('agent selection strategies', () => {
  for (const c of cases) {
    it(c.name, () => {
      const rig = new Rig(c.random);
      rig.queue({ selector: c.selector, members: c.members });
      c.setup(rig);
      const got = offers(rig.call('c1'));
      assert.equal(got.length, 1, 'one offer decision');
      assert.deepEqual([...got[0]![1]].sort(), [...c.expected].sort());
    });
  }

  it('round-robin remembers where it left off, across calls', () => {
    const rig = new Rig();
    rig.queue({ selector: 'round-robin', members: members([1, 2, 3]) });
    rig.presence([3, 2, 1]); // idle order must not matter
    const order: number[] = [];
    for (let i = 0; i < 5; i++) {
      const [offer] = offers(rig.call(`c${i}`));
      assert.ok(offer);
      order.push(offer[1][0]!);
      rig.talk(`c${i}`, offer[1][0]!, 5);
    }
    assert.deepEqual(order, [1, 2, 3, 1, 2]);
  });

  it('round-robin skips busy members and keeps its place', () => {
    const rig = new Rig();
    rig.queue({ selector: 'round-robin', members: members([1, 2, 3]) });
    rig.presence([1, 2, 3]);
    assert.deepEqual(offers(rig.call('a')), [['a', [1]]]);
    rig.send({ type: 'agent_answered', callId: 'a', agentId: 1 });
    assert.deepEqual(offers(rig.call('b')), [['b', [2]]]);
    rig.send({ type: 'agent_answered', callId: 'b', agentId: 2 });
    rig.send({ type: 'call_ended', callId: 'a' });
    assert.deepEqual(offers(rig.call('c')), [['c', [3]]]);
  });

  it('ring-all: the first to answer wins and the others stop ringing', () => {
    const rig = new Rig();
    rig.queue({ selector: 'ring-all', members: members([1, 2, 3]) });
    rig.presence([1, 2, 3]);
    rig.call('c1');
    const out = rig.send({ type: 'agent_answered', callId: 'c1', agentId: 2 });
    const [stop] = ofType(out, 'stop_offer');
    assert.deepEqual(stop?.agentIds.sort(), [1, 3]);
    assert.equal(stop?.reason, 'answered_elsewhere');
    assert.deepEqual(
      ofType(out, 'call_finished').map((d) => [d.outcome, d.agentId]),
      [['answered', 2]],
    );
    // A second answer for the same call is ignored: never answered by two.
    assert.deepEqual(rig.send({ type: 'agent_answered', callId: 'c1', agentId: 1 }), []);
  });

  it('ring-all: on ring timeout every ringing agent has missed, then the call rings them again', () => {
    const rig = new Rig();
    rig.queue({ selector: 'ring-all', ringTimeoutSec: 10, maxNoAnswer: 2, members: members([1, 2]) });
    rig.presence([1, 2]);
    rig.call('c1');
    const first = rig.advance(10);
    assert.deepEqual(
      ofType(first, 'stop_offer').map((d) => d.agentIds),
      [[1], [2]],
    );
    assert.deepEqual(offers(first), [], 'a pause before ringing them again');
    assert.deepEqual(offers(rig.advance(5)), [['c1', [1, 2]]]);
    const second = rig.advance(10);
    assert.deepEqual(
      ofType(second, 'agent_not_ready').map((d) => d.agentId),
      [1, 2],
    );
    assert.deepEqual(offers(second), []);
  });

  it('ring-all: an agent who becomes ready joins the ringing call', () => {
    const rig = new Rig();
    rig.queue({ selector: 'ring-all', members: members([1, 2]) });
    rig.presence([1]);
    assert.deepEqual(offers(rig.call('c1')), [['c1', [1]]]);
    assert.deepEqual(offers(rig.presence([2])), [['c1', [2]]]);
  });

  it('ring-progressively adds one agent per step and keeps the others ringing', () => {
    const rig = new Rig();
    rig.queue({
      selector: 'ring-progressively',
      progressiveStepSec: 5,
      ringTimeoutSec: 60,
      members: members([1, 2, 3]),
    });
    rig.presence([1, 2, 3]);
    assert.deepEqual(offers(rig.call('c1')), [['c1', [1]]]);
    assert.deepEqual(offers(rig.advance(4)), []);
    assert.deepEqual(offers(rig.advance(1)), [['c1', [2]]]);
    const out = rig.advance(5);
    assert.deepEqual(offers(out), [['c1', [3]]]);
    assert.deepEqual(ofType(out, 'stop_offer'), []);
    assert.deepEqual(rig.acd.waitingCalls(1)[0]?.ringingAgentIds, [1, 2, 3]);
  });

  it('the default selector is longest-idle', () => {
    const rig = new Rig();
    rig.queue({ selector: null, members: members([1, 2]) });
    rig.presence([2, 1]);
    assert.deepEqual(offers(rig.call('c1')), [['c1', [2]]]);
  });
});
