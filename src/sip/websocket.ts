import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Logger } from 'pino';
import { type WebSocket, WebSocketServer } from 'ws';
import type { Remote, SipTransport } from './transport.js';

export interface SipWebSocketOptions {
  /** The URL path SIP-over-WebSocket upgrades are taken on (default `/sip`). */
  path?: string;
  /** Origins allowed besides the console's own (the page the request's Host serves, and PUBLIC_URL's origin). */
  allowedOrigins: readonly string[];
  /** The console's public URL; its origin is allowed. */
  publicUrl?: string;
  /** Largest SIP message accepted in one WebSocket message (same limit as TCP). */
  maxMessageBytes?: number;
  /** Ping interval; a connection that left the previous ping unanswered is closed (default 30 s). */
  heartbeatMs?: number;
  logger?: Logger;
}

/** The origin (`scheme://host[:port]`) of a URL, lower-cased; null when it is not one. */
export function originOf(url: string): string | null {
  try {
    const u = new URL(url);
    return u.origin === 'null' ? null : u.origin.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Whether a WebSocket upgrade's Origin may speak SIP. A browser always sends Origin: it must be the console's own
 * origin (the page that Host serves, over http or https, or PUBLIC_URL) or one listed in SIP_WS_ORIGINS, so a page
 * on another site cannot drive an agent's phone through the agent's browser. A request without Origin is not
 * from a browser page (a desk softphone, JsSIP in Node): it is allowed, and digest authentication applies to it
 * as to UDP and TCP phones.
 */
export function originAllowed(req: IncomingMessage, o: SipWebSocketOptions): boolean {
  const raw = req.headers.origin;
  if (raw === undefined) return true;
  const origin = originOf(raw);
  if (!origin) return false;
  const host = req.headers.host?.toLowerCase();
  if (host && (origin === `http://${host}` || origin === `https://${host}`)) return true;
  if (o.publicUrl && originOf(o.publicUrl) === origin) return true;
  return o.allowedOrigins.some((a) => originOf(a) === origin);
}

/**
 * Ping every `ms`; a connection that has not answered the previous ping is terminated. A peer holding an unfinished
 * frame cannot answer (its pong would follow the frame's missing bytes), so a partial message is held at most 2·ms,
 * as a TCP connection's is (SIP_TCP_PARTIAL_TIMEOUT_SEC); a browser that vanished without a close goes the same way.
 */
function keepAlive(ws: WebSocket, ms: number): void {
  let answered = true;
  ws.on('pong', () => (answered = true));
  const timer = setInterval(() => {
    if (!answered) return ws.terminate();
    answered = false;
    ws.ping();
  }, ms).unref();
  ws.on('close', () => clearInterval(timer));
}

function refuse(socket: Duplex, status: number, reason: string): void {
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/**
 * SIP over WebSocket (RFC 7118) on the HTTP server: upgrades on `path` with the `sip` subprotocol become SIP
 * connections of `transport` (`ws`, or `wss` when the HTTP server itself speaks TLS). Other upgrade paths are left
 * to their owners (Socket.IO's engine.io). Returns the detach function.
 */
export function attachSipWebSocket(
  server: Server,
  transport: SipTransport,
  o: SipWebSocketOptions,
): () => Promise<void> {
  const path = o.path ?? '/sip';
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: o.maxMessageBytes ?? 65536,
    perMessageDeflate: false,
    clientTracking: true,
    handleProtocols: (protocols) => (protocols.has('sip') ? 'sip' : false),
  });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = req.url ?? '';
    const q = url.indexOf('?');
    if ((q >= 0 ? url.slice(0, q) : url) !== path) return; // Socket.IO's or nobody's
    const protocols = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim().toLowerCase());
    if (!protocols.includes('sip')) return refuse(socket, 400, 'Subprotocol sip Required');
    if (!originAllowed(req, o)) {
      o.logger?.warn(
        { origin: req.headers.origin, src: req.socket.remoteAddress },
        'sip websocket origin refused',
      );
      return refuse(socket, 403, 'Origin Not Allowed');
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const remote: Remote = {
        transport: 'encrypted' in req.socket && req.socket.encrypted ? 'wss' : 'ws',
        address: req.socket.remoteAddress ?? '',
        port: req.socket.remotePort ?? 0,
      };
      transport.adoptWebSocket(ws, remote);
      keepAlive(ws, o.heartbeatMs ?? 30_000);
    });
  };
  server.on('upgrade', onUpgrade);
  return async () => {
    server.off('upgrade', onUpgrade);
    for (const ws of wss.clients) ws.terminate();
    await new Promise<void>((r) => wss.close(() => r()));
  };
}
