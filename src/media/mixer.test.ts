import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode } from './g711.js';
import { FRAME_SAMPLES, SampleQueue, mixFrame, mixInto } from './mixer.js';

const tone = (hz: number, amp: number) =>
  Int16Array.from({ length: FRAME_SAMPLES }, (_, i) =>
    Math.round(amp * Math.sin((2 * Math.PI * hz * i) / 8000)),
  );

test('16-bit sum saturates at both limits instead of wrapping round', () => {
  const out = new Int16Array(4);
  mixInto(out, [Int16Array.from([30000, -30000, 100, 32767]), Int16Array.from([10000, -10000, -300, 1])]);
  assert.deepEqual([...out], [32767, -32768, -200, 32767]);
  // Three loud parties in phase: still clipped, never an overflowed negative sample.
  mixInto(out, [
    Int16Array.from([20000, -20000, 0, 0]),
    Int16Array.from([20000, -20000, 0, 0]),
    Int16Array.from([20000, -20000, 0, 0]),
  ]);
  assert.deepEqual([...out.slice(0, 2)], [32767, -32768]);
});

for (const law of ['PCMU', 'PCMA'] as const) {
  test(`${law}: a mixed frame decodes to the sum of its inputs (within companding error), and clips loud sums`, () => {
    const a = decode(law, encode(law, tone(440, 8000)));
    const b = decode(law, encode(law, tone(1000, 6000)));
    const out = new Uint8Array(FRAME_SAMPLES);
    const mixed = decode(law, mixFrame(law, [a, b], new Int16Array(FRAME_SAMPLES), out));
    for (let i = 0; i < FRAME_SAMPLES; i++) {
      const want = a[i]! + b[i]!;
      assert.ok(
        Math.abs(mixed[i]! - want) <= Math.abs(want) * 0.07 + 16,
        `${law} sample ${i}: ${mixed[i]} vs ${want}`,
      );
    }
    const loud = decode(law, encode(law, new Int16Array(FRAME_SAMPLES).fill(30000)));
    const clipped = decode(law, mixFrame(law, [loud, loud], new Int16Array(FRAME_SAMPLES), out));
    // The law's top code point, positive: saturation, not wrap-around to a negative sample.
    const top = decode(law, encode(law, Int16Array.from([32767])))[0]!;
    assert.ok(
      clipped.every((s) => s === top),
      `${law}: ${clipped[0]} vs ${top}`,
    );
  });
}

test('a party queue primes with two frames, yields silence when dry, and trims a backlog', () => {
  const q = new SampleQueue();
  const out = new Int16Array(FRAME_SAMPLES);
  const f = encode('PCMA', new Int16Array(FRAME_SAMPLES).fill(4000));
  q.push('PCMA', f);
  assert.equal(q.take(out), false, 'one frame is not enough to start');
  assert.ok(out.every((s) => s === 0));
  q.push('PCMA', f);
  assert.equal(q.take(out), true);
  assert.ok(Math.abs(out[0]! - 4000) < 200);
  assert.equal(q.take(out), true);
  assert.equal(q.take(out), false, 'dry: silence, then primes again');
  for (let i = 0; i < 20; i++) q.push('PCMA', f);
  assert.ok(q.queued <= 8 * FRAME_SAMPLES);
  assert.ok(q.dropped > 0);
  // Packets of another size (30 ms) are cut into 20 ms frames.
  const q2 = new SampleQueue();
  q2.push('PCMU', encode('PCMU', new Int16Array(240).fill(-2000)));
  q2.push('PCMU', encode('PCMU', new Int16Array(240).fill(-2000)));
  assert.equal(q2.take(out), true);
  assert.equal(q2.take(out), true);
  assert.equal(q2.take(out), true);
  assert.equal(q2.queued, 0);
});
