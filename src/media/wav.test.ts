import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from './g711.js';
import { WavError, encodeWav, parseWav, resample, toTelephonyPcm, wavHeader } from './wav.js';

function wav(format: number, channels: number, rate: number, bits: number, data: Buffer): Buffer {
  const h = wavHeader(channels, rate, data.length);
  h.writeUInt16LE(format, 20);
  h.writeUInt32LE((rate * channels * bits) / 8, 28);
  h.writeUInt16LE((channels * bits) / 8, 32);
  h.writeUInt16LE(bits, 34);
  return Buffer.concat([h, data]);
}

const sine = (hz: number, rate: number, n: number, amp = 0.5) =>
  Float64Array.from({ length: n }, (_, i) => amp * Math.sin((2 * Math.PI * hz * i) / rate));

function rms(x: ArrayLike<number>, from = 0, to = x.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s += x[i]! * x[i]!;
  return Math.sqrt(s / (to - from));
}

test('44.1 kHz stereo PCM16 becomes 8 kHz mono with the same duration and level', () => {
  const n = 44100;
  const s = sine(440, 44100, n);
  const data = Buffer.alloc(n * 4);
  for (let i = 0; i < n; i++) {
    data.writeInt16LE(Math.round(s[i]! * 32767), i * 4);
    data.writeInt16LE(Math.round(s[i]! * 32767), i * 4 + 2);
  }
  const pcm = toTelephonyPcm(wav(1, 2, 44100, 16, data));
  assert.equal(pcm.length, 8000);
  const level = rms(pcm, 100, 7900) / 32767;
  assert.ok(Math.abs(level - 0.5 / Math.SQRT2) < 0.02, `rms ${level}`);
});

test('resampling removes content above the new Nyquist instead of aliasing it', () => {
  const hi = Float32Array.from(sine(6000, 48000, 48000)); // above 4 kHz: must vanish at 8 kHz
  const out = resample(hi, 48000, 8000);
  assert.ok(rms(out, 100, out.length - 100) < 0.01, `alias rms ${rms(out, 100, out.length - 100)}`);
});

test('reads 8-bit, 24-bit, float and µ-law files; rejects garbage with WavError', () => {
  const u8 = toTelephonyPcm(wav(1, 1, 8000, 8, Buffer.from([128, 255, 0])));
  assert.deepEqual([...u8], [0, 32511, -32767]);
  const f32 = Buffer.alloc(8);
  f32.writeFloatLE(0.5, 0);
  f32.writeFloatLE(-1, 4);
  assert.deepEqual([...toTelephonyPcm(wav(3, 1, 8000, 32, f32))], [16384, -32767]);
  const i24 = Buffer.from([0, 0, 0x40, 0, 0, 0xc0]);
  assert.deepEqual([...toTelephonyPcm(wav(1, 1, 8000, 24, i24))], [16384, -16383]);
  const mu = Buffer.from(encode('PCMU', Int16Array.from([1000, -1000])));
  const back = toTelephonyPcm(wav(7, 1, 8000, 8, mu));
  assert.ok(Math.abs(back[0]! - 1000) < 40 && Math.abs(back[1]! + 1000) < 40);
  for (const bad of [
    Buffer.from('hello'),
    Buffer.from('RIFF\0\0\0\0WAVEjunk'),
    wav(2, 1, 8000, 4, Buffer.alloc(8)),
  ]) {
    assert.throws(() => parseWav(bad), WavError);
  }
});

test('a header whose data length was never patched (crash) is read up to the end of the file', () => {
  const file = encodeWav(Int16Array.from([1, 2, 3, 4]));
  file.writeUInt32LE(0, 40);
  assert.equal(parseWav(file).channels[0]!.length, 4);
});
