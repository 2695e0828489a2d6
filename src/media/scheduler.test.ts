import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { test } from 'node:test';
import { MediaClock } from './scheduler.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

test('one clock drives every ticker once per frame with increasing frame numbers', async () => {
  const clock = new MediaClock();
  const seen: number[][] = [[], []];
  const tickers = seen.map((s) => ({ tick: (f: number) => s.push(f) }));
  for (const t of tickers) clock.add(t);
  await sleep(210);
  for (const t of tickers) clock.delete(t);
  assert.equal(clock.size, 0);
  assert.deepEqual(seen[0], seen[1]);
  const frames = seen[0]!;
  // ~10 frames in 210 ms; generous for a loaded machine, but never a burst beyond real time.
  assert.ok(frames.length >= 5 && frames.length <= 11, `${frames.length} frames`);
  for (let i = 1; i < frames.length; i++) assert.ok(frames[i]! > frames[i - 1]!);
});

test('after a stall it catches up at most 3 frames, skips the rest, and frame numbers show the gap', async () => {
  let stall = 0;
  const clock = new MediaClock(() => performance.now() + stall);
  const frames: number[] = [];
  const t = { tick: (f: number) => frames.push(f) };
  clock.add(t);
  await sleep(70);
  const before = frames.length;
  const last = frames[frames.length - 1]!;
  stall = 200; // the process "slept" for 10 frames
  await sleep(50);
  clock.delete(t);
  const after = frames.slice(before);
  assert.ok(clock.skippedFrames >= 8, `skipped ${clock.skippedFrames}`);
  // One frame for the stall itself (not 10 back to back), then normal pacing for the rest of the 50 ms.
  assert.ok(after.length >= 1 && after.length <= 4, `sent ${after.length} frames after the stall`);
  assert.ok(after[0]! - last >= 10, `frame number jumped from ${last} to ${after[0]}`);
});
