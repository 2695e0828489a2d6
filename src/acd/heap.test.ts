import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { TimerHeap } from './heap.js';

describe('TimerHeap', () => {
  it('pops timers by deadline, then in the order they were armed', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { maxLength: 200 }), (deadlines) => {
        const heap = new TimerHeap();
        deadlines.forEach((at, seq) =>
          heap.push({ at, seq, kind: 'ring', callId: 'c', agentId: 0, token: seq }),
        );
        const popped: [number, number][] = [];
        for (let t = heap.pop(); t; t = heap.pop()) popped.push([t.at, t.seq]);
        const expected = deadlines
          .map((at, seq) => [at, seq] as [number, number])
          .sort((x, y) => x[0] - y[0] || x[1] - y[1]);
        assert.deepEqual(popped, expected);
        assert.equal(heap.size, 0);
      }),
      { numRuns: 200 },
    );
  });
});
