/**
 * Mixing for monitored calls: G.711 frames are decoded into per-party sample queues, summed as 16-bit linear
 * PCM with saturation, and encoded again in each listener's law. Pure: the media clock drives it (monitor.ts).
 */
import { decodeTable, encode } from './g711.js';
import type { Law } from './sdp.js';

export const FRAME_SAMPLES = 160;

/** Sum `inputs` sample by sample into `out`, clipping at the 16-bit limits instead of wrapping round. */
export function mixInto(out: Int16Array, inputs: readonly Int16Array[]): Int16Array {
  for (let i = 0; i < out.length; i++) {
    let s = 0;
    for (const x of inputs) s += x[i]!;
    out[i] = s > 32767 ? 32767 : s < -32768 ? -32768 : s;
  }
  return out;
}

/** One mixed G.711 frame: decoded inputs summed with saturation, encoded in `law`. */
export function mixFrame(
  law: Law,
  inputs: readonly Int16Array[],
  scratch: Int16Array,
  out: Uint8Array<ArrayBuffer>,
): Uint8Array {
  return encode(law, mixInto(scratch, inputs), out);
}

/** At most this much audio waits per party; more means the sender runs fast (or arrived in a burst): drop. */
const MAX_FRAMES = 8;
/** Playout starts (and restarts after running dry) with this much queued, so jitter does not chop every frame. */
const PRIME_FRAMES = 2;

/**
 * A party's incoming audio as linear samples, taken out one 20 ms frame per media-clock tick. Packets of any
 * size are accepted; running dry yields silence and re-primes, a backlog is trimmed to the priming depth.
 */
export class SampleQueue {
  private readonly ring = new Int16Array(FRAME_SAMPLES * MAX_FRAMES);
  private head = 0;
  private size = 0;
  private primed = false;
  /** Samples dropped because the queue was full (diagnostics). */
  dropped = 0;

  push(law: Law, payload: Uint8Array): void {
    const t = decodeTable(law);
    const cap = this.ring.length;
    for (let i = 0; i < payload.length; i++) {
      if (this.size === cap) {
        // Keep the newest audio: latency stays bounded whatever the sender does.
        const cut = cap - PRIME_FRAMES * FRAME_SAMPLES;
        this.head = (this.head + cut) % cap;
        this.size -= cut;
        this.dropped += cut;
      }
      this.ring[(this.head + this.size) % cap] = t[payload[i]!]!;
      this.size++;
    }
  }

  /** Fill `out` with the next frame; false (and silence) while nothing is ready. */
  take(out: Int16Array): boolean {
    if (!this.primed && this.size >= PRIME_FRAMES * FRAME_SAMPLES) this.primed = true;
    if (!this.primed || this.size < out.length) {
      this.primed = false;
      out.fill(0);
      return false;
    }
    const cap = this.ring.length;
    for (let i = 0; i < out.length; i++) out[i] = this.ring[(this.head + i) % cap]!;
    this.head = (this.head + out.length) % cap;
    this.size -= out.length;
    return true;
  }

  clear(): void {
    this.head = 0;
    this.size = 0;
    this.primed = false;
  }

  get queued(): number {
    return this.size;
  }
}
