/**
 * One RTP port of one call leg. Inbound packets are latched (symmetric RTP), tapped (recorder, DTMF)
 * and relayed to the bridged peer; outbound audio is either the peer's packets rewritten into this
 * endpoint's own SSRC/sequence/timestamp space, or locally generated frames (hold music, prompts)
 * driven by the shared media clock, so the far end sees one continuous stream across switches.
 */
import type { Socket } from 'node:dgram';
import type { AudioCache, Clip } from './audio-cache.js';
import { transcodeInPlace } from './g711.js';
import {
  eventDigit,
  parseRtp,
  parseTelephoneEvent,
  type RtpPacket,
  seqDelta,
  writeRtpHeader,
} from './rtp.js';
import { FRAME_MS, type MediaClock, type Ticker } from './scheduler.js';
import { type Law, isPrivateIp } from './sdp.js';
import { RtpQuality } from './quality.js';
import type { WebRtcTransport } from './webrtc.js';

/** The source address a WebRTC leg's packets are latched to (they come out of its DTLS transport, not a socket). */
const WEBRTC_SOURCE = { ip: 'webrtc', port: 0 };

const FRAME_SAMPLES = 160;

export interface RemoteMedia {
  ip: string;
  port: number;
  codec: Law;
  payloadType: number;
  dtmfPayloadType?: number | null;
  /**
   * Our own loopback relay (a media worker's leg to a main-thread WebRTC leg or to another worker): send at once,
   * although the address is private and nothing was latched yet (src/media/remote.ts).
   */
  trusted?: boolean;
}

export interface EndpointStats {
  packetsIn: number;
  packetsOut: number;
  bytesIn: number;
  bytesOut: number;
  /** Wall-clock ms (the injected Clock) of the last packet received, for RTP-timeout detection. */
  lastPacketAt: number | null;
  /** Receive-side loss and jitter (src/media/quality.ts), for the metrics. */
  lost?: number;
  jitterSec?: number;
}

/** Receives every accepted inbound audio packet (the recorder) with the law it is encoded in. */
export type AudioTap = (law: Law, pkt: RtpPacket) => void;
export type DtmfListener = (digit: string, durationMs: number) => void;

export interface EndpointEnv {
  mediaClock: MediaClock;
  cache: AudioCache;
  /** Monotonic ms. */
  mono(): number;
  /** Wall-clock ms. */
  wall(): number;
  warn(obj: object, msg: string): void;
  released(ep: Endpoint): void;
  /**
   * Where this endpoint also publishes its counters (a media worker's SharedArrayBuffer slot, read by the main
   * thread without a message): STAT_FIELDS numbers in the order of `StatSlot`.
   */
  counters?: Float64Array;
}

/** The layout of an endpoint's counters in a shared stats slot (src/media/workers.ts reads it). */
export const StatSlot = {
  packetsIn: 0,
  packetsOut: 1,
  bytesIn: 2,
  bytesOut: 3,
  /** Wall-clock ms of the last packet received, NaN before the first. */
  lastPacketAt: 4,
  lost: 5,
  jitterSec: 6,
} as const;
export const STAT_FIELDS = 8;

interface Playback {
  clip: Clip;
  pos: number;
}

export class Endpoint implements Ticker {
  remote: RemoteMedia | null = null;
  peer: Endpoint | null = null;
  tap: AudioTap | null = null;
  /** A monitored call's mixer reads this leg's audio here (src/media/monitor.ts). */
  mixIn: AudioTap | null = null;
  onDtmf: DtmfListener | null = null;
  /** Identifies the bridge this leg is in, so stopping an older bridge leaves a newer one alone. */
  bridgeToken: object | null = null;
  private latched: { ip: string; port: number } | null = null;
  // Outgoing stream state: one SSRC, sequence and timestamp line whatever the source.
  private readonly ssrc = (Math.random() * 0x100000000) >>> 0;
  private seq = (Math.random() * 0x10000) & 0xffff;
  private ts = (Math.random() * 0x100000000) >>> 0;
  private lastSentAt: number | null = null;
  private lastClockFrame = 0;
  private relayMap: { src: number; seqOffset: number; tsOffset: number } | null = null;
  private moh: Playback | null = null;
  private prompt: { clips: Clip[]; index: number; pos: number; done: () => void } | null = null;
  private local = false;
  /** While true the outgoing stream is the mixer's (relayed packets are not sent). */
  private mixing = false;
  private lastDtmfEndTs: number | null = null;
  private closed = false;
  /** Set on a browser's leg: packets go in and out through its DTLS-SRTP transport instead of the UDP socket. */
  private webrtc: WebRtcTransport | null = null;
  private readonly quality = new RtpQuality();
  private readonly st: EndpointStats = {
    packetsIn: 0,
    packetsOut: 0,
    bytesIn: 0,
    bytesOut: 0,
    lastPacketAt: null,
  };

  constructor(
    private readonly socket: Socket,
    readonly localIp: string,
    readonly localPort: number,
    private readonly env: EndpointEnv,
  ) {
    socket.on('message', (buf, rinfo) => this.receive(buf, rinfo.address, rinfo.port));
    socket.on('error', (err) => env.warn({ err: err.message, port: localPort }, 'rtp socket error'));
  }

  /** From now on this leg's media is `t`'s (a WebRTC peer); the UDP port stays reserved but unused. */
  attachWebRtc(t: WebRtcTransport): void {
    if (this.closed) return t.close();
    this.webrtc?.close();
    this.webrtc = t;
    this.latched = null;
    t.onPacket = (buf) => this.receive(buf, WEBRTC_SOURCE.ip, WEBRTC_SOURCE.port, true);
  }

  get webRtc(): WebRtcTransport | null {
    return this.webrtc;
  }

  setRemote(r: RemoteMedia): void {
    // A re-INVITE that moves the stream to a new address unlatches; the same address keeps the NAT latch.
    if (this.remote && (this.remote.ip !== r.ip || this.remote.port !== r.port)) this.latched = null;
    this.remote = { ...r, dtmfPayloadType: r.dtmfPayloadType ?? null };
  }

  startMoh(clip: Clip): void {
    if (this.closed) return;
    this.moh = { clip, pos: 0 };
    this.goLocal();
  }

  stopMoh(): void {
    this.moh = null;
    if (!this.prompt) this.goRelay();
  }

  playPrompt(clips: Clip[]): Promise<void> {
    if (this.closed || clips.length === 0) return Promise.resolve();
    this.prompt?.done();
    return new Promise((resolve) => {
      this.prompt = { clips, index: 0, pos: 0, done: resolve };
      this.goLocal();
    });
  }

  /** Stop the prompt now playing (its playPrompt resolves); hold music, if any, goes on at the next tick. */
  stopPrompt(): void {
    this.finishPrompt();
  }

  /** Stop whatever is played locally (bridging takes over the outgoing stream). */
  stopLocal(): void {
    this.moh = null;
    this.finishPrompt();
    this.goRelay();
  }

  stats(): EndpointStats {
    return { ...this.st, ...this.quality.snapshot() };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stopLocal();
    this.tap = null;
    this.mixIn = null;
    this.mixing = false;
    this.onDtmf = null;
    if (this.peer?.peer === this) this.peer.peer = null;
    this.peer = null;
    this.webrtc?.close();
    this.webrtc = null;
    this.socket.close();
    this.env.released(this);
  }

  /** Media clock tick: send one frame of the prompt or hold music. */
  tick(clockFrame: number): void {
    const frame = Buffer.allocUnsafe(12 + FRAME_SAMPLES);
    if (!this.remote || !this.fillLocal(frame, this.remote.codec)) return;
    // While local, the timestamp follows the media clock's frame count: frames the clock skipped after
    // a stall show up as a timestamp gap (as packet loss would), never as drift against real time.
    this.sendClockFrame(frame, clockFrame);
  }

  /** From now on this leg hears the mixer, not the relay (a monitored call); hold music and prompts still win. */
  startMixing(): void {
    this.mixing = true;
  }

  /** Back to the relay: the next relayed packet continues the stream (marker set, timestamp by elapsed time). */
  stopMixing(): void {
    if (!this.mixing) return;
    this.mixing = false;
    if (this.local && !this.moh && !this.prompt) {
      this.local = false;
      this.relayMap = null;
    }
  }

  get isMixing(): boolean {
    return this.mixing;
  }

  /** One mixed frame (`payload`, 160 bytes in this leg's law) at media-clock frame `clockFrame`. */
  sendMixed(clockFrame: number, payload: Uint8Array): void {
    if (this.closed || !this.mixing || !this.remote || this.moh || this.prompt) return;
    const frame = Buffer.allocUnsafe(12 + payload.length);
    frame.set(payload, 12);
    this.sendClockFrame(frame, clockFrame);
  }

  /** Send a locally produced frame, continuing the stream on the media clock's frame count. */
  private sendClockFrame(frame: Buffer, clockFrame: number): void {
    const r = this.remote!;
    const ts = this.local
      ? (this.ts + FRAME_SAMPLES * Math.max(1, clockFrame - this.lastClockFrame)) >>> 0
      : this.continuedTs();
    this.lastClockFrame = clockFrame;
    this.emit(frame, r.payloadType, this.nextSeq(), ts, !this.local);
    this.local = true;
  }

  private fillLocal(frame: Buffer, law: Law): boolean {
    const p = this.prompt;
    if (p) {
      const bytes = p.clips[p.index]!.bytes(law);
      const n = Math.min(FRAME_SAMPLES, bytes.length - p.pos);
      bytes.copy(frame, 12, p.pos, p.pos + n);
      // Pad the prompt's last frame with the clip's own silence level rather than noise.
      if (n < FRAME_SAMPLES) frame.fill(law === 'PCMU' ? 0xff : 0xd5, 12 + n);
      p.pos += n;
      if (p.pos >= bytes.length) {
        p.index++;
        p.pos = 0;
        if (p.index >= p.clips.length) this.finishPrompt();
      }
      return true;
    }
    if (this.moh) {
      const bytes = this.moh.clip.bytes(law);
      for (let i = 0; i < FRAME_SAMPLES; i++) {
        frame[12 + i] = bytes[this.moh.pos]!;
        this.moh.pos = this.moh.pos + 1 === bytes.length ? 0 : this.moh.pos + 1;
      }
      return true;
    }
    // Nothing left to play (the prompt ended without hold music): relayed audio flows again.
    this.goRelay();
    return false;
  }

  private finishPrompt(): void {
    const p = this.prompt;
    this.prompt = null;
    p?.done();
  }

  private goLocal(): void {
    this.env.mediaClock.add(this);
  }

  private goRelay(): void {
    this.env.mediaClock.delete(this);
    if (this.local && !this.mixing) {
      this.local = false;
      this.relayMap = null;
    }
  }

  private nextSeq(): number {
    this.seq = (this.seq + 1) & 0xffff;
    return this.seq;
  }

  /** The timestamp a new source's first packet gets: the old line continued by the time that passed. */
  private continuedTs(): number {
    if (this.lastSentAt === null) return this.ts;
    const frames = Math.max(1, Math.round((this.env.mono() - this.lastSentAt) / FRAME_MS));
    return (this.ts + frames * FRAME_SAMPLES) >>> 0;
  }

  private emit(buf: Buffer, pt: number, seq: number, ts: number, marker: boolean): void {
    if (this.webrtc) {
      writeRtpHeader(buf, { marker, payloadType: pt, seq, timestamp: ts, ssrc: this.ssrc });
      this.ts = ts >>> 0;
      this.lastSentAt = this.env.mono();
      this.countOut(buf.length);
      this.webrtc.send(buf);
      return;
    }
    const to = this.latched ?? this.remote;
    if (!to || to.port === 0) return;
    // A phone behind NAT writes its private address into SDP. From a node that is not itself on a private
    // network that address is unroutable (or worse, someone else's LAN): wait for the phone's first packet and
    // answer where it really comes from (symmetric RTP) instead of spraying RTP at 192.168.x.x.
    if (!this.latched && !this.remote?.trusted && isPrivateIp(to.ip) && !isPrivateIp(this.localIp)) return;
    writeRtpHeader(buf, { marker, payloadType: pt, seq, timestamp: ts, ssrc: this.ssrc });
    this.ts = ts >>> 0;
    this.lastSentAt = this.env.mono();
    this.countOut(buf.length);
    this.socket.send(buf, to.port, to.ip);
  }

  private countOut(bytes: number): void {
    this.st.packetsOut++;
    this.st.bytesOut += bytes;
    const c = this.env.counters;
    if (c) {
      c[StatSlot.packetsOut] = this.st.packetsOut;
      c[StatSlot.bytesOut] = this.st.bytesOut;
    }
  }

  /** Send a packet that arrived on the peer, rewritten into this endpoint's stream. */
  relay(buf: Buffer, pkt: RtpPacket, law: Law | 'dtmf'): void {
    const r = this.remote;
    if (this.closed || this.local || this.mixing || !r) return;
    let pt: number;
    if (law === 'dtmf') {
      if (r.dtmfPayloadType === null || r.dtmfPayloadType === undefined) return;
      pt = r.dtmfPayloadType;
    } else {
      pt = r.payloadType;
      transcodeInPlace(law, r.codec, pkt.payload);
    }
    let marker = pkt.marker;
    if (!this.relayMap || this.relayMap.src !== pkt.ssrc) {
      this.relayMap = {
        src: pkt.ssrc,
        seqOffset: (this.seq + 1 - pkt.seq) & 0xffff,
        tsOffset: (this.continuedTs() - pkt.timestamp) >>> 0,
      };
      marker = true;
    }
    const seq = (pkt.seq + this.relayMap.seqOffset) & 0xffff;
    const ts = (pkt.timestamp + this.relayMap.tsOffset) >>> 0;
    const newer = seqDelta(this.seq, seq) > 0;
    const prevSeq = this.seq;
    const prevTs = this.ts;
    this.emit(buf, pt, seq, ts, marker);
    // A reordered (older) packet is forwarded but must not move the stream's high-water mark back.
    if (!newer) {
      this.seq = prevSeq;
      this.ts = prevTs;
    } else this.seq = seq;
  }

  private receive(buf: Buffer, ip: string, port: number, viaWebRtc = false): void {
    // Once a leg is WebRTC, plain datagrams on its reserved UDP port are strangers' (and vice versa).
    if (this.closed || viaWebRtc !== (this.webrtc !== null)) return;
    const pkt = parseRtp(buf);
    if (!pkt) return;
    if (this.latched === null) this.latched = { ip, port };
    else if (this.latched.port !== port || this.latched.ip !== ip) {
      // The address the phone signalled always wins when it shows up, so a stranger who races the phone's
      // first packet to a fresh port cannot keep the stream; anyone else is ignored once latched.
      if (!this.remote || this.remote.ip !== ip || this.remote.port !== port) return;
      this.latched = { ip, port };
    }
    this.st.packetsIn++;
    this.st.bytesIn += buf.length;
    this.st.lastPacketAt = this.env.wall();
    this.quality.packet(pkt.ssrc, pkt.seq, pkt.timestamp, this.env.mono());
    const c = this.env.counters;
    if (c) {
      const q = this.quality.snapshot();
      c[StatSlot.packetsIn] = this.st.packetsIn;
      c[StatSlot.bytesIn] = this.st.bytesIn;
      c[StatSlot.lastPacketAt] = this.st.lastPacketAt;
      c[StatSlot.lost] = q.lost;
      c[StatSlot.jitterSec] = q.jitterSec;
    }
    const r = this.remote;
    if (r && r.dtmfPayloadType !== null && pkt.payloadType === r.dtmfPayloadType) {
      this.dtmf(pkt);
      this.peer?.relay(buf, pkt, 'dtmf');
      return;
    }
    const law: Law | null =
      pkt.payloadType === 0
        ? 'PCMU'
        : pkt.payloadType === 8
          ? 'PCMA'
          : r && pkt.payloadType === r.payloadType
            ? r.codec
            : null;
    if (law === null) return;
    this.tap?.(law, pkt);
    this.mixIn?.(law, pkt);
    this.peer?.relay(buf, pkt, law);
  }

  private dtmf(pkt: RtpPacket): void {
    const ev = parseTelephoneEvent(pkt.payload);
    // The end packet is sent three times (RFC 4733 §2.5.1.4); report the event once.
    if (!ev || !ev.end || this.lastDtmfEndTs === pkt.timestamp) return;
    this.lastDtmfEndTs = pkt.timestamp;
    const digit = eventDigit(ev.event);
    if (digit !== null) this.onDtmf?.(digit, ev.duration / 8);
  }
}
