/**
 * Distinct tones per party, and what a party heard: a UDP phone that sends a sine at its own frequency (paced
 * 20 ms frames) and keeps what it receives; Goertzel amplitudes tell which parties' tones reached it.
 */
import { type Socket, createSocket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { decode, encode } from '../../src/media/g711.js';
import { parseRtp } from '../../src/media/rtp.js';
import { encodeWav } from '../../src/media/wav.js';
import type { Law } from '../../src/media/sdp.js';
import { rtpPacket } from './helpers.js';

/** Write `seconds` of a `hz` tone as an 8 kHz 16-bit mono WAV (the rate G.711 needs: phones play it unresampled). */
export function writeToneWav(path: string, hz = 440, seconds = 10): string {
  const pcm = new Int16Array(seconds * 8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000));
  writeFileSync(path, encodeWav(pcm));
  return path;
}

/** The amplitude (peak, in 16-bit units) of frequency `hz` in `pcm` (Goertzel). */
export function toneAmplitude(pcm: Int16Array, hz: number, rate = 8000): number {
  const n = pcm.length;
  if (n === 0) return 0;
  const k = (2 * Math.cos((2 * Math.PI * hz) / rate)) as number;
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < n; i++) {
    const s = pcm[i]! + k * s1 - s2;
    s2 = s1;
    s1 = s;
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / n;
}

interface Received {
  at: number;
  seq: number;
  pcm: Int16Array;
}

export class TonePhone {
  readonly sock: Socket = createSocket('udp4');
  readonly got: Received[] = [];
  port = 0;
  private timer: NodeJS.Timeout | null = null;
  /** Sending? (a muted phone stays silent, as a supervisor who says nothing). */
  sending = true;
  /** Where the other end's audio last came from (symmetric RTP: talkBack() answers there). */
  private source: number | null = null;
  private back = false;

  constructor(
    readonly hz: number,
    readonly law: Law = 'PCMU',
    readonly amplitude = 6000,
  ) {
    this.sock.on('message', (b, rinfo) => {
      if (this.back && this.timer === null) {
        this.source = rinfo.port;
        this.talk(() => this.source!);
      }
      this.source = rinfo.port;
      const p = parseRtp(b);
      if (!p || (p.payloadType !== 0 && p.payloadType !== 8)) return;
      this.got.push({
        at: performance.now(),
        seq: p.seq,
        pcm: decode(p.payloadType === 0 ? 'PCMU' : 'PCMA', p.payload),
      });
    });
  }

  async open(): Promise<this> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    return this;
  }

  /** Talk to wherever tongdai's audio comes from, once it comes (how a phone learns nothing else from the SDP here). */
  talkBack(): void {
    this.back = true;
  }

  /**
   * Start talking to tongdai's port for this leg now, as a phone does once its call is answered, unless audio came
   * first (then it is already answering its source). Without it a talkBack() phone waits to be sent audio, and a
   * stray packet that reached the fresh port first (latched: first source wins until the signalled address
   * speaks, src/media/endpoint.ts) would leave both waiting for good.
   */
  talkFromAnswer(port: number): void {
    if (!this.back || this.timer !== null) return;
    this.talk(() => this.source ?? port);
  }

  /** Send the tone to `port` on loopback every 20 ms until `stop()`. */
  talk(port: number | (() => number)): void {
    const to = typeof port === 'number' ? () => port : port;
    const t0 = performance.now();
    const ssrc = (Math.random() * 2 ** 32) >>> 0;
    const pt = this.law === 'PCMU' ? 0 : 8;
    let i = 0;
    const next = () => {
      const pcm = Int16Array.from({ length: 160 }, (_, s) =>
        this.sending
          ? Math.round(this.amplitude * Math.sin((2 * Math.PI * this.hz * (i * 160 + s)) / 8000))
          : 0,
      );
      this.sock.send(rtpPacket(pt, i & 0xffff, i * 160, ssrc, encode(this.law, pcm)), to(), '127.0.0.1');
      i++;
      this.timer = setTimeout(next, Math.max(0, t0 + i * 20 - performance.now()));
    };
    next();
  }

  /** The audio received since `from` (performance.now() ms), in arrival order. */
  heardSince(from: number, until = Infinity): Int16Array {
    const parts = this.got.filter((g) => g.at >= from && g.at < until);
    const out = new Int16Array(parts.reduce((n, p) => n + p.pcm.length, 0));
    let o = 0;
    for (const p of parts) {
      out.set(p.pcm, o);
      o += p.pcm.length;
    }
    return out;
  }

  /** Amplitudes of each named tone in what arrived since `from`. */
  tonesSince(from: number, tones: Record<string, number>, until = Infinity): Record<string, number> {
    const pcm = this.heardSince(from, until);
    return Object.fromEntries(
      Object.entries(tones).map(([k, hz]) => [k, Math.round(toneAmplitude(pcm, hz))]),
    );
  }

  stop(): void {
    this.back = false;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  close(): void {
    this.stop();
    try {
      this.sock.close();
    } catch {
      // Already closed.
    }
  }
}

/** A tone is heard when its amplitude is at least this (sent at 6000; the mix keeps it, companding aside). */
export const HEARD = 2500;
/** … and absent below this (leakage of the other tones in a 0.5 s window is far below). */
export const ABSENT = 300;
