import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { members, Rig } from './testkit.js';

describe('queue statistics', () => {
  it('counts offered, answered, abandoned (short ones apart), waits, talk, service level, ASA, AHT', () => {
    const rig = new Rig();
    rig.queue({ serviceLevelSec: 20, wrapupSec: 10, shortAbandonSec: 5, members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('a'); // answered after 10 s, talks 60 s, wrap-up 10 s
    rig.call('b'); // abandons after 3 s: short
    rig.call('c'); // abandons after 40 s
    rig.advance(3);
    rig.send({ type: 'call_abandoned', callId: 'b' });
    rig.advance(7);
    rig.presence([1]);
    rig.talk('a', 1, 60);
    rig.advance(10); // wrap-up over
    rig.clock.set(rig.acd.waitingCalls(1)[0]!.enteredAt + 40_000);
    rig.send({ type: 'call_abandoned', callId: 'c' });
    const s = rig.acd.queueStats(1)!;
    assert.equal(s.offered, 3);
    assert.equal(s.answered, 1);
    assert.equal(s.abandoned, 2);
    assert.equal(s.abandonedShort, 1);
    assert.equal(s.maxWaitSec, 40);
    assert.equal(s.avgWaitSec, Math.round(((10 + 3 + 40) / 3) * 10) / 10);
    assert.equal(s.asaSec, 10);
    assert.equal(s.avgTalkSec, 60);
    assert.equal(s.ahtSec, 70);
    assert.equal(s.serviceLevel, 1 / 3);
    assert.equal(s.waiting, 0);
    assert.equal(s.available, 1);
  });

  it('an answer after the service level threshold does not count toward it', () => {
    const rig = new Rig();
    rig.queue({ serviceLevelSec: 20, members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('a');
    rig.advance(21);
    rig.presence([1]);
    rig.send({ type: 'agent_answered', callId: 'a', agentId: 1 });
    assert.equal(rig.acd.queueStats(1)!.serviceLevel, 0);
  });

  it('overflow, time-out and rejections are counted apart; the live view shows who waits', () => {
    const rig = new Rig();
    rig.queue({ maxWaitSec: 30, members: members([1, 2]) });
    rig.presence([1, 2], 'not_ready');
    rig.call('a');
    rig.advance(30);
    rig.queue({ maxWaitSec: 30, overflowTarget: 'x', members: members([1, 2]) });
    rig.call('b');
    rig.advance(30);
    rig.queue({ managementType: 99, members: members([1, 2]) });
    rig.call('c');
    rig.queue({ members: members([1, 2]) });
    rig.call('d');
    rig.presence([2]);
    rig.call('e');
    rig.advance(7);
    const s = rig.acd.queueStats(1)!;
    assert.deepEqual([s.offered, s.timedOut, s.overflowed, s.rejected], [5, 1, 1, 1]);
    assert.deepEqual([s.waiting, s.ringing, s.longestWaitingSec], [2, 1, 7]);
    assert.deepEqual([s.members, s.loggedIn, s.available], [2, 2, 0]);
    assert.deepEqual(
      rig.acd.waitingCalls(1).map((w) => [w.callId, w.position, w.waitSec, w.ringingAgentIds]),
      [
        ['d', 1, 7, [2]],
        ['e', 2, 7, []],
      ],
    );
  });

  it('interval statistics count the calls that entered in the interval', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    rig.presence([1], 'not_ready');
    const t0 = rig.clock.now();
    rig.call('a');
    rig.advance(60);
    rig.call('b');
    rig.advance(60);
    rig.call('c');
    rig.presence([1]);
    rig.send({ type: 'agent_answered', callId: 'a', agentId: 1 });
    const first = rig.acd.intervalStats(1, t0, t0 + 60_000)!;
    assert.deepEqual([first.offered, first.answered, first.maxWaitSec], [1, 1, 120]);
    const firstTwo = rig.acd.intervalStats(1, t0, t0 + 120_000)!;
    assert.deepEqual([firstTwo.offered, firstTwo.answered], [2, 1]);
    const all = rig.acd.intervalStats(1, t0, t0 + 180_000)!;
    assert.equal(all.offered, 3);
    assert.equal(rig.acd.intervalStats(1, t0 - 60_000, t0)!.offered, 0);
    assert.equal(rig.acd.intervalStats(42, t0, t0 + 1), null);
  });
});

describe('statistics retention', () => {
  it('keeps minute buckets 24 hours; totals stay', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    rig.presence([1], 'not_ready');
    const t0 = rig.clock.now();
    rig.call('old');
    rig.send({ type: 'call_abandoned', callId: 'old' });
    rig.clock.advance(23 * 3600_000);
    rig.call('a');
    assert.equal(rig.acd.intervalStats(1, t0, t0 + 60_000)?.abandoned, 1, 'still kept after 23 h');
    rig.clock.advance(2 * 3600_000);
    rig.call('b');
    assert.equal(rig.acd.intervalStats(1, t0, t0 + 60_000)?.offered, 0, 'dropped after 24 h');
    assert.equal(rig.acd.queueStats(1)?.offered, 3);
    assert.equal(rig.acd.queueStats(1)?.abandoned, 1);
  });
});
