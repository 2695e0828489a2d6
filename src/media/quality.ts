/**
 * Receive-side quality of one RTP stream, as RFC 3550 §6.4.1 and appendix A.8 define it: packets lost
 * (expected from the extended highest sequence number, minus received) and interarrival jitter. Fed one call per
 * accepted audio packet; read by the metrics (src/metrics/media.ts) through `Endpoint.stats()`.
 */
const SAMPLE_RATE = 8000; // G.711, the only audio codecs tongdai carries

export interface StreamQuality {
  /** Packets expected but not received, summed over every source the port heard (never below 0). */
  lost: number;
  /** The current source's interarrival jitter in seconds (0 before two packets). */
  jitterSec: number;
}

export class RtpQuality {
  private ssrc = -1;
  private base = 0;
  private maxExt = 0;
  private received = 0;
  private lostBefore = 0;
  private transit: number | null = null;
  /** Jitter in timestamp units, kept as RFC 3550 keeps it (J += (|D| - J) / 16). */
  private jitter = 0;

  /** One accepted packet: its SSRC, sequence number and RTP timestamp, and its arrival in monotonic ms. */
  packet(ssrc: number, seq: number, timestamp: number, arrivalMs: number): void {
    if (ssrc !== this.ssrc) {
      // A new source (transfer, re-INVITE to another phone): the old one's loss is kept, its counters restart.
      this.lostBefore += this.lostNow();
      this.ssrc = ssrc;
      this.base = seq;
      this.maxExt = seq;
      this.received = 0;
      this.transit = null;
      this.jitter = 0;
    }
    this.received++;
    const cycle = this.maxExt - (this.maxExt % 0x10000);
    let ext = cycle + seq;
    // Pick the extension of `seq` nearest the highest seen, so wrap-around and reordering both work.
    if (ext - this.maxExt > 0x8000) ext -= 0x10000;
    else if (this.maxExt - ext > 0x8000) ext += 0x10000;
    if (ext > this.maxExt) this.maxExt = ext;
    const arrival = (arrivalMs * SAMPLE_RATE) / 1000;
    const transit = arrival - timestamp;
    if (this.transit !== null) {
      let d = Math.abs(transit - this.transit);
      // A timestamp wrap (2^32) shows up as a huge jump: it is not jitter.
      if (d > 0x80000000) d = Math.abs(d - 0x100000000);
      this.jitter += (d - this.jitter) / 16;
    }
    this.transit = transit;
  }

  snapshot(): StreamQuality {
    return { lost: this.lostBefore + this.lostNow(), jitterSec: this.jitter / SAMPLE_RATE };
  }

  private lostNow(): number {
    if (this.ssrc < 0) return 0;
    return Math.max(0, this.maxExt - this.base + 1 - this.received);
  }
}

/** Totals of every endpoint a media engine opened: the closed ones kept here, the open ones read when asked. */
export interface MediaTotalsSnapshot {
  packetsIn: number;
  packetsOut: number;
  lost: number;
  openStreams: number;
  /** Jitter of the open endpoints that have received audio, in seconds. */
  jitterMeanSec: number;
  jitterMaxSec: number;
}

interface CountedStats {
  packetsIn: number;
  packetsOut: number;
  lost?: number;
  jitterSec?: number;
}

export class MediaTotals {
  private readonly closed = { packetsIn: 0, packetsOut: 0, lost: 0 };

  constructor(private readonly open: () => Iterable<CountedStats>) {}

  /** An endpoint closed: keep what it counted. */
  retire(s: CountedStats): void {
    this.closed.packetsIn += s.packetsIn;
    this.closed.packetsOut += s.packetsOut;
    this.closed.lost += s.lost ?? 0;
  }

  snapshot(): MediaTotalsSnapshot {
    const t = { ...this.closed, openStreams: 0, jitterMeanSec: 0, jitterMaxSec: 0 };
    let receiving = 0;
    let jitterSum = 0;
    for (const s of this.open()) {
      t.openStreams++;
      t.packetsIn += s.packetsIn;
      t.packetsOut += s.packetsOut;
      t.lost += s.lost ?? 0;
      if (s.packetsIn > 1) {
        receiving++;
        jitterSum += s.jitterSec ?? 0;
        t.jitterMaxSec = Math.max(t.jitterMaxSec, s.jitterSec ?? 0);
      }
    }
    t.jitterMeanSec = receiving ? jitterSum / receiving : 0;
    return t;
  }
}
