import { FatalConfigError } from '../errors.js';
import type { DigestAlgorithm } from './digest.js';

/** Registrar and security tunables; read once from the environment by the composition root. */
export interface SipOptions {
  /** How long a digest nonce is accepted before it is answered with stale=true. */
  readonly nonceTtlSec: number;
  /** Failed authentications from one source address within `failWindowSec` that get it blocked. */
  readonly failLimit: number;
  readonly failWindowSec: number;
  /** How long a failing source or a scanner stays blocked. */
  readonly blockSec: number;
  readonly minExpires: number;
  readonly maxExpires: number;
  /** Digest algorithms offered in challenges, in order of preference (RFC 8760: SHA-256 first). */
  readonly digestAlgorithms: readonly DigestAlgorithm[];
  /** Substrings of User-Agent headers of known SIP scanners (matched case-insensitively). */
  readonly scannerUserAgents: readonly string[];
}

export const DEFAULT_SCANNERS = [
  'friendly-scanner',
  'sipvicious',
  'sipcli',
  'sip-scan',
  'sipsak',
  'sundayddr',
  'iWar',
  'VaxSIPUserAgent',
  'pplsip',
  'smap',
];

export const DEFAULT_SIP_OPTIONS: SipOptions = Object.freeze({
  nonceTtlSec: 300,
  failLimit: 5,
  failWindowSec: 60,
  blockSec: 600,
  minExpires: 30,
  maxExpires: 3600,
  digestAlgorithms: ['SHA-256', 'MD5'] as DigestAlgorithm[],
  scannerUserAgents: DEFAULT_SCANNERS,
});

function algorithms(raw: string | undefined): DigestAlgorithm[] {
  if (!raw) return ['SHA-256', 'MD5'];
  const list = raw.split(',').map((s) => s.trim().toUpperCase());
  for (const a of list) {
    if (a !== 'SHA-256' && a !== 'MD5')
      throw new FatalConfigError(`SIP_DIGEST_ALGORITHMS may list SHA-256 and MD5, got "${raw}"`);
  }
  return list as DigestAlgorithm[];
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new FatalConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

/** SIP_NONCE_TTL_SEC, SIP_FAIL_LIMIT, SIP_FAIL_WINDOW_SEC, SIP_BLOCK_SEC, SIP_MIN_EXPIRES, SIP_MAX_EXPIRES, SIP_DIGEST_ALGORITHMS, SIP_SCANNER_UA. */
export function sipOptionsFromEnv(env: NodeJS.ProcessEnv): SipOptions {
  const d = DEFAULT_SIP_OPTIONS;
  const extra = (env.SIP_SCANNER_UA ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return Object.freeze({
    nonceTtlSec: int(env, 'SIP_NONCE_TTL_SEC', d.nonceTtlSec, 5, 86400),
    failLimit: int(env, 'SIP_FAIL_LIMIT', d.failLimit, 1, 1000),
    failWindowSec: int(env, 'SIP_FAIL_WINDOW_SEC', d.failWindowSec, 1, 86400),
    blockSec: int(env, 'SIP_BLOCK_SEC', d.blockSec, 1, 7 * 86400),
    minExpires: int(env, 'SIP_MIN_EXPIRES', d.minExpires, 1, 3600),
    maxExpires: int(env, 'SIP_MAX_EXPIRES', d.maxExpires, 60, 86400),
    digestAlgorithms: algorithms(env.SIP_DIGEST_ALGORITHMS),
    scannerUserAgents: [...d.scannerUserAgents, ...extra],
  });
}
