/**
 * A browser stand-in for the media tests and the bench: a werift peer connection (ICE, DTLS, SRTP, as a browser
 * speaks them) that sends a G.711 tone in paced 20 ms frames and keeps what it receives. Its packets go through
 * the DTLS transport itself (as tongdai's side does), so it can send RFC 4733 events and count every packet.
 */
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  type RTCDtlsTransport,
  type RTCRtpTransceiver,
} from 'werift';
import { decode, encode } from '../../src/media/g711.js';
import type { Law } from '../../src/media/sdp.js';
import { toneAmplitude } from './tones.js';

const codecs = (law: Law) => {
  const pcmu = new RTCRtpCodecParameters({
    mimeType: 'audio/PCMU',
    clockRate: 8000,
    channels: 1,
    payloadType: 0,
  });
  const pcma = new RTCRtpCodecParameters({
    mimeType: 'audio/PCMA',
    clockRate: 8000,
    channels: 1,
    payloadType: 8,
  });
  const ev = new RTCRtpCodecParameters({
    mimeType: 'audio/telephone-event',
    clockRate: 8000,
    channels: 1,
    payloadType: 101,
  });
  // A PCMA peer offers and accepts A-law only (to see the law it chose end to end).
  return law === 'PCMU' ? [pcmu, pcma, ev] : [pcma, ev];
};

export class WebRtcPeer {
  readonly pc: RTCPeerConnection;
  /** Received audio frames (decoded) with arrival time; RFC 4733 events seen (payload type 101). */
  readonly got: { at: number; seq: number; pcm: Int16Array }[] = [];
  readonly events: number[] = [];
  packetsIn = 0;
  packetsOut = 0;
  private tr: RTCRtpTransceiver | null = null;
  private timer: NodeJS.Timeout | null = null;
  private seq = 0;
  private ts = 0;
  private readonly ssrc = (Math.random() * 2 ** 32) >>> 0;
  /** HelloVerifyRequests this peer sent twice (`offer({ repeatHelloVerify })`). */
  helloVerifyRepeats = 0;
  private readonly history: string[] = [];
  /** First packet received (performance.now()), for setup-time measurements. */
  firstPacketAt: number | null = null;

  constructor(
    readonly hz: number,
    readonly law: Law = 'PCMU',
  ) {
    this.pc = new RTCPeerConnection({
      codecs: { audio: codecs(law), video: [] },
      headerExtensions: { audio: [], video: [] },
      iceUseIpv6: false,
      iceAdditionalHostAddresses: ['127.0.0.1'],
    });
    const t0 = performance.now();
    this.pc.connectionStateChange.subscribe((s) =>
      this.history.push(`${s}@${Math.round(performance.now() - t0)}`),
    );
  }

  /**
   * Our offer. `withoutSsrc` strips the `a=ssrc` lines (legal SDP, and what werift issue #356 is about: werift's
   * router then drops every incoming packet on a track-based receiver). `repeatHelloVerify` sends each DTLS
   * HelloVerifyRequest twice, as a DTLS server does when the client retransmitted its first ClientHello (a late
   * answer under load, RFC 6347 §4.2.1).
   */
  async offer(o: { withoutSsrc?: boolean; repeatHelloVerify?: boolean } = {}): Promise<string> {
    this.tr = this.pc.addTransceiver('audio', { direction: 'sendrecv' });
    if (o.repeatHelloVerify) this.repeatHelloVerify();
    await this.pc.setLocalDescription(await this.pc.createOffer());
    await this.gathered();
    this.hook();
    const sdp = this.pc.localDescription!.sdp;
    return o.withoutSsrc ? sdp.replace(/^a=ssrc.*\r?\n/gm, '') : sdp;
  }

  async accept(answer: string): Promise<void> {
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  /** Answer tongdai's offer. */
  async answer(offer: string): Promise<string> {
    await this.pc.setRemoteDescription({ type: 'offer', sdp: offer });
    this.tr = this.pc.getTransceivers()[0]!;
    this.tr.setDirection('sendrecv');
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    await this.gathered();
    this.hook();
    return this.pc.localDescription!.sdp;
  }

  connected(): Promise<void> {
    if (this.pc.connectionState === 'connected') return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected') resolve();
        if (s === 'failed') reject(new Error('webrtc peer: connection failed'));
      });
    });
  }

  /** Send the tone every 20 ms until stop(). */
  talk(): void {
    const t0 = performance.now();
    let i = 0;
    const pt = this.law === 'PCMU' ? 0 : 8;
    const next = () => {
      const pcm = Int16Array.from({ length: 160 }, (_, s) =>
        Math.round(6000 * Math.sin((2 * Math.PI * this.hz * (i * 160 + s)) / 8000)),
      );
      this.send(pt, Buffer.from(encode(this.law, pcm)), false);
      this.ts += 160;
      i++;
      this.timer = setTimeout(next, Math.max(0, t0 + i * 20 - performance.now()));
    };
    next();
  }

  /** One RFC 4733 digit (event `ev`), three end packets as RFC 4733 §2.5.1.4 says. */
  dtmf(ev: number, pt = 101): void {
    const ts = this.ts;
    for (let k = 0; k < 6; k++) {
      const end = k >= 3;
      const p = Buffer.from([ev, (end ? 0x80 : 0) | 10, 0, 0]);
      p.writeUInt16BE(Math.min(800, (k + 1) * 160), 2);
      this.send(pt, p, k === 0, ts);
    }
  }

  private send(pt: number, payload: Buffer, marker: boolean, ts = this.ts): void {
    const dtls = this.dtls();
    if (!dtls || dtls.state !== 'connected') return;
    this.seq = (this.seq + 1) & 0xffff;
    const h = new RtpHeader({
      payloadType: pt,
      sequenceNumber: this.seq,
      timestamp: ts,
      ssrc: this.ssrc,
      marker,
    });
    this.packetsOut++;
    void dtls.sendRtp(payload, h);
  }

  stop(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  async close(): Promise<void> {
    this.stop();
    await this.pc.close();
  }

  /** Amplitude of `hz` in what arrived since `from` (performance.now()). */
  amplitudeSince(from: number, hz: number): number {
    const parts = this.got.filter((g) => g.at >= from);
    const pcm = new Int16Array(parts.length * 160);
    parts.forEach((p, i) => pcm.set(p.pcm.subarray(0, 160), i * 160));
    return toneAmplitude(pcm, hz);
  }

  private repeatHelloVerify(): void {
    const conn = this.tr!.dtlsTransport.iceTransport.connection;
    const send = conn.send;
    conn.send = async (d: Buffer) => {
      await send(d);
      // A DTLS handshake record (content type 22) whose message is a HelloVerifyRequest (handshake type 3).
      if (d[0] !== 22 || d[13] !== 3) return;
      this.helloVerifyRepeats++;
      await send(d);
    };
  }

  /** Where the handshake and media stand (the bench's report on a leg tongdai never heard). */
  diagnostics(): Record<string, unknown> {
    const dtls = this.dtls();
    const conn = dtls?.iceTransport.connection;
    const pair = conn?.nominated;
    return {
      pc: this.pc.connectionState,
      ice: dtls?.iceTransport.state ?? null,
      iceRole: dtls?.iceTransport.role ?? null,
      nominated: pair ? `${pair.localCandidate.port}->${pair.remoteAddr.join(':')}` : null,
      consentFresh: (conn as unknown as { consentFresh?: boolean } | undefined)?.consentFresh ?? null,
      consent: pair ? `${pair.responsesReceived}/${pair.requestsSent}` : null,
      history: this.history.join(' '),
      pairSent: pair?.packetsSent ?? 0,
      dtls: dtls?.state ?? null,
      dtlsRole: dtls?.role ?? null,
      srtpKeys: !!dtls?.srtp,
      dtlsSent: dtls?.packetsSent ?? 0,
      out: this.packetsOut,
      in: this.packetsIn,
    };
  }

  private dtls(): RTCDtlsTransport | undefined {
    return this.tr?.dtlsTransport;
  }

  private hook(): void {
    this.dtls()?.onRtp.subscribe((p) => {
      const at = performance.now();
      this.firstPacketAt ??= at;
      this.packetsIn++;
      const pt = p.header.payloadType;
      if (pt === 0 || pt === 8) {
        this.got.push({
          at,
          seq: p.header.sequenceNumber,
          pcm: decode(pt === 0 ? 'PCMU' : 'PCMA', p.payload),
        });
      } else if (p.payload.length >= 4 && p.payload[1]! & 0x80) this.events.push(p.payload[0]!);
    });
  }

  private async gathered(): Promise<void> {
    if (this.pc.iceGatheringState === 'complete') return;
    await new Promise<void>((resolve) => {
      this.pc.iceGatheringStateChange.subscribe((s) => s === 'complete' && resolve());
    });
  }
}
