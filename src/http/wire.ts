import type { Socket } from 'node:net';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import {
  type FamilyEnvelope,
  type Failure,
  envelopeFor,
  notFoundFailure,
  sendFailure,
} from './family-errors.js';

/** JSON routes take small bodies; a route that needs more (the MOH upload) declares its own `bodyLimit`. */
export const JSON_BODY_LIMIT = 256 * 1024;
/** A request must arrive whole within this (slow-body guard); its headers sooner. */
export const REQUEST_TIMEOUT_MS = 30_000;
export const HEADERS_TIMEOUT_MS = 10_000;
/** How often Node sweeps connections for the two timeouts above. */
export const CONNECTIONS_CHECK_MS = 1000;
/** A socket with no traffic at all is closed after this. */
export const IDLE_TIMEOUT_MS = 75_000;
/** Request headers larger than this answer 431 (Node's default, stated so the documents can name it). */
export const MAX_HEADER_BYTES = 16 * 1024;
/** Path parameters longer than this are refused (Fastify's default, stated so the documents can name it). */
export const MAX_PARAM_LENGTH = 100;
/** Open connections one remote address may hold; more are closed on arrival. */
export const MAX_CONNECTIONS_PER_ADDRESS = 1024;

/**
 * The query-string parser every family shares. Repeated keys become arrays, and a trailing `[]` or `[n]` is the
 * same key: axios' default array encoding (`ids[]=1&ids[]=2`), its `indices` option (`ids[0]=1`) and plain
 * repetition (`ids=1&ids=2`) all mean `ids: ["1", "2"]`.
 */
export function parseQuery(text: string): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [rawKey, value] of new URLSearchParams(text)) {
    const key = rawKey.replace(/\[\d*\]$/, '');
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') continue;
    const prev = out[key];
    if (prev === undefined) out[key] = value;
    else if (Array.isArray(prev)) prev.push(value);
    else out[key] = [prev, value];
  }
  return out;
}

/** The Fastify options that bound what a client can make the server hold (docs/api/README.md). */
export const HTTP_LIMITS = {
  bodyLimit: JSON_BODY_LIMIT,
  routerOptions: { maxParamLength: MAX_PARAM_LENGTH, querystringParser: parseQuery },
  requestTimeout: REQUEST_TIMEOUT_MS,
  connectionTimeout: IDLE_TIMEOUT_MS,
  // Node enforces the header and request timeouts on a sweep (30 s by default): sweep every second, so a slow
  // client is cut off at the timeout, not up to 30 s after it.
  http: {
    headersTimeout: HEADERS_TIMEOUT_MS,
    maxHeaderSize: MAX_HEADER_BYTES,
    connectionsCheckingInterval: CONNECTIONS_CHECK_MS,
  },
} as const;

/** The envelope of the family owning `url`, or the plain fallback for paths no family claimed. */
export function envelopeAt(app: FastifyInstance, url: string): FamilyEnvelope {
  return envelopeFor(app.familyPrefixes, url) ?? PLAIN;
}

/** Outside every family (e.g. `/nope`): Fastify's own shape. */
const PLAIN: FamilyEnvelope = {
  body: (f) => ({ statusCode: f.status, error: f.code, message: f.message }),
};

/**
 * Wire behaviour every family shares, installed once on the root: JSON with an empty body is no body; a route
 * with a body schema sees no body as `{}`; an unknown route answers in the shape of the family owning its path.
 */
export function installWireDefaults(app: FastifyInstance): void {
  app.decorate('familyPrefixes', []);
  // axios and requests send `Content-Type: application/json` on DELETEs and body-less POSTs.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (String(body).trim() === '') return done(null, undefined);
    return json(req, String(body), done);
  });
  app.addHook('preValidation', async (req: FastifyRequest) => {
    if ((req.body === undefined || req.body === null) && req.routeOptions.schema?.body) req.body = {};
  });
  app.setNotFoundHandler((req, reply) => sendFailure(reply, envelopeAt(app, req.url), notFoundFailure(req)));
  capConnectionsPerAddress(app);
}

function capConnectionsPerAddress(app: FastifyInstance): void {
  const open = new Map<string, number>();
  app.server.on('connection', (socket: Socket) => {
    const addr = socket.remoteAddress ?? '';
    const n = (open.get(addr) ?? 0) + 1;
    if (n > MAX_CONNECTIONS_PER_ADDRESS) {
      socket.destroy();
      return;
    }
    open.set(addr, n);
    socket.once('close', () => {
      const left = (open.get(addr) ?? 1) - 1;
      if (left <= 0) open.delete(addr);
      else open.set(addr, left);
    });
  });
}

const REASONS: Record<number, string> = {
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
};

/**
 * The path of the request the error cut short, if the client got that far: from the raw bytes of a parse error,
 * or, for a timeout after the headers (a slow body), from the request Node's parser already built.
 */
function pathOf(raw: unknown, socket: Socket): string {
  if (!Buffer.isBuffer(raw)) {
    const incoming = (socket as Socket & { parser?: { incoming?: { url?: unknown } | null } | null }).parser
      ?.incoming;
    return typeof incoming?.url === 'string' ? incoming.url : '';
  }
  const line = raw.subarray(0, 2048).toString('latin1').split('\r\n')[0] ?? '';
  return line.split(' ')[1] ?? '';
}

/**
 * Errors Node's parser raises before Fastify sees a request (oversized headers, malformed framing, timeouts):
 * answered in the shape of the family whose path the request line named, then the connection closes.
 */
export function answerClientError(
  app: FastifyInstance,
  err: Error & { code?: string; rawPacket?: unknown },
  socket: Socket,
) {
  if (err.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status =
    err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const message =
    status === 431
      ? `request headers exceed ${MAX_HEADER_BYTES} bytes`
      : status === 408
        ? 'the request did not arrive in time'
        : 'malformed HTTP request';
  const f: Failure = { status, code: 'INVALID_INPUT', message };
  const body = JSON.stringify(envelopeAt(app, pathOf(err.rawPacket, socket)).body(f));
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
