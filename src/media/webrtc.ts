/**
 * The WebRTC side of a media endpoint (issue 15): ICE, DTLS and SRTP terminated in this process by werift, so a
 * browser's leg is an ordinary endpoint for everything above the packet level (relay, recording, hold music,
 * monitoring, RFC 4733 digits). G.711 only (PCMU/PCMA and telephone-event), so nothing is transcoded.
 *
 * Packets bypass werift's track machinery on purpose: incoming SRTP is read from the DTLS transport's `onRtp`
 * (decrypted, any SSRC) rather than from a track, because werift's router drops every packet whose SSRC the
 * offer did not announce with `a=ssrc` (werift issue #356: an offer without `a=ssrc` is legal and then no audio
 * is ever heard); outgoing packets go to the DTLS transport's `sendRtp` with our own header, because the
 * sender's `sendRtp` rewrites every payload type to the audio codec's and would turn RFC 4733 digits into noise.
 */
import {
  RTCPeerConnection,
  RTCRtpCodecParameters,
  RtpHeader,
  type RTCDtlsTransport,
  type RTCRtpTransceiver,
  type RtpPacket as WeriftPacket,
} from 'werift';
import { guardDtls } from './dtls-client.js';
import { writeRtpHeader } from './rtp.js';

/** A description is WebRTC's when its audio stream is DTLS-SRTP (`UDP/TLS/RTP/SAVPF`) with a fingerprint. */
export function isWebRtcSdp(sdp: string | undefined | null): boolean {
  if (typeof sdp !== 'string') return false;
  const m = /^m=audio\s+\d+\s+(\S+)/m.exec(sdp);
  return !!m && /SAVPF?$/.test(m[1]!) && /^a=fingerprint:/m.test(sdp);
}

export interface WebRtcOptions {
  /** Extra host candidate addresses (the media engine's public address when it is not an interface's). */
  hostAddresses?: string[];
  /** Gather candidates on these interface addresses only (the engine's bind address). */
  bindIp?: string;
  warn(obj: object, msg: string): void;
}

const CODECS = [
  new RTCRtpCodecParameters({ mimeType: 'audio/PCMU', clockRate: 8000, channels: 1, payloadType: 0 }),
  new RTCRtpCodecParameters({ mimeType: 'audio/PCMA', clockRate: 8000, channels: 1, payloadType: 8 }),
  new RTCRtpCodecParameters({
    mimeType: 'audio/telephone-event',
    clockRate: 8000,
    channels: 1,
    payloadType: 101,
  }),
];

/** How long ICE candidate gathering may take before the description is sent with what it has. */
const GATHER_MS = 3000;

/**
 * One peer connection carrying one audio stream. `onPacket` receives each decrypted packet as a plain 12-byte
 * header RTP datagram (header extensions dropped, CSRCs dropped); `send` takes one and encrypts it.
 */
export class WebRtcTransport {
  onPacket: ((buf: Buffer) => void) | null = null;
  /** Connection state changes (`connected`, `failed`, `closed`…), for logs and the call engine. */
  onState: ((state: string) => void) | null = null;
  private readonly pc: RTCPeerConnection;
  private transceiver: RTCRtpTransceiver | null = null;
  private dtls: RTCDtlsTransport | null = null;
  private closed = false;
  private ssrc = 0;
  /** Our role in the DTLS handshake, for answers to the peer's later offers (hold). */
  private setupRole: 'active' | 'passive' = 'passive';
  /** Packets received and sent, for tests and the bench. */
  readonly counts = { in: 0, out: 0 };
  private rawIn = 0;
  private dtlsError: string | null = null;
  /** HelloVerifyRequests after the first, dropped (see dtls-client.ts): the handshake werift used to fail. */
  repeatedHelloVerify = 0;
  /** Connection states with ms since creation, for diagnostics. */
  private readonly history: string[] = [];
  readonly createdAt = performance.now();
  connectedAt: number | null = null;
  private readonly connected: Promise<void>;

  private constructor(private readonly o: WebRtcOptions) {
    this.pc = new RTCPeerConnection({
      codecs: { audio: CODECS, video: [] },
      headerExtensions: { audio: [], video: [] },
      iceUseIpv6: false,
      ...(o.hostAddresses?.length ? { iceAdditionalHostAddresses: o.hostAddresses } : {}),
      ...(o.bindIp && o.bindIp !== '0.0.0.0' ? { iceInterfaceAddresses: { udp4: o.bindIp } } : {}),
    });
    this.connected = new Promise((resolve) => {
      this.pc.connectionStateChange.subscribe((s) => {
        if (s === 'connected' && this.connectedAt === null) {
          this.connectedAt = performance.now();
          resolve();
        }
        this.history.push(`${s}@${Math.round(performance.now() - this.createdAt)}`);
        this.onState?.(s);
      });
    });
  }

  /** Answer a WebRTC offer: the answer SDP (candidates gathered) and the transport that carries the stream. */
  static async answer(offer: string, o: WebRtcOptions): Promise<{ transport: WebRtcTransport; sdp: string }> {
    const t = new WebRtcTransport(o);
    try {
      await t.pc.setRemoteDescription({ type: 'offer', sdp: offer });
      const tr = t.pc.getTransceivers().find((x) => x.kind === 'audio');
      if (!tr) throw new Error('the offer has no audio stream');
      tr.setDirection('sendrecv');
      t.use(tr);
      await t.pc.setLocalDescription(await t.pc.createAnswer());
      const sdp = await t.gathered();
      t.setupRole = /^a=setup:active/m.test(sdp) ? 'active' : 'passive';
      return { transport: t, sdp };
    } catch (e) {
      t.close();
      throw e;
    }
  }

  /** Our offer to a browser: its SDP and the transport, to be completed by `accept(answer)`. */
  static async offer(o: WebRtcOptions): Promise<{ transport: WebRtcTransport; sdp: string }> {
    const t = new WebRtcTransport(o);
    try {
      t.use(t.pc.addTransceiver('audio', { direction: 'sendrecv' }));
      await t.pc.setLocalDescription(await t.pc.createOffer());
      return { transport: t, sdp: await t.gathered() };
    } catch (e) {
      t.close();
      throw e;
    }
  }

  /** The browser's answer to our offer. */
  async accept(answer: string): Promise<void> {
    // Our offer said actpass: we take the other role than the answer's.
    this.setupRole = /^a=setup:active/m.test(answer) ? 'passive' : 'active';
    await this.pc.setRemoteDescription({ type: 'answer', sdp: answer });
  }

  /** Resolves once ICE and DTLS are up (SRTP keys known). */
  whenConnected(): Promise<void> {
    return this.connected;
  }

  /** Our last local description, for answers to the peer's re-offers (hold/resume) and our own re-offers. */
  localSdp(kind: 'answer' | 'offer'): string {
    const sdp = this.pc.localDescription?.sdp ?? '';
    return sdp.replace(/^a=setup:\S+/m, `a=setup:${kind === 'offer' ? 'actpass' : this.setupRole}`);
  }

  /** One plain RTP datagram (12-byte header, as the endpoint writes it) out as SRTP. */
  send(buf: Buffer): void {
    const dtls = this.dtls;
    if (this.closed || !dtls || dtls.state !== 'connected') return;
    const header = new RtpHeader({
      marker: (buf[1]! & 0x80) !== 0,
      payloadType: buf[1]! & 0x7f,
      sequenceNumber: buf.readUInt16BE(2),
      timestamp: buf.readUInt32BE(4),
      ssrc: this.ssrc,
    });
    this.counts.out++;
    void dtls.sendRtp(buf.subarray(12), header);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.onPacket = null;
    this.pc.close().catch((e: Error) => this.o.warn({ err: e.message }, 'webrtc close failed'));
  }

  private use(tr: RTCRtpTransceiver): void {
    this.transceiver = tr;
    this.ssrc = tr.sender.ssrc;
  }

  /** Wait for ICE gathering (bounded), then hook the DTLS transport's decrypted packets. */
  private async gathered(): Promise<string> {
    if (this.pc.iceGatheringState !== 'complete') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, GATHER_MS);
        this.pc.iceGatheringStateChange.subscribe((s) => {
          if (s !== 'complete') return;
          clearTimeout(timer);
          resolve();
        });
        if (this.pc.iceGatheringState === 'complete') resolve();
      });
    }
    this.hook();
    return this.pc.localDescription!.sdp;
  }

  private hook(): void {
    const dtls = this.transceiver?.dtlsTransport;
    if (!dtls || dtls === this.dtls) return;
    this.dtls = dtls;
    dtls.onRtp.subscribe((p: WeriftPacket) => this.receive(p));
    guardDtls(dtls, {
      failure: (why) => {
        this.dtlsError = why;
        this.o.warn({ err: why, role: dtls.role }, 'webrtc dtls handshake failed');
      },
      dropped: () => this.repeatedHelloVerify++,
    });
    dtls.iceTransport.connection.onData.subscribe((d: Buffer) => {
      if (d[0]! >= 128 && d[0]! < 192) this.rawIn++;
    });
  }

  /**
   * Where this leg's handshake and media stand, for the bench's report on a leg that never got media: ICE and
   * DTLS states, whether SRTP keys are set, media datagrams that reached werift's ICE socket against those that
   * decrypted.
   */
  diagnostics(): Record<string, unknown> {
    const dtls = this.dtls;
    const now = this.transceiver?.dtlsTransport;
    const conn = dtls?.iceTransport.connection;
    return {
      pc: this.pc.connectionState,
      ice: dtls?.iceTransport.state ?? null,
      iceRole: dtls?.iceTransport.role ?? null,
      nominated: conn?.nominated
        ? `${conn.nominated.localCandidate.host}:${conn.nominated.localCandidate.port}`
        : null,
      dtls: dtls?.state ?? null,
      dtlsRole: dtls?.role ?? null,
      srtpKeys: !!dtls?.srtp,
      dtlsError: this.dtlsError,
      consentFresh: (conn as unknown as { consentFresh?: boolean } | undefined)?.consentFresh ?? null,
      consent: conn?.nominated ? `${conn.nominated.responsesReceived}/${conn.nominated.requestsSent}` : null,
      history: this.history.join(' '),
      repeatedHelloVerify: this.repeatedHelloVerify,
      sameDtls: dtls === now,
      transports: this.pc.dtlsTransports.length,
      rawMediaAtSocket: this.rawIn,
      mediaAfterSrtp: dtls?.packetsReceived ?? 0,
      in: this.counts.in,
      out: this.counts.out,
      ms: Math.round(performance.now() - this.createdAt),
      connectedMs: this.connectedAt === null ? null : Math.round(this.connectedAt - this.createdAt),
    };
  }

  private receive(p: WeriftPacket): void {
    const sink = this.onPacket;
    if (this.closed || !sink) return;
    const h = p.header;
    const buf = Buffer.allocUnsafe(12 + p.payload.length);
    writeRtpHeader(buf, {
      marker: h.marker,
      payloadType: h.payloadType,
      seq: h.sequenceNumber,
      timestamp: h.timestamp,
      ssrc: h.ssrc,
    });
    p.payload.copy(buf, 12);
    this.counts.in++;
    sink(buf);
  }
}
