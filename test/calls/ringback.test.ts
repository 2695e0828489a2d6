import assert from 'node:assert/strict';
import { test } from 'node:test';
import { synthRingback } from '../../src/calls/ringback.js';

test('ringback: 425 Hz for 1 s, then 4 s of silence', () => {
  const pcm = synthRingback();
  assert.equal(pcm.length, 5 * 8000);
  const on = pcm.subarray(0, 8000);
  let crossings = 0;
  for (let i = 1; i < on.length; i++) if (on[i - 1]! < 0 !== on[i]! < 0) crossings++;
  // Two zero crossings per period: 850 a second for 425 Hz.
  assert.ok(Math.abs(crossings - 850) <= 4, `${crossings} zero crossings`);
  assert.ok(Math.max(...on) > 8000, 'audible');
  assert.ok(
    pcm.subarray(8000).every((x) => x === 0),
    'silent after the first second',
  );
});
