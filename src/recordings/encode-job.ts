/**
 * The encoding itself (run inside a worker thread by src/recordings/encoder.ts): read the recorder's stereo WAV
 * in blocks, encode it to MP3 beside it (`.part`, synced, read back and checked frame by frame, then renamed),
 * and report what was encoded. A WAV a crash left behind is encoded as far as it is readable: an unpatched
 * length, a cut-off last frame or a damaged header (the recorder always writes the canonical 44-byte one) are
 * tolerated and reported in `notes`.
 */
import {
  closeSync,
  fstatSync,
  fsyncSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { MP3_KBPS, StereoMp3Encoder, inspectMp3 } from './mp3.js';

export interface EncodeRequest {
  wavPath: string;
  mp3Path: string;
  kbps?: number;
}

export interface EncodeResult {
  /** Length of the audio encoded (from the WAV's samples). */
  durationMs: number;
  sizeBytes: number;
  frames: number;
  /** What was off about the WAV (a crash's leftovers), empty for a clean file. */
  notes: string[];
}

interface WavLayout {
  dataOffset: number;
  dataBytes: number;
  sampleRate: number;
  notes: string[];
}

const BLOCK_FRAMES = 576 * 64;

/** Where the samples are: the data chunk when the header is sound, else the recorder's fixed layout. */
export function wavLayout(head: Buffer, fileSize: number): WavLayout {
  const notes: string[] = [];
  const fallback = (why: string): WavLayout => ({
    dataOffset: 44,
    dataBytes: Math.max(0, fileSize - 44),
    sampleRate: 8000,
    notes: [`${why}: read as 8 kHz stereo PCM16 after 44 bytes`],
  });
  if (head.length < 12 || head.toString('ascii', 0, 4) !== 'RIFF' || head.toString('ascii', 8, 12) !== 'WAVE')
    return fallback('no RIFF/WAVE header');
  let off = 12;
  let sampleRate = 0;
  while (off + 8 <= head.length) {
    const id = head.toString('ascii', off, off + 4);
    const size = head.readUInt32LE(off + 4);
    if (id === 'fmt ' && off + 24 <= head.length) {
      const format = head.readUInt16LE(off + 8);
      const channels = head.readUInt16LE(off + 10);
      const bits = head.readUInt16LE(off + 22);
      if (format !== 1 || channels !== 2 || bits !== 16)
        throw new Error(
          `not a stereo PCM16 recording (format ${format}, ${channels} channels, ${bits} bits)`,
        );
      sampleRate = head.readUInt32LE(off + 12);
    }
    if (id === 'data') {
      if (!sampleRate) return fallback('data before fmt');
      const available = fileSize - off - 8;
      let dataBytes = size;
      if (size === 0 || size > available) {
        dataBytes = available;
        notes.push(`header declared ${size} data bytes, file holds ${available}`);
      }
      if (dataBytes % 4) notes.push(`last frame cut short (${dataBytes % 4} bytes dropped)`);
      return { dataOffset: off + 8, dataBytes: dataBytes - (dataBytes % 4), sampleRate, notes };
    }
    off += 8 + size + (size & 1);
  }
  return fallback('no data chunk');
}

/** Encode one recording; throws when the WAV cannot be read at all or the MP3 does not check out. */
export function encodeWavToMp3(req: EncodeRequest): EncodeResult {
  const fd = openSync(req.wavPath, 'r');
  const part = `${req.mp3Path}.part`;
  const out = openSync(part, 'w', 0o640);
  let layout: WavLayout;
  let frames = 0;
  try {
    const head = Buffer.alloc(4096);
    const got = readSync(fd, head, 0, head.length, 0);
    layout = wavLayout(head.subarray(0, got), fstatSync(fd).size);
    const enc = new StereoMp3Encoder(layout.sampleRate, req.kbps ?? MP3_KBPS);
    const buf = Buffer.alloc(BLOCK_FRAMES * 4);
    const left = new Int16Array(BLOCK_FRAMES);
    const right = new Int16Array(BLOCK_FRAMES);
    const total = layout.dataBytes / 4;
    while (frames < total) {
      const want = Math.min(BLOCK_FRAMES, total - frames) * 4;
      const n = readSync(fd, buf, 0, want, layout.dataOffset + frames * 4);
      const count = Math.floor(n / 4);
      if (count === 0) break;
      for (let i = 0; i < count; i++) {
        left[i] = buf.readInt16LE(i * 4);
        right[i] = buf.readInt16LE(i * 4 + 2);
      }
      writeAll(out, enc.encode(left.subarray(0, count), right.subarray(0, count)));
      frames += count;
    }
    writeAll(out, enc.flush());
    fsyncSync(out);
  } finally {
    closeSync(fd);
    closeSync(out);
  }
  const durationMs = Math.round((frames * 1000) / layout.sampleRate);
  const bytes = readFileSync(part);
  const info = inspectMp3(bytes);
  if (info.channels !== 2 || info.sampleRate !== layout.sampleRate)
    throw new Error(`encoded MP3 is ${info.channels} channels at ${info.sampleRate} Hz`);
  // The decoder's length is the audio plus the encoder's delay and padding (under ~0.3 s), never less.
  if (info.durationMs < durationMs || info.durationMs > durationMs + 300)
    throw new Error(`encoded MP3 lasts ${info.durationMs} ms for ${durationMs} ms of audio`);
  renameSync(part, req.mp3Path);
  return { durationMs, sizeBytes: bytes.length, frames: info.frames, notes: layout.notes };
}

function writeAll(fd: number, b: Buffer): void {
  for (let o = 0; o < b.length;) o += writeSync(fd, b, o, b.length - o);
}
