/** MP3 encoding in a worker thread (under tsx), checked by decoding: each tone stays on its own channel. */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { EncoderPool } from '../../src/recordings/encoder.js';
import { Mp3Error, inspectMp3 } from '../../src/recordings/mp3.js';
import { requireTool } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';
import { mp3DecoderMissing, mp3ToWav, toneOn, toneWav } from './helpers.js';

const dir = mkdtempSync(join(tmpdir(), 'tongdai-enc-'));
const pool = new EncoderPool(2);
after(async () => {
  await pool.close();
  rmSync(dir, { recursive: true, force: true });
});

test('a stereo WAV encodes in a worker thread to a checked MP3 with each tone on its own channel', async (t) => {
  const wav = join(dir, 'a.wav');
  const mp3 = join(dir, 'a.mp3');
  writeFileSync(wav, toneWav(6, { hz: 440, from: 0.5, to: 3.5 }, { hz: 1000, from: 2, to: 5.5 }));
  const r = await pool.encode({ wavPath: wav, mp3Path: mp3 });
  assert.equal(r.durationMs, 6000);
  assert.deepEqual(r.notes, []);
  const info = inspectMp3(readFileSync(mp3));
  assert.deepEqual([info.channels, info.sampleRate], [2, 8000]);
  assert.equal(r.sizeBytes, readFileSync(mp3).length);
  assert.ok(r.sizeBytes < 6 * 3200, `${r.sizeBytes} bytes for 6 s: 24 kbit/s`);
  for (const tool of ['sox']) {
    const missing = await requireTool(tool);
    if (missing) return t.skip(missing);
  }
  const noDecoder = mp3DecoderMissing();
  if (noDecoder) return t.skip(noDecoder);
  const out = join(dir, 'a-decoded.wav');
  assert.deepEqual(mp3ToWav(mp3, out), { rate: 8000, channels: 2 });
  const callerTone = toneOn(out, 1, 440);
  const agentTone = toneOn(out, 2, 1000);
  t.diagnostic(`left 440 Hz ${callerTone.lengthSec}s, right 1000 Hz ${agentTone.lengthSec}s`);
  assert.ok(Math.abs(callerTone.lengthSec - 3) / 3 < 0.01, `caller tone ${callerTone.lengthSec}s, want 3s`);
  assert.ok(
    Math.abs(agentTone.lengthSec - 3.5) / 3.5 < 0.01,
    `agent tone ${agentTone.lengthSec}s, want 3.5s`,
  );
  // Neither tone leaks into the other channel.
  assert.ok(toneOn(out, 1, 1000).rmsDb < -45, 'no agent tone on the caller channel');
  assert.ok(toneOn(out, 2, 440).rmsDb < -45, 'no caller tone on the agent channel');
});

test('a WAV a crash left behind is encoded as far as it is readable', async () => {
  const whole = toneWav(3, { hz: 440, from: 0, to: 3 }, { hz: 1000, from: 0, to: 3 });
  // Header never patched (zero length) and the last frame cut in half.
  const cut = Buffer.from(whole.subarray(0, 44 + 2 * 32000 + 2));
  cut.writeUInt32LE(0, 40);
  cut.writeUInt32LE(0, 4);
  writeFileSync(join(dir, 'cut.wav'), cut);
  const r = await pool.encode({ wavPath: join(dir, 'cut.wav'), mp3Path: join(dir, 'cut.mp3') });
  assert.equal(r.durationMs, 2000);
  assert.ok(r.notes.some((n) => n.includes('declared 0')) && r.notes.some((n) => n.includes('cut short')));
  // A header overwritten with garbage: read as the recorder's own layout.
  const garbage = Buffer.from(whole);
  garbage.fill(0x55, 0, 44);
  writeFileSync(join(dir, 'garbage.wav'), garbage);
  const g = await pool.encode({ wavPath: join(dir, 'garbage.wav'), mp3Path: join(dir, 'garbage.mp3') });
  assert.equal(g.durationMs, 3000);
  assert.match(g.notes[0]!, /no RIFF/);
  inspectMp3(readFileSync(join(dir, 'garbage.mp3')));
});

test('an unreadable file or a missing one is refused with the reason; bad MP3 bytes fail the check', async () => {
  writeFileSync(
    join(dir, 'mono.wav'),
    Buffer.concat([toneWav(1, { hz: 1, from: 0, to: 0 }, { hz: 1, from: 0, to: 0 })]),
  );
  const mono = readFileSync(join(dir, 'mono.wav'));
  mono.writeUInt16LE(1, 22);
  writeFileSync(join(dir, 'mono.wav'), mono);
  await assert.rejects(
    pool.encode({ wavPath: join(dir, 'mono.wav'), mp3Path: join(dir, 'mono.mp3') }),
    /not a stereo PCM16/,
  );
  await assert.rejects(
    pool.encode({ wavPath: join(dir, 'nope.wav'), mp3Path: join(dir, 'nope.mp3') }),
    /ENOENT/,
  );
  assert.throws(() => inspectMp3(Buffer.from('not an mp3 at all')), Mp3Error);
  const good = readFileSync(join(dir, 'cut.mp3'));
  assert.throws(() => inspectMp3(good.subarray(0, good.length - 10)), /cut short/);
});

test('threads are kept for the next encode (also after a refused one), at most `threads` at once, and end when idle', async () => {
  const own = new EncoderPool(2, 200);
  try {
    const wav = join(dir, 'reuse.wav');
    writeFileSync(wav, toneWav(1, { hz: 440, from: 0, to: 1 }, { hz: 1000, from: 0, to: 1 }));
    for (let i = 0; i < 3; i++) await own.encode({ wavPath: wav, mp3Path: join(dir, `reuse-${i}.mp3`) });
    await assert.rejects(
      own.encode({ wavPath: join(dir, 'nope.wav'), mp3Path: join(dir, 'n.mp3') }),
      /ENOENT/,
    );
    await own.encode({ wavPath: wav, mp3Path: join(dir, 'reuse-after.mp3') });
    assert.equal(own.started, 1, 'one after another: one thread');
    // Five at once: two threads, the other three queued behind them; every one encoded.
    const five = await Promise.all(
      Array.from({ length: 5 }, (_, i) => own.encode({ wavPath: wav, mp3Path: join(dir, `burst-${i}.mp3`) })),
    );
    assert.deepEqual(
      five.map((r) => r.durationMs),
      [1000, 1000, 1000, 1000, 1000],
    );
    assert.equal(own.started, 2, 'five at once: two threads');
    assert.ok(own.size <= 2);
    await waitFor(() => own.size === 0, 10_000, 'idle threads ended');
    await own.encode({ wavPath: wav, mp3Path: join(dir, 'reuse-later.mp3') });
    assert.equal(own.started, 3, 'a new thread once the idle ones ended');
  } finally {
    await own.close();
  }
  await assert.rejects(
    own.encode({ wavPath: join(dir, 'reuse.wav'), mp3Path: join(dir, 'x.mp3') }),
    /encoder stopped/,
  );
});
