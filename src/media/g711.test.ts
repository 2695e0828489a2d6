import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decode, encode, transcodeInPlace } from './g711.js';

test('known G.711 code points (ITU-T G.711 tables)', () => {
  assert.deepEqual([...encode('PCMU', Int16Array.from([0, -1, 32767, -32768]))], [0xff, 0x7f, 0x80, 0x00]);
  assert.deepEqual([...encode('PCMA', Int16Array.from([0, -1, 32767, -32768]))], [0xd5, 0x55, 0xaa, 0x2a]);
  assert.deepEqual([...decode('PCMU', Uint8Array.from([0xff, 0x80, 0x00]))], [0, 32124, -32124]);
  assert.deepEqual([...decode('PCMA', Uint8Array.from([0xd5, 0xaa, 0x2a]))], [8, 32256, -32256]);
});

test('round trip error stays within the companding step for every 16-bit sample', () => {
  for (const law of ['PCMU', 'PCMA'] as const) {
    const all = Int16Array.from({ length: 65536 }, (_, i) => i - 32768);
    const back = decode(law, encode(law, all));
    for (let i = 0; i < all.length; i++) {
      const x = all[i]!;
      // Relative error of 8-bit companding is < ~6.25 %, plus the small-signal floor.
      assert.ok(Math.abs(back[i]! - x) <= Math.max(16, Math.abs(x) * 0.0625 + 8), `${law} ${x} → ${back[i]}`);
    }
  }
});

test('byte transcoding equals decode then encode, and decoding every byte is stable', () => {
  const bytes = Uint8Array.from({ length: 256 }, (_, i) => i);
  for (const [from, to] of [
    ['PCMU', 'PCMA'],
    ['PCMA', 'PCMU'],
  ] as const) {
    const t = Uint8Array.from(bytes);
    transcodeInPlace(from, to, t);
    assert.deepEqual([...t], [...encode(to, decode(from, bytes))]);
  }
  for (const law of ['PCMU', 'PCMA'] as const) {
    const d = decode(law, bytes);
    assert.deepEqual([...decode(law, encode(law, d))], [...d]);
  }
});
