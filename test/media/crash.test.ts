/** Killing the process mid-recording (SIGKILL: no cleanup runs) leaves a WAV file sox reads. */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { parseWav } from '../../src/media/wav.js';
import { requireTool } from '../helpers/harness.js';
import { sleep, soxStats } from './helpers.js';

const CHILD = fileURLToPath(new URL('./fixtures/record-child.ts', import.meta.url));

test('SIGKILL mid-recording leaves a stereo WAV that sox reads', async (t) => {
  const missing = await requireTool('sox');
  if (missing) return t.skip(missing);
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-crash-'));
  const path = join(dir, 'rec.wav');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d) => String(d).includes('recording') && resolve());
      child.on('exit', () => reject(new Error('child exited before recording')));
    });
    await sleep(3500);
  } finally {
    child.kill('SIGKILL');
  }
  assert.equal(await exited, 'SIGKILL');

  const header = readFileSync(path).subarray(0, 44);
  const declared = header.readUInt32LE(40);
  t.diagnostic(`file ${statSync(path).size} bytes, header declares ${declared} data bytes`);
  // The header was patched while recording: it declares at least two seconds of stereo audio.
  assert.ok(declared >= 2 * 8000 * 4, `declared data ${declared}`);
  const info = spawnSync('sox', ['--i', '-D', path], { encoding: 'utf8' });
  assert.equal(info.status, 0, info.stderr);
  assert.ok(Number(info.stdout) >= 2, `sox duration ${info.stdout}`);
  const left = soxStats(path, 1);
  const right = soxStats(path, 2);
  assert.ok(left.rmsDb > -30 && right.rmsDb > -30, `levels ${left.rmsDb} / ${right.rmsDb}`);
  assert.equal(parseWav(readFileSync(path)).format.channels, 2);
  rmSync(dir, { recursive: true, force: true });
});
