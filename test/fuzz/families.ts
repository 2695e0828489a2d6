/**
 * What the generated suites need to know about each route family: how its credential is presented (header
 * scheme or AntBuddy signature) and what its error envelope looks like. Everything else comes from the spec.
 */
import { createHash } from 'node:crypto';
import { Agent, request } from 'node:http';
import type { TestServer } from '../helpers/harness.js';
import type { Family, Route } from './spec.js';

/** Every credential a tenant can present, one per family scheme. */
export interface Creds {
  tenantId: number;
  apiKey: string;
  bearer: string;
  appId: string;
  appSecret: string;
}

/** A request as the suites build it; `send` puts it on the wire. */
export interface Req {
  method: string;
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body?: string | Buffer;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

const queryValue = (req: Req, name: string) => req.query.find(([k]) => k === name)?.[1] ?? '';

/** Present `c` on `req` the way `route`'s family expects (headers, or the AntBuddy signed parameters). */
export function authorize(route: Route, req: Req, c: Creds): void {
  switch (route.family) {
    case 'native':
    case 'alohub':
      req.headers['x-api-key'] = c.apiKey;
      return;
    case 'ccai':
      req.headers.authorization = `Basic ${Buffer.from(`tongdai:${c.apiKey}`).toString('base64')}`;
      return;
    case 'omicall':
      if (route.path.startsWith('/api/v3/')) req.headers['x-api-key'] = c.apiKey;
      else req.headers.authorization = `Bearer ${c.bearer}`;
      return;
    case 'antbuddy':
      signAntbuddy(route, req, c);
      return;
    case 'recordings':
      return;
  }
}

function signAntbuddy(route: Route, req: Req, c: Creds): void {
  const parts = (() => {
    switch (route.signature ?? 'header') {
      case 'header':
        return null;
      case 'histories':
        return [c.appId, queryValue(req, 'created_from'), queryValue(req, 'created_to')];
      case 'media':
        return [c.appId, queryValue(req, 'media')];
      case 'directory':
        return [c.appId, queryValue(req, 'domain'), queryValue(req, 'email')];
    }
  })();
  if (!parts) {
    req.headers['x-auth-app-id'] = c.appId;
    req.headers['x-auth-app-hash'] = sha256(c.appId + c.appSecret);
    return;
  }
  req.query = req.query.filter(([k]) => k !== 'appId' && k !== 'hash');
  req.query.push(['appId', c.appId], ['hash', sha256(parts.join('') + c.appSecret)]);
}

/** Strip whatever credential `authorize` would have put on `req`. */
export function deauthorize(req: Req): void {
  for (const h of ['x-api-key', 'authorization', 'x-auth-app-id', 'x-auth-app-hash']) delete req.headers[h];
  req.query = req.query.filter(([k]) => k !== 'appId' && k !== 'hash');
}

/** Broken credentials of every family's kinds: none at all, garbage, a look-alike, a wrong scheme. */
export const BAD_CREDENTIALS: readonly Record<string, string>[] = [
  {},
  { 'x-api-key': 'td_live_' + 'A'.repeat(32) },
  { authorization: 'Bearer tdb_' + 'B'.repeat(43) },
  { authorization: 'Basic ' + Buffer.from(':td_live_nope').toString('base64') },
  { authorization: 'Digest username="x"' },
  { authorization: 'Bearer ' },
  { 'x-api-key': 'x'.repeat(4096) },
  { 'x-auth-app-id': 'app_nope', 'x-auth-app-hash': '0'.repeat(64) },
];

const ERROR_CODES = new Set([
  'INVALID_INPUT',
  'UNAUTHORIZED',
  'FORBIDDEN',
  'INSUFFICIENT_SCOPE',
  'NOT_FOUND',
  'CONFLICT',
  'LIMIT_EXCEEDED',
  'RATE_LIMITED',
  'UNAVAILABLE',
]);

const isStr = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const keys = (v: object) => Object.keys(v).sort().join(',');

/**
 * Why `body` (answered with `status`) is not `family`'s error envelope, or null when it is. The shapes are the
 * ones docs/api/*.md document; a Fastify default body, an HTML page or a bare string all fail here.
 */
export function errorShapeProblem(family: Family, status: number, body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return `not a JSON object: ${String(body).slice(0, 80)}`;
  const b = body as Record<string, unknown>;
  switch (family) {
    case 'native': {
      const e = b.error as Record<string, unknown> | undefined;
      if (keys(b) !== 'error' || typeof e !== 'object' || e === null) return 'not {"error": {...}}';
      if (!ERROR_CODES.has(String(e.code))) return `unknown error.code ${String(e.code)}`;
      return isStr(e.message) ? null : 'error.message missing';
    }
    case 'alohub':
      if (b.success !== '0') return 'success is not "0"';
      if (!isStr(b.error_code) || b.error_code === 'SUCCESS') return `error_code ${String(b.error_code)}`;
      return isStr(b.error_message) ? null : 'error_message missing';
    case 'omicall':
      if (b.status_code !== status) return `status_code ${String(b.status_code)} is not the HTTP ${status}`;
      if (!isStr(b.message) || !isStr(b.error_description)) return 'message / error_description missing';
      return b.payload === null ? null : 'payload is not null';
    case 'ccai':
      return keys(b) === 'message' && isStr(b.message) ? null : 'not {"message": "..."}';
    case 'antbuddy':
    case 'recordings':
      return keys(b) === 'code,message' && isStr(b.message) && isStr(b.code) ? null : 'not {message, code}';
  }
}

/** Signs of a leaked stack trace or source location in a response body. */
export const STACK_TRACE =
  /\n\s+at |\bat [\w.<>]+ \(|node_modules|file:\/\/|\.ts:\d+:\d+|\/src\/[\w/-]+\.[jt]s/;

/** The demo tenant's credentials, as the harness seeded them. */
export function demoCreds(s: TestServer): Creds {
  return {
    tenantId: s.demo.tenant_id,
    apiKey: s.demo.api_key,
    bearer: s.demo.bearer_token,
    appId: s.demo.app_id,
    appSecret: s.demo.app_secret,
  };
}

const agent = new Agent({ keepAlive: true, maxSockets: 4 });

/** `name=value` pairs, each side percent-encoded unless it is meant to go raw (bad escapes are the point). */
export function queryString(q: [string, string][]): string {
  return q
    .map(
      ([k, v]) =>
        `${encodeURIComponent(k)}=${v.startsWith(RAW) ? v.slice(RAW.length) : encodeURIComponent(v)}`,
    )
    .join('&');
}

/** Prefix of a value that goes on the wire exactly as written (an invalid escape, a raw `%`). */
export const RAW = '\u0001raw:';

export interface Answer {
  status: number;
  text: string;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Send `req` to `base` with node:http, so the path goes out byte for byte (fetch would normalise it), with a
 * deadline: a hang is a failure, not a slow test.
 */
export function send(base: string, req: Req, ms = 10_000): Promise<Answer> {
  const u = new URL(base);
  const qs = queryString(req.query);
  const body = typeof req.body === 'string' ? Buffer.from(req.body, 'utf8') : req.body;
  return new Promise((resolve, reject) => {
    const r = request(
      {
        host: u.hostname,
        port: u.port,
        method: req.method,
        path: `${req.path}${qs ? '?' + qs : ''}`,
        headers: { ...req.headers, ...(body ? { 'content-length': String(body.length) } : {}) },
        agent,
        timeout: ms,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON: the shape check reports it
          }
          resolve({ status: res.statusCode ?? 0, text, body: parsed, headers: res.headers });
        });
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error(`no answer within ${ms} ms (hang)`)));
    r.on('error', reject);
    r.end(body);
  });
}
