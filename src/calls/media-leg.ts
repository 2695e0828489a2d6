import { randomInt } from 'node:crypto';
import type { RtpEndpoint, WebRtcOffer } from '../media/engine.js';
import { type Direction, type Law, SdpError, buildSdp, negotiate, parseSdp } from '../media/sdp.js';
import { isWebRtcSdp } from '../media/webrtc.js';

/**
 * SDP glue between one SIP leg and its RTP endpoint on tongdai: every SDP a peer sees names tongdai's address
 * and port (media is anchored), and the peer's own SDP only tells the endpoint where to send.
 */
export class MediaLeg {
  private readonly sessionId = String(randomInt(1, 2 ** 31));
  private version = 1;
  codec: Law = 'PCMU';
  /** The direction the peer last asked for: sendonly/inactive means it put the call on hold. */
  peerDirection: Direction = 'sendrecv';

  constructor(readonly endpoint: RtpEndpoint) {}

  /** Whether this leg is a browser's (DTLS-SRTP through werift) rather than plain RTP. */
  get isWebRtc(): boolean {
    return this.endpoint.webRtcSdp('answer') !== null;
  }

  /** Our offer (both G.711 laws and RFC 4733 events); a WebRTC leg's re-offer is its peer connection's. */
  offer(): string {
    const w = this.endpoint.webRtcSdp('offer');
    if (w !== null) return this.versioned(w, 'sendrecv');
    return this.sdp(['PCMU', 'PCMA'], 'sendrecv');
  }

  /**
   * Before `answer`: a browser's WebRTC offer (one that came over a SIP WebSocket) turns this leg into a WebRTC
   * peer, which takes ICE gathering (async). False when werift cannot use the offer (the caller gets 488).
   */
  async prepare(offerSdp: string, viaWebSocket: boolean): Promise<boolean> {
    if (!viaWebSocket || !isWebRtcSdp(offerSdp) || this.isWebRtc) return true;
    try {
      await this.endpoint.answerWebRtc(offerSdp);
      return true;
    } catch {
      return false;
    }
  }

  /** Our WebRTC offer to a browser fork (the dialer's), to be completed by `acceptWebRtc`. */
  offerWebRtc(): Promise<WebRtcOffer> {
    return this.endpoint.offerWebRtc();
  }

  /** A browser fork answered our WebRTC offer: this leg becomes WebRTC; false when the answer is unusable. */
  acceptWebRtc(offer: WebRtcOffer, answerSdp: string): boolean {
    if (!isWebRtcSdp(answerSdp) || !this.useWebRtc(answerSdp, answerSdp)) return false;
    offer.accept(answerSdp);
    return true;
  }

  /** Answer a peer's offer (initial or re-INVITE); null when no codec fits (the caller gets 488). */
  answer(offerSdp: string): string | null {
    if (isWebRtcSdp(offerSdp)) {
      // Prepared (initial INVITE) or already WebRTC (a browser's hold/resume re-INVITE): werift's description.
      const ours = this.endpoint.webRtcSdp('answer');
      if (ours === null || !this.useWebRtc(offerSdp, ours)) return null;
      return this.versioned(ours, mirror(this.peerDirection));
    }
    if (this.isWebRtc) return null;
    let parsed;
    try {
      parsed = parseSdp(offerSdp);
    } catch (e) {
      if (e instanceof SdpError) return null;
      throw e;
    }
    const n = negotiate(parsed);
    if (!n) return null;
    this.codec = n.codec;
    this.peerDirection = parsed.direction;
    if (parsed.port !== 0 && parsed.ip !== '0.0.0.0') {
      this.endpoint.setRemote({ ip: parsed.ip, port: parsed.port, ...n });
    }
    return this.sdp([n.codec], mirror(parsed.direction), n.dtmfPayloadType);
  }

  /** Apply the peer's answer to our offer; false when it is unusable. */
  accept(answerSdp: string): boolean {
    if (this.isWebRtc) return isWebRtcSdp(answerSdp) && this.useWebRtc(answerSdp, answerSdp);
    return this.answer(answerSdp) !== null;
  }

  /**
   * Point the endpoint at its WebRTC transport with the codec of `negotiatedSdp` (werift's answer, or the
   * browser's answer to ours: the law both sides agreed) and the peer's direction from `peerSdp`. A WebRTC
   * description's `c=` address means nothing here (ICE decides), so 0.0.0.0 is not taken for hold.
   */
  private useWebRtc(peerSdp: string, negotiatedSdp: string): boolean {
    let n;
    try {
      n = negotiate(parseSdp(negotiatedSdp));
    } catch (e) {
      if (e instanceof SdpError) return false;
      throw e;
    }
    if (!n) return false;
    this.codec = n.codec;
    this.peerDirection = explicitDirection(peerSdp);
    this.endpoint.setRemote({ ip: 'webrtc', port: 0, ...n });
    return true;
  }

  /** A WebRTC description with our direction and a new `o=` version (RFC 3264 §8: every new SDP counts up). */
  private versioned(sdp: string, direction: Direction): string {
    const v = this.version++;
    return sdp
      .replace(/^(o=\S+ \S+ )\d+/m, `$1${v}`)
      .replace(/^a=(?:sendrecv|sendonly|recvonly|inactive)(?=\r?$)/gm, `a=${direction}`);
  }

  get onHold(): boolean {
    return this.peerDirection === 'sendonly' || this.peerDirection === 'inactive';
  }

  private sdp(codecs: Law[], direction: Direction, dtmf: number | null = 101): string {
    return buildSdp({
      ip: this.endpoint.localIp,
      port: this.endpoint.localPort,
      codecs,
      dtmfPayloadType: dtmf,
      direction,
      sessionId: this.sessionId,
      version: this.version++,
    });
  }
}

/** The direction an SDP's attributes say (the session's or the first stream's), sendrecv when none. */
function explicitDirection(sdp: string): Direction {
  const m = /^a=(sendrecv|sendonly|recvonly|inactive)\r?$/m.exec(sdp);
  return (m?.[1] as Direction | undefined) ?? 'sendrecv';
}

/** Our direction in an answer: the peer's mirrored (RFC 3264 §6.1). */
function mirror(d: Direction): Direction {
  if (d === 'sendonly') return 'recvonly';
  if (d === 'recvonly') return 'sendonly';
  return d;
}
