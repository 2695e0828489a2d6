import { randomInt } from 'node:crypto';
import type { RtpEndpoint } from '../media/engine.js';
import { type Direction, type Law, SdpError, buildSdp, negotiate, parseSdp } from '../media/sdp.js';

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

  /** Our offer (both G.711 laws and RFC 4733 events). */
  offer(): string {
    return this.sdp(['PCMU', 'PCMA'], 'sendrecv');
  }

  /** Answer a peer's offer (initial or re-INVITE); null when no codec fits (the caller gets 488). */
  answer(offerSdp: string): string | null {
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
    return this.answer(answerSdp) !== null;
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

/** Our direction in an answer: the peer's mirrored (RFC 3264 §6.1). */
function mirror(d: Direction): Direction {
  if (d === 'sendonly') return 'recvonly';
  if (d === 'recvonly') return 'sendonly';
  return d;
}
