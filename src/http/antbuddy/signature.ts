import { DomainError, type Reason } from '../../errors.js';
import { safeEqual, sha256Hex } from '../../domain/secrets.js';

/** How far a signed `timestamp` may be from the server's clock, either way. */
export const SIGNATURE_WINDOW_SEC = 300;
/** How long a used nonce is remembered: longer than the whole window, so a replay always meets it. */
export const NONCE_TTL_SEC = 600;
const NONCE_RE = /^[A-Za-z0-9_.~-]{8,64}$/;

/** The optional freshness pair; when present it is signed just before the app secret. */
export interface Stamp {
  timestamp: string;
  nonce: string;
}

export const authError = (status: 'UNAUTHORIZED' | 'FORBIDDEN', reason: Reason, message: string) =>
  new DomainError(status, message, reason);

/** Both or neither: a lone timestamp or nonce is a client bug worth a precise 400. */
export function parseStamp(timestamp: string | undefined, nonce: string | undefined): Stamp | null {
  if (timestamp === undefined && nonce === undefined) return null;
  if (timestamp === undefined || nonce === undefined)
    throw new DomainError('INVALID_INPUT', 'timestamp and nonce must be sent together', 'invalid_input');
  if (!/^\d{1,12}$/.test(timestamp))
    throw new DomainError('INVALID_INPUT', 'timestamp must be unix seconds', 'invalid_input');
  if (!NONCE_RE.test(nonce))
    throw new DomainError(
      'INVALID_INPUT',
      'nonce must be 8 to 64 characters of A-Z a-z 0-9 _ . ~ -',
      'invalid_input',
    );
  return { timestamp, nonce };
}

/** sha256 of the documented concatenation, with `timestamp + nonce` inserted right before the secret. */
export function signatureOf(parts: readonly string[], secret: string, stamp: Stamp | null): string {
  return sha256Hex(parts.join('') + (stamp ? stamp.timestamp + stamp.nonce : '') + secret);
}

/**
 * True when `hash` matches any candidate concatenation. Every candidate is computed and compared in constant
 * time, so the response time says nothing about which order (or how much of a hash) was right.
 */
export function matchesAny(
  candidates: readonly (readonly string[])[],
  secret: string,
  stamp: Stamp | null,
  hash: string,
): boolean {
  const given = hash.trim().toLowerCase();
  let ok = false;
  for (const parts of candidates) ok = safeEqual(signatureOf(parts, secret, stamp), given) || ok;
  return ok;
}

/** The call-history orders the AntBuddy documents show, each with absent limit/page as "" and as defaults. */
export function historyCandidates(
  appId: string,
  q: { from: string; to: string; limit: string | undefined; page: string | undefined },
): string[][] {
  const variants = [
    [q.limit ?? '', q.page ?? ''],
    [q.limit ?? '20', q.page ?? '1'],
  ];
  const out: string[][] = [[appId, q.from, q.to]];
  for (const [limit = '', page = ''] of variants) {
    out.push([appId, q.from, q.to, limit, page], [q.from, q.to, limit, page, appId]);
  }
  const seen = new Set<string>();
  return out.filter((c) => {
    const k = JSON.stringify(c);
    return seen.has(k) ? false : (seen.add(k), true);
  });
}

/** Refuse a timestamp outside ±SIGNATURE_WINDOW_SEC of `nowMs`. */
export function checkWindow(stamp: Stamp, nowMs: number): void {
  const skew = Math.abs(Number(stamp.timestamp) - Math.floor(nowMs / 1000));
  if (skew > SIGNATURE_WINDOW_SEC) {
    throw authError(
      'UNAUTHORIZED',
      'timestamp_out_of_window',
      `timestamp is ${skew} s away from the server clock (at most ${SIGNATURE_WINDOW_SEC} s allowed)`,
    );
  }
}
