import { createHash, createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HTTP digest for SIP (RFC 8760 / RFC 7616), qop=auth. MD5 is offered first because common phones (baresip 1.0,
 * sipp 3.6) answer only the first challenge and only know MD5; SHA-256 follows for phones that prefer it (linphone).
 */

export type DigestAlgorithm = 'SHA-256' | 'MD5';
export const OFFERED_ALGORITHMS: readonly DigestAlgorithm[] = Object.freeze(['MD5', 'SHA-256']);

export interface DigestCredentials {
  username: string;
  realm: string;
  nonce: string;
  uri: string;
  response: string;
  algorithm: DigestAlgorithm;
  qop?: string;
  nc?: string;
  cnonce?: string;
  opaque?: string;
}

/** Parse `Digest k=v, k="v"` into lower-cased keys; null when it is not a Digest header. */
export function parseAuthorization(raw: string): Record<string, string> | null {
  const m = /^\s*Digest\s+(.*)$/is.exec(raw);
  if (!m) return null;
  const out: Record<string, string> = {};
  const re = /([a-zA-Z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g;
  for (let r = re.exec(m[1]!); r; r = re.exec(m[1]!)) {
    out[r[1]!.toLowerCase()] = r[2] !== undefined ? r[2].replace(/\\(.)/g, '$1') : r[3]!;
  }
  return out;
}

/** The credentials in an Authorization header, or null when a required field is missing or unsupported. */
export function readCredentials(raw: string): DigestCredentials | null {
  const p = parseAuthorization(raw);
  if (!p || !p.username || !p.realm || !p.nonce || !p.uri || !p.response) return null;
  const alg = (p.algorithm ?? 'MD5').toUpperCase();
  if (alg !== 'MD5' && alg !== 'SHA-256') return null;
  if (p.qop && (p.qop !== 'auth' || !p.nc || !p.cnonce)) return null;
  return {
    username: p.username,
    realm: p.realm,
    nonce: p.nonce,
    uri: p.uri,
    response: p.response.toLowerCase(),
    algorithm: alg,
    qop: p.qop,
    nc: p.nc,
    cnonce: p.cnonce,
    opaque: p.opaque,
  };
}

function h(alg: DigestAlgorithm, s: string): string {
  return createHash(alg === 'MD5' ? 'md5' : 'sha256')
    .update(s, 'utf8')
    .digest('hex');
}

/** The expected `response` for these credentials, method and password (RFC 7616 §3.4.1). */
export function digestResponse(c: DigestCredentials, method: string, password: string): string {
  const ha1 = h(c.algorithm, `${c.username}:${c.realm}:${password}`);
  const ha2 = h(c.algorithm, `${method}:${c.uri}`);
  return c.qop
    ? h(c.algorithm, `${ha1}:${c.nonce}:${c.nc}:${c.cnonce}:${c.qop}:${ha2}`)
    : h(c.algorithm, `${ha1}:${c.nonce}:${ha2}`);
}

export function responseMatches(c: DigestCredentials, method: string, password: string): boolean {
  const want = Buffer.from(digestResponse(c, method, password));
  const got = Buffer.from(c.response);
  return want.length === got.length && timingSafeEqual(want, got);
}

/**
 * Stateless nonces: `<issued-ms base36>.<hmac>` bound to the realm, so any node holding the key can verify one
 * without storing it; the timestamp gives expiry (answered with stale=true so phones retry silently).
 */
export class NonceIssuer {
  constructor(
    private readonly key: Buffer,
    private readonly ttlMs: number,
  ) {}

  issue(realm: string, now: number): string {
    const ts = now.toString(36);
    return `${ts}.${this.mac(ts, realm)}`;
  }

  /** 'valid', 'stale' (authentic but expired) or 'invalid'. */
  check(nonce: string, realm: string, now: number): 'valid' | 'stale' | 'invalid' {
    const dot = nonce.indexOf('.');
    if (dot <= 0) return 'invalid';
    const ts = nonce.slice(0, dot);
    const want = Buffer.from(this.mac(ts, realm));
    const got = Buffer.from(nonce.slice(dot + 1));
    if (want.length !== got.length || !timingSafeEqual(want, got)) return 'invalid';
    const issued = parseInt(ts, 36);
    if (!Number.isFinite(issued) || issued > now + 60_000) return 'invalid';
    return now - issued > this.ttlMs ? 'stale' : 'valid';
  }

  private mac(ts: string, realm: string): string {
    return createHmac('sha256', this.key).update(`${ts}:${realm}`).digest('base64url').slice(0, 27);
  }
}

/** The WWW-Authenticate values to send, in the configured order (many phones take the first one). */
export function challenges(
  realm: string,
  nonce: string,
  stale: boolean,
  algorithms: readonly DigestAlgorithm[] = OFFERED_ALGORITHMS,
): string[] {
  return algorithms.map(
    (alg) =>
      `Digest realm="${realm}", nonce="${nonce}", algorithm=${alg}, qop="auth"${stale ? ', stale=true' : ''}`,
  );
}

/** Our answer (an Authorization value) to a peer's Digest challenge, or null when we cannot meet it. */
export function authorizationFor(
  challenge: string,
  creds: { username: string; password: string },
  method: string,
  uri: string,
  cnonce = randomBytes(8).toString('hex'),
): string | null {
  const p = parseAuthorization(challenge);
  if (!p?.realm || !p.nonce) return null;
  const algorithm = (p.algorithm ?? 'MD5').toUpperCase();
  if (algorithm !== 'MD5' && algorithm !== 'SHA-256') return null;
  const qop = p.qop
    ?.split(',')
    .map((q) => q.trim())
    .includes('auth')
    ? 'auth'
    : undefined;
  const c: DigestCredentials = {
    username: creds.username,
    realm: p.realm,
    nonce: p.nonce,
    uri,
    response: '',
    algorithm,
    ...(qop ? { qop, nc: '00000001', cnonce } : {}),
  };
  const response = digestResponse(c, method, creds.password);
  const parts = [
    `username="${c.username}"`,
    `realm="${c.realm}"`,
    `nonce="${c.nonce}"`,
    `uri="${uri}"`,
    `response="${response}"`,
    `algorithm=${algorithm}`,
  ];
  if (qop) parts.push(`qop=auth`, `nc=00000001`, `cnonce="${cnonce}"`);
  if (p.opaque) parts.push(`opaque="${p.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}
