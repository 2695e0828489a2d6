/**
 * MP3 for recordings: a stereo encoder over lamejs (caller left, agent right, kept as two channels: lamejs
 * encodes plain stereo, never joint/mid-side), and a frame walker that checks an encoded file before the WAV
 * it came from is dropped. 8 kHz audio is MPEG-2.5 Layer III: 576 samples per frame.
 */
import { Mp3Encoder } from '@breezystack/lamejs';

/** 24 kbit/s stereo: about 10.8 MB per call-hour (docs/recordings.md), clear for 8 kHz telephone audio. */
export const MP3_KBPS = 24;

/** Thrown when a file is not the MP3 the encoder should have written. */
export class Mp3Error extends Error {
  override name = 'Mp3Error';
}

export interface Mp3Info {
  frames: number;
  sampleRate: number;
  channels: number;
  /** Decoded length: frames × samples per frame (includes the encoder's ~0.14 s of delay and padding). */
  durationMs: number;
}

// Layer III bit rates (kbit/s) by version family, and sample rates by version.
const BITRATES_V1 = [0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320];
const BITRATES_V2 = [0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160];
const RATES: Record<number, number[]> = {
  3: [44100, 48000, 32000],
  2: [22050, 24000, 16000],
  0: [11025, 12000, 8000],
};

interface FrameHeader {
  length: number;
  sampleRate: number;
  channels: number;
  samples: number;
}

function frameAt(b: Uint8Array, o: number): FrameHeader | null {
  if (o + 4 > b.length || b[o] !== 0xff || (b[o + 1]! & 0xe0) !== 0xe0) return null;
  const version = (b[o + 1]! >> 3) & 3;
  const layer = (b[o + 1]! >> 1) & 3;
  const brIndex = b[o + 2]! >> 4;
  const srIndex = (b[o + 2]! >> 2) & 3;
  const padding = (b[o + 2]! >> 1) & 1;
  const mode = b[o + 3]! >> 6;
  if (version === 1 || layer !== 1 || brIndex === 0 || brIndex === 15 || srIndex === 3) return null;
  const sampleRate = RATES[version]![srIndex]!;
  const v1 = version === 3;
  const kbps = (v1 ? BITRATES_V1 : BITRATES_V2)[brIndex]!;
  const samples = v1 ? 1152 : 576;
  const length = Math.floor(((samples / 8) * kbps * 1000) / sampleRate) + padding;
  return { length, sampleRate, channels: mode === 3 ? 1 : 2, samples };
}

/** Walk every frame of an MP3 (an optional leading ID3v2 tag allowed); throws Mp3Error on anything else. */
export function inspectMp3(b: Uint8Array): Mp3Info {
  let o = 0;
  if (b.length >= 10 && b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33) {
    o = 10 + ((b[6]! << 21) | (b[7]! << 14) | (b[8]! << 7) | b[9]!);
  }
  let frames = 0;
  let samples = 0;
  let first: FrameHeader | null = null;
  while (o < b.length) {
    const h = frameAt(b, o);
    if (!h) throw new Mp3Error(`no MP3 frame at byte ${o} of ${b.length}`);
    if (o + h.length > b.length) throw new Mp3Error(`frame ${frames} at byte ${o} is cut short`);
    first ??= h;
    if (h.sampleRate !== first.sampleRate || h.channels !== first.channels) {
      throw new Mp3Error(`frame ${frames} changes format (${h.sampleRate} Hz, ${h.channels} channels)`);
    }
    frames++;
    samples += h.samples;
    o += h.length;
  }
  if (!first) throw new Mp3Error('no MP3 frames');
  return {
    frames,
    sampleRate: first.sampleRate,
    channels: first.channels,
    durationMs: Math.round((samples * 1000) / first.sampleRate),
  };
}

/** Stereo MP3 encoding in pieces: feed channel blocks of any length, then flush once. */
export class StereoMp3Encoder {
  private readonly enc: Mp3Encoder;
  constructor(sampleRate: number, kbps = MP3_KBPS) {
    this.enc = new Mp3Encoder(2, sampleRate, kbps);
  }

  encode(left: Int16Array, right: Int16Array): Buffer {
    return toBuffer(this.enc.encodeBuffer(left, right));
  }

  flush(): Buffer {
    return toBuffer(this.enc.flush());
  }
}

function toBuffer(a: Uint8Array | Int8Array): Buffer {
  return Buffer.from(a.buffer, a.byteOffset, a.byteLength);
}
