import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EventIds } from './event-ids.js';

/** A sequence shared by several allocators, as the log's id sequence is by several nodes. */
function sequence() {
  let next = 1;
  const claims: number[] = [];
  return {
    claims,
    claim: (n: number) => {
      claims.push(n);
      const ids = Array.from({ length: n }, (_, i) => next + i);
      next += n;
      return Promise.resolve(ids);
    },
  };
}

describe('EventIds', () => {
  it('numbers each tenant ascending from one claimed block, and claims the next before it runs out', async () => {
    const seq = sequence();
    const ids = new EventIds(seq.claim, 8);
    const a = [...(await ids.take(1, 3)), ...(await ids.take(1, 2))];
    const b = await ids.take(2, 2);
    assert.deepEqual(a, [1, 2, 3, 4, 5]);
    assert.deepEqual(b, [6, 7]);
    // One left of 8 (below half): the next block was claimed in the background.
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seq.claims, [8, 8]);
    assert.deepEqual(await ids.take(1, 4), [8, 9, 10, 11]);
  });

  it("numbers a tenant above another node's ids for it, with ids claimed for it alone when past our blocks", async () => {
    const seq = sequence();
    const here = new EventIds(seq.claim, 8);
    const there = new EventIds(seq.claim, 8);
    assert.deepEqual(await here.take(1, 1), [1]);
    const theirs = await there.take(1, 2); // block 9–16
    here.seen(1, theirs.at(-1)!);
    const mine = await here.take(1, 2);
    assert.ok(mine[0]! > theirs.at(-1)!, `${mine.join()} after ${theirs.join()}`);
    assert.deepEqual(seq.claims.slice(-1), [2], 'claimed exactly what the batch needs, no block wasted');
    // Another tenant still takes from this process's first block.
    assert.deepEqual(await here.take(2, 1), [2]);
  });

  it('a takeover numbers the tenant above every id reserved before it, also ones never logged', async () => {
    const seq = sequence();
    const survivor = new EventIds(seq.claim, 8);
    assert.deepEqual(await survivor.take(1, 1), [1]);
    const dead = new EventIds(seq.claim, 8);
    const delivered = await dead.take(1, 3); // 9–11: delivered by a node that died before logging them
    await survivor.takeOver(1);
    const next = await survivor.take(1, 1);
    assert.ok(next[0]! > delivered.at(-1)!);
  });

  it('concurrent takes share one claim and never hand out an id twice', async () => {
    const seq = sequence();
    const ids = new EventIds(seq.claim, 16);
    const got = await Promise.all([1, 2, 3, 4].map((t) => ids.take(t, 3)));
    const all = got.flat();
    assert.equal(new Set(all).size, all.length);
    assert.equal(seq.claims[0], 16);
    for (const g of got)
      assert.deepEqual(
        [...g].sort((a, b) => a - b),
        g,
      );
  });
});
