/**
 * Stereo call recorder: caller on the left, agent on the right, 8 kHz PCM16. Each packet is placed by
 * its RTP timestamp, anchored to its arrival time, so both channels stay aligned and gaps (lost packets,
 * hold, silence suppression) become silence. The WAV header is written with a zero length at open and
 * patched after every flush and on close, so a crash leaves a file any player reads up to the last flush.
 * Writes are asynchronous and queued per file (data, then the header that counts it), so a slow disk
 * never stalls the relay's event loop and the header never claims data that is not written yet.
 */
import { close, closeSync, fstatSync, openSync, write, writeSync } from 'node:fs';
import { promisify } from 'node:util';
import { decodeTable } from './g711.js';
import type { Law } from './sdp.js';
import { RATE, wavHeader } from './wav.js';

const SAMPLES_PER_MS = RATE / 1000;
const writeAt = promisify(
  (fd: number, buf: Buffer, position: number, cb: (err: NodeJS.ErrnoException | null) => void) =>
    write(fd, buf, 0, buf.length, position, (err) => cb(err)),
);
const closeFd = promisify(close);
/** Audio this recent stays in memory, so late (jittered) packets still land in place. */
const JITTER_FRAMES = 300 * SAMPLES_PER_MS;
/** The in-memory window (interleaved stereo frames). */
const WINDOW_FRAMES = 3 * RATE;
/** A timestamp this far from the arrival time means a jump in the sender's clock: re-anchor. */
const REANCHOR_FRAMES = 500 * SAMPLES_PER_MS;
/** About a minute of stereo audio waiting for the disk. */
const MAX_PENDING_BYTES = 2 << 20;

/** A paused span of a recording: where it starts in the file and how long it is (silence in the file). */
export interface RecordingPause {
  offsetMs: number;
  durationMs: number;
}

export interface RecordingResult {
  path: string;
  durationMs: number;
  sizeBytes: number;
  /** Paused spans, in order (empty when never paused). */
  pauses: RecordingPause[];
}

interface ChannelAnchor {
  ssrc: number;
  ts: number;
  pos: number;
}

export class StereoRecorder {
  private readonly fd: number;
  private readonly t0: number;
  private readonly window = new Int16Array(WINDOW_FRAMES * 2);
  /** Frame index (since start) of window[0]; everything before it is on disk. */
  private base = 0;
  private maxFrame = 0;
  private readonly anchors: (ChannelAnchor | null)[] = [null, null];
  private failed: Error | null = null;
  private closed: Promise<RecordingResult> | null = null;
  /** The file's write queue, and how many bytes wait in it. */
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;
  /** Paused spans in frames since start; the last one is open (end null) while paused. */
  private readonly spans: { start: number; end: number | null }[] = [];
  /** Nothing is written before this frame (the end of the last pause), whatever a late packet's timestamp says. */
  private floor = 0;

  constructor(
    readonly path: string,
    private readonly now: () => number,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    this.fd = openSync(path, 'w', 0o640);
    try {
      writeSync(this.fd, wavHeader(2, RATE, 0), 0, 44, 0);
    } catch (e) {
      closeSync(this.fd);
      throw e;
    }
    this.t0 = now();
  }

  /** Place one G.711 frame on channel 0 (caller, left) or 1 (agent, right). */
  write(channel: 0 | 1, law: Law, ssrc: number, timestamp: number, payload: Uint8Array): void {
    if (this.closed) return;
    const arrival = Math.round((this.now() - this.t0) * SAMPLES_PER_MS) - payload.length;
    let a = this.anchors[channel];
    let pos = a && a.ssrc === ssrc ? a.pos + ((timestamp - a.ts) | 0) : NaN;
    if (!a || Number.isNaN(pos) || Math.abs(pos - arrival) > REANCHOR_FRAMES) {
      a = { ssrc, ts: timestamp, pos: Math.max(0, arrival) };
      this.anchors[channel] = a;
      pos = a.pos;
    }
    const end = pos + payload.length;
    if (end - this.base > WINDOW_FRAMES) this.flushTo(end - WINDOW_FRAMES);
    const table = decodeTable(law);
    // A packet straddling the pause's start or end keeps exactly the samples outside the paused span.
    const open = this.paused ? this.spans[this.spans.length - 1]!.start : Infinity;
    const stop = Math.min(payload.length, open - pos);
    for (let i = Math.max(0, this.base - pos, this.floor - pos); i < stop; i++) {
      this.window[(pos + i - this.base) * 2 + channel] = table[payload[i]!]!;
    }
    if (stop > 0) this.maxFrame = Math.max(this.maxFrame, Math.min(end, pos + stop));
  }

  /** Where in the file audio arriving now lands (ms since the recording started). */
  get positionMs(): number {
    return Math.round(this.nowFrame() / SAMPLES_PER_MS);
  }

  get paused(): boolean {
    const last = this.spans[this.spans.length - 1];
    return last !== undefined && last.end === null;
  }

  /**
   * Stop taking audio from now on: the span until `resume()` is silence in the file (its length is the time that
   * passed). Audio already placed after this instant (a packet's tail) is cleared. False when already paused.
   */
  pause(): boolean {
    if (this.closed || this.paused) return false;
    const at = Math.max(this.base, this.nowFrame());
    if (this.maxFrame > at) {
      this.window.fill(
        0,
        Math.min(this.window.length, (at - this.base) * 2),
        (this.maxFrame - this.base) * 2,
      );
    }
    this.maxFrame = Math.max(this.maxFrame, at);
    this.spans.push({ start: at, end: null });
    return true;
  }

  /** Take audio again; false when not paused. */
  resume(): boolean {
    if (this.closed || !this.paused) return false;
    const at = Math.max(this.nowFrame(), this.spans[this.spans.length - 1]!.start);
    this.spans[this.spans.length - 1]!.end = at;
    this.floor = at;
    return true;
  }

  private nowFrame(): number {
    return Math.round((this.now() - this.t0) * SAMPLES_PER_MS);
  }

  /** Write out everything older than the jitter allowance and patch the header (called periodically). */
  flush(): void {
    if (this.closed) return;
    const nowFrame = Math.round((this.now() - this.t0) * SAMPLES_PER_MS);
    this.flushTo(Math.min(nowFrame - JITTER_FRAMES, this.base + WINDOW_FRAMES));
    this.patchHeader();
  }

  /** Flush everything up to now, patch the header and close the file (idempotent). */
  close(): Promise<RecordingResult> {
    if (this.closed) return this.closed;
    const nowFrame = Math.round((this.now() - this.t0) * SAMPLES_PER_MS);
    const target = Math.max(nowFrame, this.maxFrame);
    const open = this.spans[this.spans.length - 1];
    if (open && open.end === null) open.end = Math.max(open.start, target);
    while (this.base < target) this.flushTo(Math.min(target, this.base + WINDOW_FRAMES));
    this.patchHeader();
    let frames = this.base;
    this.closed = this.queue
      .then(() => {
        // After a write failure the file holds less than was recorded: report what it holds.
        if (this.failed) frames = Math.max(0, Math.floor((fstatSync(this.fd).size - 44) / 4));
        return closeFd(this.fd);
      })
      .catch((e: unknown) => this.fail(e))
      .then(() => ({
        path: this.path,
        durationMs: Math.round(frames / SAMPLES_PER_MS),
        sizeBytes: 44 + frames * 4,
        pauses: this.spans
          .filter((p) => p.start < frames)
          .map((p) => ({
            offsetMs: Math.round(p.start / SAMPLES_PER_MS),
            durationMs: Math.round((Math.min(p.end ?? frames, frames) - p.start) / SAMPLES_PER_MS),
          })),
      }));
    return this.closed;
  }

  private flushTo(target: number): void {
    const frames = Math.min(target - this.base, WINDOW_FRAMES);
    if (frames <= 0) return;
    // A copy: the window is reused at once, the write happens later.
    const bytes = Buffer.from(this.window.buffer.slice(0, frames * 4));
    this.enqueue(bytes, 44 + this.base * 4);
    this.window.copyWithin(0, frames * 2);
    this.window.fill(0, (WINDOW_FRAMES - frames) * 2);
    this.base += frames;
  }

  private patchHeader(): void {
    this.enqueue(wavHeader(2, RATE, this.base * 4), 0);
  }

  private enqueue(bytes: Buffer, position: number): void {
    if (this.failed) return;
    // A disk that cannot keep up must not turn into unbounded memory: give the recording up instead.
    if (this.pending + bytes.length > MAX_PENDING_BYTES) {
      this.fail(
        new Error(`recording writes are more than ${MAX_PENDING_BYTES >> 20} MB behind (disk too slow)`),
      );
      return;
    }
    this.pending += bytes.length;
    this.queue = this.queue.then(async () => {
      try {
        if (!this.failed) await writeAt(this.fd, bytes, position);
      } catch (e) {
        this.fail(e);
      } finally {
        this.pending -= bytes.length;
      }
    });
  }

  private fail(e: unknown): void {
    if (this.failed) return;
    this.failed = e instanceof Error ? e : new Error(String(e));
    this.onError(this.failed);
  }
}
