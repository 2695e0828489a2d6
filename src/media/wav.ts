/**
 * WAV (RIFF) reading and conversion to the media engine's internal format (8 kHz mono PCM16), and
 * the header writer the recorder patches as it goes. Pure TypeScript, no sox at run time.
 */
import { decode } from './g711.js';

export const RATE = 8000;

/** Thrown for files that are not a WAV we can read (the upload endpoint answers 400). */
export class WavError extends Error {
  readonly code = 'WAV_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'WavError';
  }
}

export interface WavFormat {
  /** 1 PCM, 3 IEEE float, 6 A-law, 7 µ-law (WAVE_FORMAT_EXTENSIBLE is resolved to its sub-format). */
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
}

export interface DecodedWav {
  format: WavFormat;
  /** One Float32Array per channel, samples in [-1, 1]. */
  channels: Float32Array[];
}

function readFmt(buf: Buffer, off: number, size: number): WavFormat {
  if (size < 16) throw new WavError('fmt chunk too short');
  let format = buf.readUInt16LE(off);
  if (format === 0xfffe && size >= 26) format = buf.readUInt16LE(off + 24);
  const f = {
    format,
    channels: buf.readUInt16LE(off + 2),
    sampleRate: buf.readUInt32LE(off + 4),
    bitsPerSample: buf.readUInt16LE(off + 14),
  };
  if (f.channels < 1 || f.channels > 8) throw new WavError(`unsupported channel count ${f.channels}`);
  if (f.sampleRate < 1000 || f.sampleRate > 384000)
    throw new WavError(`unsupported sample rate ${f.sampleRate}`);
  return f;
}

function sampleReader(f: WavFormat): { bytes: number; read: (b: Buffer, o: number) => number } {
  const { format, bitsPerSample: bits } = f;
  if (format === 1 && bits === 8) return { bytes: 1, read: (b, o) => (b[o]! - 128) / 128 };
  if (format === 1 && bits === 16) return { bytes: 2, read: (b, o) => b.readInt16LE(o) / 32768 };
  if (format === 1 && bits === 24) return { bytes: 3, read: (b, o) => b.readIntLE(o, 3) / 8388608 };
  if (format === 1 && bits === 32) return { bytes: 4, read: (b, o) => b.readInt32LE(o) / 2147483648 };
  if (format === 3 && bits === 32) return { bytes: 4, read: (b, o) => b.readFloatLE(o) };
  if (format === 3 && bits === 64) return { bytes: 8, read: (b, o) => b.readDoubleLE(o) };
  if ((format === 6 || format === 7) && bits === 8) {
    const t = decode(
      format === 6 ? 'PCMA' : 'PCMU',
      Uint8Array.from({ length: 256 }, (_, i) => i),
    );
    return { bytes: 1, read: (b, o) => t[b[o]!]! / 32768 };
  }
  throw new WavError(`unsupported WAV encoding (format ${format}, ${bits} bits)`);
}

/** Parse a RIFF/WAVE file into float channels; throws WavError on anything else. */
export function parseWav(buf: Buffer): DecodedWav {
  if (buf.length < 12 || buf.toString('ascii', 0, 4) !== 'RIFF' || buf.toString('ascii', 8, 12) !== 'WAVE') {
    throw new WavError('not a RIFF/WAVE file');
  }
  let fmt: WavFormat | null = null;
  let data: Buffer | null = null;
  let off = 12;
  while (off + 8 <= buf.length) {
    const id = buf.toString('ascii', off, off + 4);
    let size = buf.readUInt32LE(off + 4);
    // A recorder that crashed before patching may leave 0 or 0xFFFFFFFF: take what the file holds.
    if (id === 'data' && (size === 0 || off + 8 + size > buf.length)) size = buf.length - off - 8;
    if (id === 'fmt ') fmt = readFmt(buf, off + 8, size);
    if (id === 'data') data = buf.subarray(off + 8, off + 8 + size);
    off += 8 + size + (size & 1);
  }
  if (!fmt) throw new WavError('no fmt chunk');
  if (!data) throw new WavError('no data chunk');
  const { bytes, read } = sampleReader(fmt);
  const frames = Math.floor(data.length / (bytes * fmt.channels));
  const channels = Array.from({ length: fmt.channels }, () => new Float32Array(frames));
  for (let i = 0, o = 0; i < frames; i++) {
    for (let c = 0; c < fmt.channels; c++, o += bytes) channels[c]![i] = read(data, o);
  }
  return { format: fmt, channels };
}

/** Average the channels into one. */
export function downmix(channels: Float32Array[]): Float32Array {
  if (channels.length === 1) return channels[0]!;
  const out = new Float32Array(channels[0]!.length);
  for (const ch of channels) for (let i = 0; i < out.length; i++) out[i]! += ch[i]! / channels.length;
  return out;
}

/**
 * Resample with a windowed-sinc low-pass (cut-off at the lower Nyquist), so downsampling music from
 * 44.1/48 kHz to 8 kHz does not fold its treble back into the telephone band as aliasing.
 */
export function resample(input: Float32Array, from: number, to: number): Float32Array {
  if (from === to) return input;
  const ratio = to / from;
  const cutoff = Math.min(1, ratio) * 0.95;
  const half = 16 / Math.min(1, ratio);
  const out = new Float32Array(Math.floor(input.length * ratio));
  for (let i = 0; i < out.length; i++) {
    const center = i / ratio;
    const lo = Math.max(0, Math.ceil(center - half));
    const hi = Math.min(input.length - 1, Math.floor(center + half));
    let acc = 0;
    let norm = 0;
    for (let j = lo; j <= hi; j++) {
      const x = j - center;
      const sinc = x === 0 ? cutoff : Math.sin(Math.PI * cutoff * x) / (Math.PI * x);
      const w = 0.5 + 0.5 * Math.cos((Math.PI * x) / half);
      acc += input[j]! * sinc * w;
      norm += sinc * w;
    }
    out[i] = norm === 0 ? 0 : acc / norm;
  }
  return out;
}

export function floatToPcm16(f: Float32Array): Int16Array {
  const out = new Int16Array(f.length);
  for (let i = 0; i < f.length; i++) out[i] = Math.max(-32768, Math.min(32767, Math.round(f[i]! * 32767)));
  return out;
}

/** Any readable WAV → 8 kHz mono PCM16 samples. */
export function toTelephonyPcm(buf: Buffer): Int16Array {
  const wav = parseWav(buf);
  return floatToPcm16(resample(downmix(wav.channels), wav.format.sampleRate, RATE));
}

/** A canonical 44-byte PCM16 header for `dataBytes` of sample data. */
export function wavHeader(channels: number, sampleRate: number, dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0, 'ascii');
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVEfmt ', 8, 'ascii');
  h.writeUInt32LE(16, 16);
  h.writeUInt16LE(1, 20);
  h.writeUInt16LE(channels, 22);
  h.writeUInt32LE(sampleRate, 24);
  h.writeUInt32LE(sampleRate * channels * 2, 28);
  h.writeUInt16LE(channels * 2, 32);
  h.writeUInt16LE(16, 34);
  h.write('data', 36, 'ascii');
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** A whole 8 kHz mono PCM16 WAV file. */
export function encodeWav(pcm: Int16Array, sampleRate = RATE): Buffer {
  const data = Buffer.from(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return Buffer.concat([wavHeader(1, sampleRate, data.length), data]);
}
