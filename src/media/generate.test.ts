import assert from 'node:assert/strict';
import { test } from 'node:test';
import { countPrompt, synthMusicOnHold, synthPrompts } from './generate.js';

test('hold music is 16 s, never clips, loops without a click and is deterministic', () => {
  const moh = synthMusicOnHold();
  assert.equal(moh.length, 16 * 8000);
  const peak = moh.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
  assert.ok(peak > 10000 && peak < 32767, `peak ${peak}`);
  // The loop point: last and first samples are both near zero.
  assert.ok(Math.abs(moh[moh.length - 1]!) < 300 && Math.abs(moh[0]!) < 300);
  assert.deepEqual(synthMusicOnHold().subarray(0, 1000), moh.subarray(0, 1000));
});

test('prompts exist and announcements count in pips up to 9, then "many"', () => {
  const p = synthPrompts();
  for (const name of ['intro-position', 'intro-wait', 'pip', 'many']) assert.ok(p[name]!.length > 1000, name);
  assert.deepEqual(countPrompt('position', 3), ['intro-position', 'pip', 'pip', 'pip']);
  assert.deepEqual(countPrompt('wait', 0), ['intro-wait', 'pip']);
  assert.deepEqual(countPrompt('wait', 12), ['intro-wait', 'many']);
});
