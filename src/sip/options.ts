import { isIP } from 'node:net';
import { FatalConfigError } from '../errors.js';
import { type DigestAlgorithm, OFFERED_ALGORITHMS } from './digest.js';

/** Registrar and security tunables; read once from the environment by the composition root. */
export interface SipOptions {
  /** How long a digest nonce is accepted before it is answered with stale=true. */
  readonly nonceTtlSec: number;
  /** Failed authentications from one source address within `failWindowSec` that get it blocked. */
  readonly failLimit: number;
  readonly failWindowSec: number;
  /** How long a failing source or a scanner stays blocked. */
  readonly blockSec: number;
  /** Most SIP server transactions held at once; past it new requests get a stateless 503. */
  readonly maxTransactions: number;
  /** How long a SIP/TCP connection may hold an incomplete message before it is closed. */
  readonly tcpPartialTimeoutSec: number;
  readonly minExpires: number;
  readonly maxExpires: number;
  /** Digest algorithms offered in challenges, in order (default MD5 then SHA-256: see digest.ts). */
  readonly digestAlgorithms: readonly DigestAlgorithm[];
  /**
   * Substrings of User-Agent headers of phones that reject a challenge set containing any algorithm but MD5
   * (libre before 2.x, i.e. baresip 1.x, fails the whole 401 with ENOSYS): they are challenged with MD5 alone.
   */
  readonly md5OnlyUserAgents: readonly string[];
  /** Substrings of User-Agent headers of known SIP scanners (matched case-insensitively). */
  readonly scannerUserAgents: readonly string[];
  /** How long the bindings of a dropped SIP-over-WebSocket connection stay before they are removed. */
  readonly wsGraceSec: number;
  /** Origins allowed on the SIP WebSocket besides the console's own (docs/webrtc.md). */
  readonly wsOrigins: readonly string[];
  /**
   * Addresses of the SIP edges (Kamailio) in front of this node (SIP_EDGE_ADDRESSES, comma-separated IPs): only a
   * request from one of them may name its sender's real address in `X-Tongdai-Source` (docs/cluster.md).
   */
  readonly edgeAddresses: readonly string[];
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

/** baresip 1.x (libre) fails on any non-MD5 challenge; JsSIP 3.x keeps only the last WWW-Authenticate and speaks MD5. */
export const DEFAULT_MD5_ONLY_UA = ['baresip v0.', 'baresip v1.', 'JsSIP'];

export const DEFAULT_SIP_OPTIONS: SipOptions = Object.freeze({
  nonceTtlSec: 300,
  failLimit: 5,
  failWindowSec: 60,
  blockSec: 600,
  tcpPartialTimeoutSec: 30,
  maxTransactions: 20_000,
  minExpires: 30,
  maxExpires: 3600,
  digestAlgorithms: OFFERED_ALGORITHMS,
  md5OnlyUserAgents: DEFAULT_MD5_ONLY_UA,
  scannerUserAgents: DEFAULT_SCANNERS,
  wsGraceSec: 10,
  wsOrigins: [],
  edgeAddresses: [],
});

function algorithms(raw: string | undefined): DigestAlgorithm[] {
  if (!raw) return [...OFFERED_ALGORITHMS];
  const list = raw.split(',').map((s) => s.trim().toUpperCase());
  for (const a of list) {
    if (a !== 'SHA-256' && a !== 'MD5')
      throw new FatalConfigError(`SIP_DIGEST_ALGORITHMS may list SHA-256 and MD5, got "${raw}"`);
  }
  return list as DigestAlgorithm[];
}

function origins(raw: string | undefined): string[] {
  if (!raw) return [];
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const o of list) {
    let ok = false;
    try {
      ok = ['http:', 'https:'].includes(new URL(o).protocol);
    } catch {
      ok = false;
    }
    if (!ok)
      throw new FatalConfigError(`SIP_WS_ORIGINS lists origins like https://crm.example.com, got "${o}"`);
  }
  return list;
}

function edgeAddresses(raw: string | undefined): string[] {
  const list = (raw ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const a of list) {
    if (isIP(a) === 0) throw new FatalConfigError(`SIP_EDGE_ADDRESSES lists IP addresses, got "${a}"`);
  }
  return list;
}

function int(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new FatalConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  return n;
}

/**
 * A User-Agent substring list from the environment: unset keeps the defaults; a value replaces them, except that
 * a leading `+` adds to them (`+mytool,othertool`); `none` empties the list.
 */
export function userAgentList(raw: string | undefined, defaults: readonly string[]): string[] {
  if (raw === undefined || raw.trim() === '') return [...defaults];
  const text = raw.trim();
  if (text.toLowerCase() === 'none') return [];
  const add = text.startsWith('+');
  const items = (add ? text.slice(1) : text)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return add ? [...defaults, ...items] : items;
}

/**
 * SIP_NONCE_TTL_SEC, SIP_FAIL_LIMIT, SIP_FAIL_WINDOW_SEC, SIP_BLOCK_SEC, SIP_MIN_EXPIRES, SIP_MAX_EXPIRES,
 * SIP_DIGEST_ALGORITHMS, SIP_DIGEST_MD5_ONLY_UA, SIP_SCANNER_UA, SIP_TCP_PARTIAL_TIMEOUT_SEC, SIP_MAX_TRANSACTIONS,
 * SIP_WS_GRACE_SEC, SIP_WS_ORIGINS, SIP_EDGE_ADDRESSES.
 */
export function sipOptionsFromEnv(env: NodeJS.ProcessEnv): SipOptions {
  const d = DEFAULT_SIP_OPTIONS;
  return Object.freeze({
    nonceTtlSec: int(env, 'SIP_NONCE_TTL_SEC', d.nonceTtlSec, 5, 86400),
    failLimit: int(env, 'SIP_FAIL_LIMIT', d.failLimit, 1, 1000),
    failWindowSec: int(env, 'SIP_FAIL_WINDOW_SEC', d.failWindowSec, 1, 86400),
    blockSec: int(env, 'SIP_BLOCK_SEC', d.blockSec, 1, 7 * 86400),
    maxTransactions: int(env, 'SIP_MAX_TRANSACTIONS', d.maxTransactions, 10, 10_000_000),
    tcpPartialTimeoutSec: int(env, 'SIP_TCP_PARTIAL_TIMEOUT_SEC', d.tcpPartialTimeoutSec, 1, 3600),
    minExpires: int(env, 'SIP_MIN_EXPIRES', d.minExpires, 1, 3600),
    maxExpires: int(env, 'SIP_MAX_EXPIRES', d.maxExpires, 60, 86400),
    digestAlgorithms: algorithms(env.SIP_DIGEST_ALGORITHMS),
    md5OnlyUserAgents: userAgentList(env.SIP_DIGEST_MD5_ONLY_UA, d.md5OnlyUserAgents),
    scannerUserAgents: userAgentList(env.SIP_SCANNER_UA, d.scannerUserAgents),
    wsGraceSec: int(env, 'SIP_WS_GRACE_SEC', d.wsGraceSec, 0, 3600),
    wsOrigins: origins(env.SIP_WS_ORIGINS),
    edgeAddresses: edgeAddresses(env.SIP_EDGE_ADDRESSES),
  });
}
