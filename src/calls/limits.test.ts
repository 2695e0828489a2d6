import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../clock.js';
import { CallLimits, checkDestination, classifyDestination } from './limits.js';

describe('call limits', () => {
  const tenant = { id: 1, max_concurrent_calls: 2, max_calls_per_second: 3 };

  it('refuses a call over the concurrent cap until one is released', () => {
    const l = new CallLimits(new FakeClock());
    const r1 = l.hold(1);
    l.hold(1);
    assert.equal(l.admit({ ...tenant, max_calls_per_second: 100 })?.status, 503);
    r1();
    r1();
    assert.equal(l.admit({ ...tenant, max_calls_per_second: 100 }), null);
    assert.equal(l.activeCalls(1), 1);
  });

  it('refuses the fourth call within one second, admits again a second later', () => {
    const clock = new FakeClock();
    const l = new CallLimits(clock);
    const big = { ...tenant, max_concurrent_calls: 100 };
    for (let i = 0; i < 3; i++) assert.equal(l.admit(big), null);
    assert.match(l.admit(big)!.reason, /calls-per-second/);
    clock.advance(1001);
    assert.equal(l.admit(big), null);
  });
});

describe('allowed destinations', () => {
  const closed = { allow_international: 0, allow_premium: 0 };
  it('classifies numbers', () => {
    assert.equal(classifyDestination('0901234567'), 'national');
    assert.equal(classifyDestination('+84901234567'), 'national');
    assert.equal(classifyDestination('+14155550100'), 'international');
    assert.equal(classifyDestination('0014155550100'), 'international');
    assert.equal(classifyDestination('19001234'), 'premium');
    assert.equal(classifyDestination('+8419001234'), 'premium');
  });
  it('bars international and premium unless enabled', () => {
    assert.equal(checkDestination('+14155550100', closed)?.cause, 'OUTGOING_CALL_BARRED');
    assert.equal(checkDestination('19001234', closed)?.status, 403);
    assert.equal(checkDestination('+14155550100', { ...closed, allow_international: 1 }), null);
    assert.equal(checkDestination('19001234', { ...closed, allow_premium: 1 }), null);
    assert.equal(checkDestination('0901234567', closed), null);
    assert.equal(checkDestination('abc', closed)?.status, 484);
  });
});
