/** RTP (RFC 3550) fixed header parsing and writing, and RFC 4733 telephone-event payloads. */

export interface RtpPacket {
  marker: boolean;
  payloadType: number;
  seq: number;
  timestamp: number;
  ssrc: number;
  /** A view into the datagram (no copy). */
  payload: Buffer;
}

/** Parse a datagram; null when it is not RTP version 2 (RTCP, STUN, garbage are ignored by the relay). */
export function parseRtp(buf: Buffer): RtpPacket | null {
  if (buf.length < 12 || buf[0]! >> 6 !== 2) return null;
  const pt = buf[1]! & 0x7f;
  // RTCP shares the port when rtcp-mux is used; its packet types 200-204 land on PT 72-76 with the marker set.
  if (pt >= 72 && pt <= 76) return null;
  let offset = 12 + (buf[0]! & 0x0f) * 4;
  if (buf[0]! & 0x10) {
    if (buf.length < offset + 4) return null;
    offset += 4 + buf.readUInt16BE(offset + 2) * 4;
  }
  let end = buf.length;
  if (buf[0]! & 0x20) end -= buf[buf.length - 1]!;
  if (offset > end) return null;
  return {
    marker: (buf[1]! & 0x80) !== 0,
    payloadType: pt,
    seq: buf.readUInt16BE(2),
    timestamp: buf.readUInt32BE(4),
    ssrc: buf.readUInt32BE(8),
    payload: buf.subarray(offset, end),
  };
}

/** Write a 12-byte header into `buf` (which must hold at least 12 bytes). */
export function writeRtpHeader(
  buf: Buffer,
  h: { marker: boolean; payloadType: number; seq: number; timestamp: number; ssrc: number },
): void {
  buf[0] = 0x80;
  buf[1] = (h.marker ? 0x80 : 0) | (h.payloadType & 0x7f);
  buf.writeUInt16BE(h.seq & 0xffff, 2);
  buf.writeUInt32BE(h.timestamp >>> 0, 4);
  buf.writeUInt32BE(h.ssrc >>> 0, 8);
}

/** An RFC 4733 named telephone event (DTMF digit). */
export interface TelephoneEvent {
  event: number;
  end: boolean;
  volume: number;
  duration: number;
}

export function parseTelephoneEvent(payload: Buffer): TelephoneEvent | null {
  if (payload.length < 4) return null;
  return {
    event: payload[0]!,
    end: (payload[1]! & 0x80) !== 0,
    volume: payload[1]! & 0x3f,
    duration: payload.readUInt16BE(2),
  };
}

const DIGITS = '0123456789*#ABCD';

/** The DTMF character of an RFC 4733 event code (0-15), or null for other events (flash, tones). */
export function eventDigit(event: number): string | null {
  return event < DIGITS.length ? DIGITS[event]! : null;
}

/** Distance from a to b on the 16-bit sequence circle (negative when b is older). */
export function seqDelta(a: number, b: number): number {
  const d = (b - a) & 0xffff;
  return d >= 0x8000 ? d - 0x10000 : d;
}
