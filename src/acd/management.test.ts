import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { members, ofType, offers, Rig, TENANT } from './testkit.js';
import type { AcdDecision, ManagementType } from './types.js';

const VIP = '0901 111 111';
const BAD = '0902-222-222';
const PLAIN = '0903333333';

interface TypeCase {
  name: string;
  managementType: ManagementType;
  caller: string;
  divertTarget?: string | null;
  /** What the call gets when an agent is ready. */
  expected: (out: AcdDecision[]) => void;
}

function finished(out: AcdDecision[]): [string, string | undefined][] {
  return ofType(out, 'call_finished').map((d) => [d.outcome, d.reason]);
}

const cases: TypeCase[] = [
  {
    name: '1 normal: even a blacklisted caller is queued',
    managementType: 1,
    caller: '0902222222',
    expected: (out) => assert.deepEqual(offers(out), [['c', [1]]]),
  },
  {
    name: '3 blacklist: a blacklisted caller is rejected with a reason (formatting ignored)',
    managementType: 3,
    caller: '0902222222',
    expected: (out) => {
      assert.deepEqual(ofType(out, 'reject'), [
        { type: 'reject', tenantId: TENANT, callId: 'c', reason: 'blacklisted' },
      ]);
      assert.deepEqual(finished(out), [['rejected', 'blacklisted']]);
      assert.deepEqual(offers(out), []);
    },
  },
  {
    name: '3 blacklist: other callers are queued',
    managementType: 3,
    caller: PLAIN,
    expected: (out) => assert.deepEqual(offers(out), [['c', [1]]]),
  },
  {
    name: '4 divert: straight to the divert target',
    managementType: 4,
    caller: PLAIN,
    divertTarget: '1900',
    expected: (out) => {
      assert.deepEqual(ofType(out, 'overflow'), [
        { type: 'overflow', tenantId: TENANT, callId: 'c', target: '1900', reason: 'divert' },
      ]);
      assert.deepEqual(finished(out), [['overflowed', 'divert']]);
      assert.deepEqual(offers(out), []);
    },
  },
  {
    name: '4 divert without a target: rejected no_target',
    managementType: 4,
    caller: PLAIN,
    divertTarget: null,
    expected: (out) => assert.deepEqual(finished(out), [['rejected', 'no_target']]),
  },
  {
    name: '99 locked: new calls are refused closed',
    managementType: 99,
    caller: PLAIN,
    expected: (out) => {
      assert.deepEqual(ofType(out, 'reject')[0]?.reason, 'closed');
      assert.deepEqual(finished(out), [['rejected', 'closed']]);
    },
  },
];

describe('queue management types', () => {
  for (const c of cases) {
    it(c.name, () => {
      const rig = new Rig();
      rig.send({ type: 'caller_lists', tenantId: TENANT, vip: [VIP], blacklist: [BAD] });
      rig.queue({
        managementType: c.managementType,
        divertTarget: c.divertTarget ?? null,
        members: members([1]),
      });
      rig.presence([1]);
      c.expected(rig.call('c', 1, c.caller));
    });
  }

  it('2 VIP: a VIP caller goes ahead of everyone already waiting', () => {
    const rig = new Rig();
    rig.send({ type: 'caller_lists', tenantId: TENANT, vip: [VIP], blacklist: [] });
    rig.queue({ managementType: 2, members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('a', 1, PLAIN);
    rig.call('b', 1, PLAIN);
    rig.call('v', 1, '0901111111');
    assert.deepEqual(
      rig.acd.waitingCalls(1).map((w) => [w.callId, w.position, w.vip]),
      [
        ['v', 1, true],
        ['a', 2, false],
        ['b', 3, false],
      ],
    );
    assert.deepEqual(offers(rig.presence([1])), [['v', [1]]]);
  });

  it('1 normal: the VIP list does not reorder calls', () => {
    const rig = new Rig();
    rig.send({ type: 'caller_lists', tenantId: TENANT, vip: [VIP], blacklist: [] });
    rig.queue({ managementType: 1, members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('a', 1, PLAIN);
    rig.call('v', 1, '0901111111');
    assert.deepEqual(offers(rig.presence([1])), [['a', [1]]]);
  });

  it('99 locked: calls already waiting keep their place and are still served', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('a');
    rig.call('b');
    rig.queue({ managementType: 99, members: members([1]) });
    assert.equal(ofType(rig.call('c'), 'reject')[0]?.reason, 'closed');
    assert.deepEqual(
      rig.acd.waitingCalls(1).map((w) => w.callId),
      ['a', 'b'],
    );
    assert.deepEqual(offers(rig.presence([1])), [['a', [1]]]);
  });

  it('a call for a queue of another tenant is rejected unknown_queue', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    rig.presence([1]);
    const out = rig.send({
      type: 'call_entered',
      callId: 'x',
      tenantId: 999,
      queueId: 1,
      callerNumber: PLAIN,
    });
    assert.deepEqual(finished(out), [['rejected', 'unknown_queue']]);
    assert.deepEqual(offers(out), []);
  });

  it('an agent of another tenant is never a member of the queue', () => {
    const rig = new Rig();
    rig.presence([7], 'ready', 999);
    rig.queue({ members: members([7, 1]) });
    rig.presence([7], 'ready', TENANT); // ignored: agent 7 belongs to tenant 999
    rig.presence([1], 'not_ready');
    assert.deepEqual(offers(rig.call('c')), []);
    assert.deepEqual(rig.acd.agentState(7)?.queueIds, []);
  });
});
