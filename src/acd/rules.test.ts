import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { members, ofType, offers, Rig } from './testkit.js';
import type { AcdDecision } from './types.js';

function outcomes(out: AcdDecision[]): [string, string, string | undefined][] {
  return ofType(out, 'call_finished').map((d) => [d.callId, d.outcome, d.reason]);
}

describe('max wait and no agents', () => {
  it('max wait overflows to the target and stops the ringing first', () => {
    const rig = new Rig();
    rig.queue({ maxWaitSec: 60, overflowTarget: 'q:2', ringTimeoutSec: 100, members: members([1]) });
    rig.presence([1]);
    rig.call('c');
    assert.deepEqual(rig.advance(59), []);
    const out = rig.advance(1);
    assert.deepEqual(
      out.map((d) => d.type),
      ['stop_offer', 'overflow', 'call_finished'],
    );
    assert.deepEqual(outcomes(out), [['c', 'overflowed', 'max_wait']]);
    assert.equal(rig.acd.agentState(1)?.offerable, true);
  });

  it('max wait without a target hangs up with max_wait (timed out)', () => {
    const rig = new Rig();
    rig.queue({ maxWaitSec: 30, members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('c');
    const out = rig.advance(30);
    assert.equal(ofType(out, 'reject')[0]?.reason, 'max_wait');
    assert.deepEqual(outcomes(out), [['c', 'timed_out', 'max_wait']]);
  });

  it('no member logged in: rejected no_agents, or overflowed when the queue has a target', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    assert.deepEqual(outcomes(rig.call('a')), [['a', 'rejected', 'no_agents']]);
    rig.queue({ overflowTarget: '0280000000', members: members([1]) });
    const out = rig.call('b');
    assert.equal(ofType(out, 'overflow')[0]?.target, '0280000000');
    assert.deepEqual(outcomes(out), [['b', 'overflowed', 'no_agents']]);
  });

  it('members logged in but busy or not ready: the call waits', () => {
    const rig = new Rig();
    rig.queue({ members: members([1, 2]) });
    rig.presence([1], 'not_ready');
    rig.presence([2], 'in_call');
    assert.deepEqual(rig.call('a'), []);
    assert.equal(rig.acd.queueStats(1)?.waiting, 1);
  });

  it('when the last member logs out, waiting calls leave with no_agents', () => {
    const rig = new Rig();
    rig.queue({ members: members([1, 2]) });
    rig.presence([1, 2], 'not_ready');
    rig.call('a');
    assert.deepEqual(rig.presence([1], 'offline'), []);
    assert.deepEqual(outcomes(rig.presence([2], 'offline')), [['a', 'rejected', 'no_agents']]);
  });
});

describe('ring timeout, misses, presence', () => {
  it('ring timeout moves the call to the next agent, then back when nobody else is free', () => {
    const rig = new Rig();
    rig.queue({ ringTimeoutSec: 15, members: members([1, 2]) });
    rig.presence([1, 2]);
    assert.deepEqual(offers(rig.call('c')), [['c', [1]]]);
    let out = rig.advance(15);
    assert.deepEqual(
      ofType(out, 'stop_offer').map((d) => [d.agentIds, d.reason]),
      [[[1], 'timeout']],
    );
    assert.deepEqual(offers(out), [['c', [2]]]);
    out = rig.send({ type: 'agent_rejected', callId: 'c', agentId: 2 });
    assert.deepEqual(ofType(out, 'stop_offer'), [], 'the call engine told us; no stop needed');
    assert.deepEqual(offers(out), [], 'everyone free has missed it: pause before a new round');
    assert.deepEqual(offers(rig.advance(4)), []);
    assert.deepEqual(offers(rig.advance(1)), [['c', [1]]], 'new round after retrySec (default 5)');
  });

  it('retrySec 0 starts the new round at once', () => {
    const rig = new Rig();
    rig.queue({ retrySec: 0, members: members([1]) });
    rig.presence([1]);
    rig.call('c');
    assert.deepEqual(offers(rig.send({ type: 'agent_no_answer', callId: 'c', agentId: 1 })), [['c', [1]]]);
  });

  it('a declined call goes to another free agent; the decliner takes the next call', () => {
    const rig = new Rig();
    rig.queue({ selector: 'top-down', members: members([1, 2]) });
    rig.presence([1, 2]);
    assert.deepEqual(offers(rig.call('a')), [['a', [1]]]);
    const out = rig.send({ type: 'agent_no_answer', callId: 'a', agentId: 1 });
    assert.deepEqual(offers(out), [['a', [2]]], 'top-down would pick 1, but 1 just declined');
    assert.deepEqual(offers(rig.call('b')), [['b', [1]]]);
  });

  it('after maxNoAnswer consecutive misses the agent is made not ready and never offered', () => {
    const rig = new Rig();
    rig.queue({ ringTimeoutSec: 10, maxNoAnswer: 2, members: members([1]) });
    rig.presence([1]);
    rig.call('c');
    assert.deepEqual(ofType(rig.advance(10), 'agent_not_ready'), []);
    assert.deepEqual(offers(rig.advance(5)), [['c', [1]]]);
    const out = rig.advance(10);
    assert.deepEqual(
      ofType(out, 'agent_not_ready').map((d) => [d.agentId, d.reason]),
      [[1, 'no_answer']],
    );
    assert.deepEqual(offers(out), []);
    assert.deepEqual(rig.advance(100), []);
    assert.deepEqual(offers(rig.presence([1])), [['c', [1]]], 'offered again once the agent is ready');
  });

  it('an answer resets the consecutive misses', () => {
    const rig = new Rig();
    rig.queue({ ringTimeoutSec: 10, maxNoAnswer: 2, members: members([1]) });
    rig.presence([1]);
    rig.call('a');
    rig.advance(10);
    rig.advance(5); // the retry pause
    rig.talk('a', 1, 5);
    rig.call('b');
    assert.deepEqual(ofType(rig.advance(10), 'agent_not_ready'), []);
  });

  it('an agent going not ready while ringing stops the offer without counting a miss', () => {
    const rig = new Rig();
    rig.queue({ maxNoAnswer: 1, members: members([1, 2]) });
    rig.presence([1, 2]);
    rig.call('c');
    const out = rig.presence([1], 'not_ready');
    assert.deepEqual(
      ofType(out, 'stop_offer').map((d) => [d.agentIds, d.reason]),
      [[[1], 'agent_unavailable']],
    );
    assert.deepEqual(offers(out), [['c', [2]]]);
    assert.equal(rig.acd.agentState(1)?.consecutiveMisses, 0);
  });

  it('status echoes of ACD calls are ignored; an external call makes the agent busy', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    rig.presence([1]);
    rig.call('a');
    assert.deepEqual(rig.presence([1], 'ringing'), []);
    rig.talk('a', 1, 5);
    assert.equal(rig.acd.agentState(1)?.offerable, true, 'back to the custom status it had');
    rig.presence([1], 'in_call'); // an outbound call, not routed by the ACD
    assert.deepEqual(rig.call('b'), []);
    assert.deepEqual(offers(rig.presence([1], 'ready')), [['b', [1]]]);
  });
});

describe('wrap-up and several queues', () => {
  it('the agent is not offered again before the queue wrap-up is over', () => {
    const rig = new Rig();
    rig.queue({ wrapupSec: 30, members: members([1]) });
    rig.presence([1]);
    rig.call('a');
    rig.send({ type: 'agent_answered', callId: 'a', agentId: 1 });
    rig.call('b');
    const end = rig.send({ type: 'call_ended', callId: 'a' });
    assert.deepEqual(
      ofType(end, 'agent_wrapup').map((d) => d.endsAt - rig.clock.now()),
      [30_000],
    );
    assert.deepEqual(offers(end), []);
    assert.equal(rig.acd.nextDeadline(), rig.clock.now() + 30_000);
    assert.deepEqual(offers(rig.advance(29)), []);
    const out = rig.advance(1);
    assert.deepEqual(
      out.map((d) => d.type),
      ['agent_released', 'offer'],
    );
  });

  it('wrapup_ended ends wrap-up early', () => {
    const rig = new Rig();
    rig.queue({ wrapupSec: 300, members: members([1]) });
    rig.presence([1]);
    rig.call('a');
    rig.talk('a', 1, 5);
    rig.call('b');
    assert.deepEqual(offers(rig.send({ type: 'wrapup_ended', agentId: 1 })), [['b', [1]]]);
  });

  it('an agent in several queues is offered the call that waited longest across them', () => {
    const rig = new Rig();
    rig.queue({ id: 1, members: members([1]) });
    rig.queue({ id: 2, members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('old', 2);
    rig.clock.advance(5000);
    rig.call('new', 1);
    assert.deepEqual(offers(rig.presence([1])), [['old', [1]]]);
    assert.deepEqual(offers(rig.talk('old', 1, 10)), [['new', [1]]]);
  });

  it('calls of one priority level are offered in arrival order; higher priority first', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('a', 1, '1', 0);
    rig.call('b', 1, '2', 0);
    rig.call('urgent', 1, '3', 5);
    rig.presence([1]);
    const order: string[] = [];
    for (let i = 0; i < 3; i++) {
      const call = rig.acd.agentState(1)!.callId!;
      order.push(call);
      rig.talk(call, 1, 1);
    }
    assert.deepEqual(order, ['urgent', 'a', 'b']);
  });
});

describe('announcements, abandon, removal', () => {
  it('announces position and expected wait on entry and every interval while not ringing', () => {
    const rig = new Rig();
    rig.queue({ announcePosition: true, announceIntervalSec: 20, members: members([1, 2]) });
    rig.presence([1, 2], 'not_ready');
    rig.call('a');
    const entry = ofType(rig.call('b'), 'announce');
    assert.deepEqual(
      entry.map((d) => [d.callId, d.position, d.expectedWaitSec]),
      [['b', 2, 120]],
    );
    const later = ofType(rig.advance(20), 'announce');
    assert.deepEqual(
      later.map((d) => [d.callId, d.position]),
      [
        ['a', 1],
        ['b', 2],
      ],
    );
    rig.presence([1]);
    assert.deepEqual(
      ofType(rig.advance(20), 'announce').map((d) => [d.callId, d.position]),
      [['b', 2]],
    );
  });

  it('an announce interval of 0 announces on entry only', () => {
    const rig = new Rig();
    rig.queue({ announcePosition: true, announceIntervalSec: 0, members: members([1]) });
    rig.presence([1], 'not_ready');
    assert.equal(ofType(rig.call('a'), 'announce').length, 1);
    assert.equal(rig.acd.nextDeadline(), null);
  });

  it('abandon while ringing stops the offer and ends the call once', () => {
    const rig = new Rig();
    rig.queue({ members: members([1]) });
    rig.presence([1]);
    rig.call('a');
    const out = rig.send({ type: 'call_abandoned', callId: 'a' });
    assert.deepEqual(
      ofType(out, 'stop_offer').map((d) => d.reason),
      ['call_finished'],
    );
    assert.deepEqual(outcomes(out), [['a', 'abandoned', undefined]]);
    assert.deepEqual(rig.send({ type: 'call_abandoned', callId: 'a' }), []);
    assert.deepEqual(rig.advance(60), [], 'the ring timer died with the call');
    assert.equal(rig.acd.nextDeadline(), null);
  });

  it('removing a queue hangs up its calls and frees its agents for other queues', () => {
    const rig = new Rig();
    rig.queue({ id: 1, members: members([1]) });
    rig.queue({ id: 2, members: members([1]) });
    rig.presence([1]);
    rig.call('a', 1);
    rig.call('b', 2);
    const out = rig.send({ type: 'queue_removed', queueId: 1 });
    assert.deepEqual(outcomes(out), [['a', 'rejected', 'queue_removed']]);
    assert.deepEqual(offers(out), [['b', [1]]]);
  });
});

describe('call ids and reconfiguration', () => {
  it('a duplicate call_entered is ignored; a finished call may enter again', () => {
    const rig = new Rig();
    rig.queue({ id: 1, members: members([1]) });
    rig.queue({ id: 2, overflowTarget: 'q2', members: members([1]) });
    rig.presence([1], 'not_ready');
    rig.call('c', 1);
    assert.deepEqual(rig.call('c', 1), []);
    assert.equal(rig.acd.queueStats(1)?.offered, 1);
    rig.send({ type: 'call_abandoned', callId: 'c' });
    rig.call('c', 2);
    assert.deepEqual(offers(rig.presence([1])), [['c', [1]]]);
  });

  it('a new config keeps waiting calls, statistics and the round-robin position', () => {
    const rig = new Rig();
    rig.queue({ selector: 'round-robin', members: members([1, 2, 3]) });
    rig.presence([1, 2, 3]);
    rig.talk('a', offers(rig.call('a'))[0]![1][0]!, 5);
    rig.queue({ selector: 'round-robin', wrapupSec: 10, members: members([1, 2, 3]) });
    assert.deepEqual(offers(rig.call('b')), [['b', [2]]]);
    assert.equal(rig.acd.queueStats(1)?.offered, 2);
  });

  it('the expected wait follows the queue average handle time', () => {
    const rig = new Rig();
    rig.queue({ announcePosition: true, wrapupSec: 20, members: members([1, 2]) });
    rig.presence([1]);
    rig.presence([2], 'not_ready');
    rig.call('a');
    rig.talk('a', 1, 40);
    rig.advance(20); // AHT = 40 s talk + 20 s wrap-up
    rig.presence([1], 'not_ready');
    rig.call('b');
    const [said] = ofType(rig.call('c'), 'announce');
    assert.deepEqual([said?.position, said?.expectedWaitSec], [2, 60]);
  });
});
