// A call's place in its queue: rank first, then when the caller took their place (`queuedAt`, a callback put back
// after a restart), then arrival. FakeClock throughout.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { members, offers, Rig, TENANT } from './testkit.js';

function rig() {
  const r = new Rig();
  r.queue({ members: members([1]), maxWaitSec: 60 });
  r.presence([1], 'not_ready');
  return r;
}

const order = (r: Rig) => r.acd.waitingCalls(1).map((w) => w.callId);

describe('queue place (queuedAt)', () => {
  it('a call entering with an earlier queuedAt goes before callers who arrived after that time, not before earlier ones', () => {
    const r = rig();
    const t0 = r.clock.now();
    r.call('first'); // t = 0
    r.advance(10);
    r.call('later'); // t = 10 s
    r.advance(10);
    r.send({
      type: 'call_entered',
      callId: 'resumed',
      tenantId: TENANT,
      queueId: 1,
      callerNumber: '0901',
      queuedAt: t0 + 5_000,
      noMaxWait: true,
    });
    assert.deepEqual(order(r), ['first', 'resumed', 'later']);
    const resumed = r.acd.waitingCalls(1)[1]!;
    assert.deepEqual([resumed.enteredAt, resumed.waitSec, resumed.position], [t0 + 5_000, 15, 2]);
    assert.equal(r.acd.queueStats(1)!.longestWaitingSec, 20);
    // One agent: served in that order.
    assert.deepEqual(offers(r.presence([1])), [['first', [1]]]);
    assert.deepEqual(offers(r.talk('first', 1, 5)), [['resumed', [1]]]);
    assert.deepEqual(offers(r.talk('resumed', 1, 5)), [['later', [1]]]);
  });

  it('timers still run from the entry: max wait is not shortened by an old queuedAt', () => {
    const r = rig();
    const t0 = r.clock.now();
    r.advance(100);
    r.send({
      type: 'call_entered',
      callId: 'old',
      tenantId: TENANT,
      queueId: 1,
      callerNumber: '0901',
      queuedAt: t0 + 1_000,
    });
    assert.deepEqual(order(r), ['old'], 'not timed out on entry although 99 s passed since its place');
    r.advance(59);
    assert.deepEqual(order(r), ['old']);
    r.advance(1);
    assert.deepEqual(order(r), [], 'max wait 60 s after entering');
  });

  it('a queuedAt in the future counts as now; rank (VIP, priority) still goes first', () => {
    const r = rig();
    const t0 = r.clock.now();
    r.call('a');
    r.advance(1);
    r.send({
      type: 'call_entered',
      callId: 'future',
      tenantId: TENANT,
      queueId: 1,
      callerNumber: '0901',
      queuedAt: t0 + 10_000_000,
    });
    assert.equal(r.acd.waitingCalls(1)[1]!.enteredAt, t0 + 1_000, 'clamped to now');
    r.send({
      type: 'call_entered',
      callId: 'urgent',
      tenantId: TENANT,
      queueId: 1,
      callerNumber: '0902',
      priority: 5,
    });
    r.send({
      type: 'call_entered',
      callId: 'early',
      tenantId: TENANT,
      queueId: 1,
      callerNumber: '0903',
      queuedAt: t0 - 5_000,
    });
    assert.deepEqual(order(r), ['urgent', 'early', 'a', 'future']);
  });
});
