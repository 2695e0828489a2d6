import { randomFillSync } from 'node:crypto';

/** Structured views of the header values the core reads (URIs, name-addr, Via, CSeq). */

export type Params = Record<string, string | null>;

export interface SipUri {
  scheme: 'sip' | 'sips' | 'tel';
  user: string | null;
  host: string;
  port: number | null;
  params: Params;
}

export interface NameAddr {
  display: string | null;
  uri: string;
  params: Params;
}

export interface Via {
  transport: string;
  host: string;
  port: number | null;
  params: Params;
}

function parseParams(s: string): Params {
  const out: Params = {};
  for (const part of s.split(';')) {
    const p = part.trim();
    if (!p) continue;
    const eq = p.indexOf('=');
    if (eq < 0) out[p.toLowerCase()] = null;
    else out[p.slice(0, eq).trim().toLowerCase()] = p.slice(eq + 1).trim();
  }
  return out;
}

export function stringifyParams(params: Params): string {
  return Object.entries(params)
    .map(([k, v]) => (v === null ? `;${k}` : `;${k}=${v}`))
    .join('');
}

/** Parse `sip:user@host:port;params` (headers after `?` are ignored). Returns null when it is not a SIP URI. */
export function parseUri(raw: string): SipUri | null {
  const m = /^(sips?|tel):(?:([^@;?]*)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?([^?]*)/i.exec(raw.trim());
  if (!m) return null;
  const scheme = m[1]!.toLowerCase() as SipUri['scheme'];
  let user = m[2] ?? null;
  if (user !== null && user.includes(':')) user = user.slice(0, user.indexOf(':'));
  return {
    scheme,
    user: user === null ? null : decodeURIComponent(user),
    host: m[3]!.toLowerCase(),
    port: m[4] ? Number(m[4]) : null,
    params: parseParams(m[5] ?? ''),
  };
}

export function stringifyUri(u: SipUri): string {
  const user = u.user === null ? '' : `${u.user}@`;
  const port = u.port === null ? '' : `:${u.port}`;
  return `${u.scheme}:${user}${u.host}${port}${stringifyParams(u.params)}`;
}

/** Parse From/To/Contact style values: `"Name" <sip:x@y>;tag=..` or a bare `sip:x@y;tag=..`. */
export function parseNameAddr(raw: string): NameAddr {
  const s = raw.trim();
  const lt = s.indexOf('<');
  if (lt >= 0) {
    const gt = s.indexOf('>', lt);
    const display = s.slice(0, lt).trim().replace(/^"|"$/g, '') || null;
    return { display, uri: s.slice(lt + 1, gt < 0 ? undefined : gt), params: parseParams(s.slice(gt + 1)) };
  }
  // Without angle brackets every ;param belongs to the header, not the URI (RFC 3261 §20.10).
  const semi = s.indexOf(';');
  return semi < 0
    ? { display: null, uri: s, params: {} }
    : { display: null, uri: s.slice(0, semi), params: parseParams(s.slice(semi)) };
}

export function stringifyNameAddr(n: NameAddr): string {
  const display = n.display ? `"${n.display.replace(/"/g, '')}" ` : '';
  return `${display}<${n.uri}>${stringifyParams(n.params)}`;
}

export function parseVia(raw: string): Via {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s:;]+)(?::(\d+))?\s*(.*)$/.exec(raw.trim());
  if (!m) throw new Error(`malformed Via: ${raw.slice(0, 60)}`);
  return {
    transport: m[1]!.toUpperCase(),
    host: m[2]!,
    port: m[3] ? Number(m[3]) : null,
    params: parseParams(m[4] ?? ''),
  };
}

export function stringifyVia(v: Via): string {
  return `SIP/2.0/${v.transport} ${v.host}${v.port === null ? '' : ':' + v.port}${stringifyParams(v.params)}`;
}

export function parseCSeq(raw: string): { seq: number; method: string } {
  const m = /^(\d+)\s+([A-Za-z]+)$/.exec(raw.trim());
  if (!m) throw new Error(`malformed CSeq: ${raw}`);
  return { seq: Number(m[1]), method: m[2]!.toUpperCase() };
}

export function tagOf(raw: string | undefined): string | null {
  return raw ? (parseNameAddr(raw).params.tag ?? null) : null;
}

// Branches, tags and Call-IDs are drawn from one pooled buffer of crypto-random bytes, refilled 4 KiB at a time:
// a `randomBytes` call per identifier (several per call) costs far more than the bytes themselves.
const pool = Buffer.alloc(4096);
let poolAt = pool.length;

function randomHex(bytes: number): string {
  if (poolAt + bytes > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const hex = pool.toString('hex', poolAt, poolAt + bytes);
  poolAt += bytes;
  return hex;
}

/** RFC 3261 magic-cookie branch, unique per transaction. */
export function newBranch(): string {
  return 'z9hG4bK' + randomHex(8);
}

export function newTag(): string {
  return randomHex(6);
}

export function newCallId(host: string): string {
  return `${randomHex(10)}@${host}`;
}

/** The user part of a URI stripped of visual separators and a leading `+` kept (E.164 stays E.164). */
export function dialledNumber(uri: string): string | null {
  const u = parseUri(uri);
  if (!u || u.user === null) return null;
  return u.user.replace(/[\s\-().]/g, '');
}
