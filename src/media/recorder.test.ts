import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { encode } from './g711.js';
import { StereoRecorder } from './recorder.js';
import { parseWav } from './wav.js';

const frame = (v: number) => encode('PCMU', new Int16Array(160).fill(v));

/** Where each channel is non-silent, in 20 ms frames. */
function activeFrames(path: string): [string, string] {
  const wav = parseWav(readFileSync(path));
  return wav.channels.map((ch) => {
    let s = '';
    for (let f = 0; f * 160 < ch.length; f++) s += Math.abs(ch[f * 160 + 80]!) > 0.01 ? '#' : '.';
    return s;
  }) as [string, string];
}

test('packets are placed by RTP timestamp: gaps are silence, channels align, late packets land in place', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rec-unit-'));
  let now = 0;
  const rec = new StereoRecorder(join(dir, 'r.wav'), () => now);
  // Caller: frames 0-4, then a lost frame 5, then 6-9. Agent starts talking at frame 3.
  for (let f = 0; f < 10; f++) {
    now = (f + 1) * 20;
    if (f !== 5) rec.write(0, 'PCMU', 1, 1000 + f * 160, frame(8000));
    if (f >= 3 && f !== 7) rec.write(1, 'PCMU', 2, 555 + f * 160, frame(-8000));
  }
  // Agent frame 7 arrives 60 ms late: still placed at frame 7.
  now = 260;
  rec.write(1, 'PCMU', 2, 555 + 7 * 160, frame(-8000));
  now = 400;
  const r = await rec.close();
  assert.deepEqual(activeFrames(r.path), ['#####.####..........', '...#######..........']);
  assert.equal(r.durationMs, 400);
  assert.equal(r.sizeBytes, 44 + 400 * 8 * 4);
  rmSync(dir, { recursive: true, force: true });
});

test('a timestamp jump (new SSRC or sender clock reset) re-anchors to the arrival time', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rec-unit-'));
  let now = 0;
  const rec = new StereoRecorder(join(dir, 'r.wav'), () => now);
  now = 20;
  rec.write(0, 'PCMA', 1, 0, encode('PCMA', new Int16Array(160).fill(8000)));
  now = 100; // 4 frames later, the sender restarts with a wild timestamp
  rec.write(0, 'PCMA', 1, 3_000_000_000, encode('PCMA', new Int16Array(160).fill(8000)));
  now = 200;
  assert.deepEqual(activeFrames((await rec.close()).path)[0], '#...#.....');
  rmSync(dir, { recursive: true, force: true });
});
