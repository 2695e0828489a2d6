/** SDP (RFC 4566) for one audio stream: parse an offer/answer, build ours, negotiate G.711 + RFC 4733. */

export type Law = 'PCMU' | 'PCMA';
export type Direction = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';

export interface SdpCodec {
  pt: number;
  name: string;
  rate: number;
}

/** The first audio stream of a session description, with the connection address that applies to it. */
export interface SdpMedia {
  ip: string;
  port: number;
  payloadTypes: number[];
  codecs: SdpCodec[];
  dtmfPayloadType: number | null;
  direction: Direction;
  ptime?: number;
}

/** Thrown when a body is not a usable SDP audio description (the SIP layer answers 488). */
export class SdpError extends Error {
  readonly code = 'SDP_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'SdpError';
  }
}

/** RFC 3551 static payload types that may appear without an rtpmap line. */
const STATIC: Record<number, SdpCodec> = {
  0: { pt: 0, name: 'PCMU', rate: 8000 },
  8: { pt: 8, name: 'PCMA', rate: 8000 },
  9: { pt: 9, name: 'G722', rate: 8000 },
  18: { pt: 18, name: 'G729', rate: 8000 },
};

const DIRECTIONS: readonly string[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function connectionIp(value: string): string {
  // c=IN IP4 1.2.3.4  (a multicast TTL suffix "/127" is ignored)
  const parts = value.trim().split(/\s+/);
  if (parts.length < 3 || parts[0] !== 'IN' || (parts[1] !== 'IP4' && parts[1] !== 'IP6')) {
    throw new SdpError(`bad connection line "c=${value}"`);
  }
  return parts[2]!.split('/')[0]!;
}

interface Section {
  ip: string | null;
  direction: Direction | null;
  lines: [string, string][];
}

function sections(text: string): { session: Section; audio: Section | null } {
  const session: Section = { ip: null, direction: null, lines: [] };
  let current = session;
  let audio: Section | null = null;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '') continue;
    if (line[1] !== '=') throw new SdpError(`malformed line "${line.slice(0, 40)}"`);
    const type = line[0]!;
    const value = line.slice(2);
    if (type === 'm') {
      current = { ip: null, direction: null, lines: [] };
      // Only the first audio stream is ours; later streams (video, a second audio) are declined by omission.
      if (audio === null && value.startsWith('audio ')) audio = current;
    }
    if (type === 'c') current.ip = connectionIp(value);
    if (type === 'a' && DIRECTIONS.includes(value)) current.direction = value as Direction;
    current.lines.push([type, value]);
  }
  if (!session.lines.some(([t]) => t === 'v')) throw new SdpError('missing "v=" line');
  return { session, audio };
}

function parseCodecs(audio: Section, payloadTypes: number[]): { codecs: SdpCodec[]; ptime?: number } {
  const maps = new Map<number, SdpCodec>();
  let ptime: number | undefined;
  for (const [type, value] of audio.lines) {
    if (type !== 'a') continue;
    const rtpmap = /^rtpmap:(\d+)\s+([^/\s]+)\/(\d+)/.exec(value);
    if (rtpmap) {
      const pt = Number(rtpmap[1]);
      maps.set(pt, { pt, name: rtpmap[2]!, rate: Number(rtpmap[3]) });
    }
    const pt = /^ptime:(\d+)/.exec(value);
    if (pt) ptime = Number(pt[1]);
  }
  const codecs: SdpCodec[] = [];
  for (const pt of payloadTypes) {
    const c = maps.get(pt) ?? STATIC[pt];
    if (c) codecs.push(c);
  }
  return ptime === undefined ? { codecs } : { codecs, ptime };
}

/** Parse the first audio stream of an SDP body; throws SdpError when there is none or it is malformed. */
export function parseSdp(text: string): SdpMedia {
  if (typeof text !== 'string' || text.trim() === '') throw new SdpError('empty SDP body');
  const { session, audio } = sections(text);
  if (!audio) throw new SdpError('no audio media line');
  const m = audio.lines
    .find(([t]) => t === 'm')![1]
    .trim()
    .split(/\s+/);
  const port = Number(m[1]?.split('/')[0]);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SdpError(`bad audio port "${m[1]}"`);
  if (!m[2]?.includes('RTP')) throw new SdpError(`unsupported transport "${m[2]}"`);
  const payloadTypes = m.slice(3).map(Number);
  if (payloadTypes.length === 0 || payloadTypes.some((p) => !Number.isInteger(p) || p < 0 || p > 127)) {
    throw new SdpError('bad payload type list on the audio media line');
  }
  const ip = audio.ip ?? session.ip;
  if (!ip) throw new SdpError('no connection address ("c=") for the audio stream');
  const { codecs, ptime } = parseCodecs(audio, payloadTypes);
  const dtmf = codecs.find((c) => c.name.toLowerCase() === 'telephone-event' && c.rate === 8000);
  const media: SdpMedia = {
    ip,
    port,
    payloadTypes,
    codecs,
    dtmfPayloadType: dtmf?.pt ?? null,
    // A port of 0 declines the stream; 0.0.0.0 is the RFC 2543 way of putting the call on hold.
    direction: port === 0 ? 'inactive' : (audio.direction ?? session.direction ?? 'sendrecv'),
  };
  if (ip === '0.0.0.0' && media.direction === 'sendrecv') media.direction = 'sendonly';
  if (ptime !== undefined) media.ptime = ptime;
  return media;
}

export interface BuildSdpOptions {
  ip: string;
  port: number;
  codecs: Law[];
  /** Offer/answer RFC 4733 events on this payload type (101 by default); null to leave them out. */
  dtmfPayloadType?: number | null;
  direction?: Direction;
  sessionId: string;
  version: number;
}

const LAW_PT: Record<Law, number> = { PCMU: 0, PCMA: 8 };

/** Build our SDP body (CRLF line endings, one audio stream, 20 ms G.711 frames). */
export function buildSdp(o: BuildSdpOptions): string {
  const family = o.ip.includes(':') ? 'IP6' : 'IP4';
  const dtmf = o.dtmfPayloadType === undefined ? 101 : o.dtmfPayloadType;
  const pts = o.codecs.map((c) => LAW_PT[c]);
  if (dtmf !== null) pts.push(dtmf);
  const lines = [
    'v=0',
    `o=tongdai ${o.sessionId} ${o.version} IN ${family} ${o.ip}`,
    's=tongdai',
    `c=IN ${family} ${o.ip}`,
    't=0 0',
    `m=audio ${o.port} RTP/AVP ${pts.join(' ')}`,
    ...o.codecs.map((c) => `a=rtpmap:${LAW_PT[c]} ${c}/8000`),
  ];
  if (dtmf !== null) lines.push(`a=rtpmap:${dtmf} telephone-event/8000`, `a=fmtp:${dtmf} 0-16`);
  lines.push('a=ptime:20', `a=${o.direction ?? 'sendrecv'}`);
  return lines.join('\r\n') + '\r\n';
}

export interface Negotiated {
  codec: Law;
  payloadType: number;
  dtmfPayloadType: number | null;
}

/** Pick the first G.711 law in the offer's order that we support; null when none (answer 488). */
export function negotiate(offer: SdpMedia, supported: Law[] = ['PCMU', 'PCMA']): Negotiated | null {
  for (const c of offer.codecs) {
    const name = c.name.toUpperCase();
    if (c.rate === 8000 && (name === 'PCMU' || name === 'PCMA') && supported.includes(name)) {
      return { codec: name, payloadType: c.pt, dtmfPayloadType: offer.dtmfPayloadType };
    }
  }
  return null;
}

const PRIVATE_V4 = [
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
  /^169\.254\./,
];

/** RFC 1918, RFC 6598 (carrier-grade NAT) and link-local IPv4 addresses: reachable only inside their own network. */
export function isPrivateIp(ip: string): boolean {
  return PRIVATE_V4.some((re) => re.test(ip));
}
