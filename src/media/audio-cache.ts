/** Decoded audio clips shared by every stream that plays them: loaded once, encoded once per G.711 law. */
import { readFileSync } from 'node:fs';
import { encode } from './g711.js';
import { synthMusicOnHold } from './generate.js';
import type { Law } from './sdp.js';
import { toTelephonyPcm } from './wav.js';

export class Clip {
  private readonly encoded: Partial<Record<Law, Buffer>> = {};
  constructor(readonly pcm: Int16Array) {}

  /** The clip as G.711 bytes of `law` (one byte per sample). */
  bytes(law: Law): Buffer {
    let b = this.encoded[law];
    if (!b) {
      const e = encode(law, this.pcm);
      b = Buffer.from(e.buffer, e.byteOffset, e.byteLength);
      this.encoded[law] = b;
    }
    return b;
  }
}

export class AudioCache {
  private readonly clips = new Map<string, Clip>();
  private defaultMoh: Clip | null = null;

  /** The clip for a WAV file (any format parseWav reads); throws WavError or an fs error. */
  get(path: string): Clip {
    let c = this.clips.get(path);
    if (!c) {
      c = new Clip(toTelephonyPcm(readFileSync(path)));
      this.clips.set(path, c);
    }
    return c;
  }

  /** The synthesised hold music, used when a queue names no file or its file cannot be read. */
  fallbackMoh(): Clip {
    this.defaultMoh ??= new Clip(synthMusicOnHold());
    return this.defaultMoh;
  }

  /** Forget a file (after an upload replaced it). */
  invalidate(path: string): void {
    this.clips.delete(path);
  }
}
