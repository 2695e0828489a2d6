import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from './clock.js';

test('FakeClock fires timers in deadline order, at their deadline, only when advanced past them', () => {
  const clock = new FakeClock(1000);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push(`b@${clock.now()}`), 200);
  clock.setTimeout(() => fired.push(`a@${clock.now()}`), 100);
  clock.setTimeout(() => fired.push(`c@${clock.now()}`), 200);
  clock.advance(99);
  assert.deepEqual(fired, []);
  clock.advance(150);
  assert.deepEqual(fired, ['a@1100', 'b@1200', 'c@1200']);
  assert.equal(clock.now(), 1249);
  assert.equal(clock.pending, 0);
});

test('FakeClock: a cleared timer never fires; a timer armed by a timer runs in the same advance', () => {
  const clock = new FakeClock(0);
  const fired: number[] = [];
  const t = clock.setTimeout(() => fired.push(-1), 50);
  clock.setTimeout(() => clock.setTimeout(() => fired.push(clock.now()), 30), 40);
  clock.clearTimeout(t);
  clock.advance(100);
  assert.deepEqual(fired, [70]);
  clock.setTimeout(() => fired.push(clock.now()), -5);
  clock.advance(0);
  assert.deepEqual(fired, [70, 100]);
});
