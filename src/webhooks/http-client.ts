import { type LookupFunction, isIP } from 'node:net';
import { lookup as dnsLookup } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isPrivateAddress } from './ssrf.js';

export interface PostResult {
  /** The HTTP status, or null when no response arrived (connection refused, timeout, blocked address…). */
  status: number | null;
  error: string | null;
  durationMs: number;
}

export interface PostOptions {
  allowPrivate: boolean;
  timeoutMs: number;
  signal?: AbortSignal;
}

/** A DNS lookup that refuses private answers: the check happens on the address actually connected to. */
function guardedLookup(allowPrivate: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as unknown as { address: string; family: number }[];
      const bad = allowPrivate ? undefined : list.find((a) => isPrivateAddress(a.address));
      if (bad) {
        const e = Object.assign(new Error(`refused to connect to private address ${bad.address}`), {
          code: 'EPRIVATEADDR',
        });
        return callback(e, '', 0);
      }
      if (options.all) return callback(null, list as never);
      const first = list[0];
      if (!first) return callback(Object.assign(new Error('no address'), { code: 'ENOTFOUND' }), '', 0);
      callback(null, first.address, first.family);
    });
  };
}

/**
 * POST a body and report the status. Redirects are not followed (a 3xx is a failed delivery), the response
 * body is discarded, and the connection is pinned to an address that passed the private-address check.
 */
export function postJson(
  rawUrl: string,
  headers: Record<string, string>,
  body: string,
  opts: PostOptions,
  now: () => number = Date.now,
): Promise<PostResult> {
  const started = now();
  const done = (status: number | null, error: string | null): PostResult => ({
    status,
    error,
    durationMs: Math.max(0, now() - started),
  });
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(rawUrl);
    } catch {
      return resolve(done(null, 'invalid URL'));
    }
    const host = url.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) && !opts.allowPrivate && isPrivateAddress(host)) {
      return resolve(done(null, `refused to connect to private address ${host}`));
    }
    const mod = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : null;
    if (!mod) return resolve(done(null, `unsupported protocol ${url.protocol}`));
    const req = mod.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
      lookup: guardedLookup(opts.allowPrivate),
      timeout: opts.timeoutMs,
      signal: opts.signal,
    });
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => resolve(done(res.statusCode ?? null, null)));
      res.on('error', (e) => resolve(done(res.statusCode ?? null, e.message)));
    });
    req.on('timeout', () => req.destroy(new Error(`no response within ${opts.timeoutMs} ms`)));
    req.on('error', (e) => resolve(done(null, e.message)));
    req.end(body);
  });
}
