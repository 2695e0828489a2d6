import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encode } from './g711.js';
import { StereoRecorder } from './recorder.js';
import { parseWav } from './wav.js';

const frame = (v: number) => encode('PCMU', new Int16Array(160).fill(v));

function activeFrames(path: string): string {
  const ch = parseWav(readFileSync(path)).channels[0]!;
  let s = '';
  for (let f = 0; f * 160 < ch.length; f++) s += Math.abs(ch[f * 160 + 80]!) > 0.01 ? '#' : '.';
  return s;
}

test('a paused span is silence of the paused length; late packets never land in it; the span is reported', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rec-pause-'));
  let now = 0;
  const rec = new StereoRecorder(join(dir, 'r.wav'), () => now);
  for (let f = 0; f < 20; f++) {
    now = (f + 1) * 20;
    if (f === 5) assert.equal(rec.pause(), true);
    if (f === 5) assert.equal(rec.pause(), false, 'already paused');
    if (f === 12) assert.equal(rec.resume(), true);
    rec.write(0, 'PCMU', 1, f * 160, frame(8000));
  }
  // A frame of the paused span arriving after resume is dropped.
  rec.write(0, 'PCMU', 1, 8 * 160, frame(8000));
  assert.equal(rec.resume(), false, 'not paused');
  now = 420;
  const r = await rec.close();
  // Paused at 120 ms, resumed at 260 ms: frames 6..12 (140 ms) are silent. Frame 5's packet arrives after the
  // pause but carries audio from before it (kept); frame 12's arrives after the resume with audio from within (dropped).
  assert.equal(activeFrames(r.path), '######.......#######.');
  assert.deepEqual(r.pauses, [{ offsetMs: 120, durationMs: 140 }]);
  rmSync(dir, { recursive: true, force: true });
});

test('a recording closed while paused ends its span at the end of the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rec-pause-'));
  let now = 0;
  const rec = new StereoRecorder(join(dir, 'r.wav'), () => now);
  now = 100;
  rec.pause();
  now = 300;
  const r = await rec.close();
  assert.deepEqual(r.pauses, [{ offsetMs: 100, durationMs: 200 }]);
  assert.equal(r.durationMs, 300);
  rmSync(dir, { recursive: true, force: true });
});
