import { type Socket as UdpSocket, createSocket } from 'node:dgram';
import { type Server, type Socket, createServer, connect, isIPv6 } from 'node:net';
import { TcpFramer } from './framing.js';
import { type SipMessage, SipParseError, parseMessage, serialize } from './message.js';
import { parseVia, stringifyVia } from './headers.js';

export type TransportName = 'udp' | 'tcp' | 'ws' | 'wss';

/** A SIP-over-WebSocket connection (RFC 7118) as the transport sees it: one SIP message per WebSocket message. */
export interface SipWebSocket {
  send(data: string): void;
  close(code?: number, reason?: string): void;
  on(event: 'message', fn: (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => void): unknown;
  on(event: 'close', fn: () => void): unknown;
  on(event: 'error', fn: (err: Error) => void): unknown;
}

export const isWebSocket = (t: TransportName): boolean => t === 'ws' || t === 'wss';

/** Where a message came from or goes to. For TCP and WebSocket the connection is looked up by address and port. */
export interface Remote {
  transport: TransportName;
  address: string;
  port: number;
}

export interface TransportOptions {
  host: string;
  port: number;
  onMessage(msg: SipMessage, remote: Remote): void;
  onError?(err: Error, remote?: Remote): void;
  /** Largest accepted TCP message (headers plus body); a bigger one closes the connection. */
  maxMessageBytes?: number;
  /** How long a TCP connection may hold an incomplete message before it is closed (default 30 s). */
  partialTimeoutMs?: number;
  /** A WebSocket connection closed (the registrar lets its bindings lapse after a grace period). */
  onWebSocketClosed?(remote: Remote): void;
}

const keyOf = (r: { address: string; port: number }) => `${r.address}|${r.port}`;

/**
 * SIP over UDP and TCP bound to the same port (RFC 3261 §18). Requests get `received` and a filled `rport`
 * (RFC 3581) on their top Via here, so everything above sees where the request really came from.
 */
export class SipTransport {
  private udp?: UdpSocket;
  private tcp?: Server;
  private readonly conns = new Map<string, Socket>();
  private readonly wsConns = new Map<string, SipWebSocket>();
  private boundPort = 0;
  private closed = false;
  /** Sees every message parsed from or written to the wire, retransmissions included (src/metrics/sip.ts). */
  tap: ((msg: SipMessage, direction: 'in' | 'out') => void) | null = null;

  constructor(private readonly opts: TransportOptions) {}

  get port(): number {
    return this.boundPort;
  }

  /** Bind UDP, then TCP on the same port; with port 0 retries until both get the same ephemeral port. */
  async listen(): Promise<number> {
    for (let attempt = 0; attempt < 20; attempt++) {
      const udpPort = await this.bindUdp(this.opts.port);
      try {
        await this.bindTcp(udpPort);
        this.boundPort = udpPort;
        return udpPort;
      } catch (e) {
        this.udp?.close();
        this.udp = undefined;
        if (this.opts.port !== 0 || (e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
      }
    }
    throw new Error('could not bind UDP and TCP to the same port');
  }

  private bindUdp(port: number): Promise<number> {
    // Large buffers ride out event-loop pauses under bursts instead of dropping requests (capped by rmem_max).
    const sock = createSocket({
      type: isIPv6(this.opts.host) ? 'udp6' : 'udp4',
      recvBufferSize: 4 << 20,
      sendBufferSize: 4 << 20,
    });
    sock.on('message', (data, rinfo) =>
      this.receive(data, { transport: 'udp', address: rinfo.address, port: rinfo.port }),
    );
    return new Promise((resolve, reject) => {
      sock.once('error', reject);
      sock.bind(port, this.opts.host, () => {
        sock.off('error', reject);
        sock.on('error', (err) => this.opts.onError?.(err));
        this.udp = sock;
        resolve(sock.address().port);
      });
    });
  }

  private bindTcp(port: number): Promise<void> {
    const server = createServer((s) => this.adopt(s));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, this.opts.host, () => {
        server.off('error', reject);
        server.on('error', (err) => this.opts.onError?.(err));
        this.tcp = server;
        resolve();
      });
    });
  }

  private adopt(s: Socket, known?: Remote): void {
    const remote: Remote = known ?? {
      transport: 'tcp',
      address: s.remoteAddress ?? '',
      port: s.remotePort ?? 0,
    };
    const key = keyOf(remote);
    this.conns.set(key, s);
    s.setNoDelay(true);
    const framer = new TcpFramer(this.opts.maxMessageBytes ?? 65536);
    const idleMs = this.opts.partialTimeoutMs ?? 30_000;
    let idle: NodeJS.Timeout | undefined;
    let broken = false;
    s.on('data', (chunk) => {
      if (broken) return;
      const { messages, error } = framer.push(chunk);
      for (const one of messages) this.receive(one, remote);
      if (error) {
        this.opts.onError?.(new SipParseError(`tcp framing: ${error.reason}`), remote);
        broken = true;
        clearTimeout(idle);
        // The 400 goes out first when the head was readable; then the connection closes whatever the peer does.
        s.end(error.reply ? serialize(error.reply) : '', () => s.destroy());
        return;
      }
      // A peer that leaves half a message on the connection holds a buffer: it gets partialTimeoutMs to finish.
      clearTimeout(idle);
      idle = framer.pending ? setTimeout(() => s.destroy(), idleMs).unref() : undefined;
    });
    s.on('close', () => clearTimeout(idle));
    s.on('error', (err) => this.opts.onError?.(err, remote));
    s.on('close', () => {
      if (this.conns.get(key) === s) this.conns.delete(key);
    });
  }

  /**
   * Take a SIP-over-WebSocket connection (RFC 7118; src/sip/websocket.ts did the upgrade and origin check). Each
   * WebSocket message is one SIP message; the WebSocket layer already refused frames over the size limit, so
   * nothing beyond one message is ever held for a peer. Requests to it go down this connection only: a browser
   * cannot be connected to.
   */
  adoptWebSocket(ws: SipWebSocket, remote: Remote): void {
    if (this.closed) return ws.close(1001, 'shutting down');
    const key = `${remote.transport}|${keyOf(remote)}`;
    this.wsConns.set(key, ws);
    ws.on('message', (data) => {
      const buf = Buffer.isBuffer(data)
        ? data
        : Array.isArray(data)
          ? Buffer.concat(data)
          : Buffer.from(data);
      this.receive(buf, remote);
    });
    ws.on('error', (err) => this.opts.onError?.(err, remote));
    ws.on('close', () => {
      if (this.wsConns.get(key) !== ws) return;
      this.wsConns.delete(key);
      if (!this.closed) this.opts.onWebSocketClosed?.(remote);
    });
  }

  /** Whether a WebSocket connection to `remote` is open (requests to a dropped browser are not sent). */
  hasWebSocket(remote: Remote): boolean {
    return this.wsConns.has(`${remote.transport}|${keyOf(remote)}`);
  }

  private receive(data: Buffer, remote: Remote): void {
    if (data.length <= 4 && data.toString().trim() === '') return; // UDP keepalive
    let msg: SipMessage;
    try {
      msg = parseMessage(data);
    } catch (e) {
      if (e instanceof SipParseError) return this.opts.onError?.(e, remote);
      throw e;
    }
    if (msg.kind === 'request') stampVia(msg, remote);
    this.tap?.(msg, 'in');
    this.opts.onMessage(msg, remote);
  }

  /**
   * Send a message; over TCP reuses the connection to that peer, else opens one. `false` when it cannot be sent:
   * a WebSocket connection is only ever the peer's own, so once it is gone nothing can reach that contact.
   */
  send(msg: SipMessage, to: Remote): boolean {
    // Transaction timers may still fire during shutdown; there is nothing left to send them on.
    if (this.closed) return true;
    this.tap?.(msg, 'out');
    const data = serialize(msg);
    if (to.transport === 'udp') {
      this.udp?.send(data, to.port, to.address, (err) => err && this.opts.onError?.(err, to));
      return true;
    }
    if (isWebSocket(to.transport)) {
      const ws = this.wsConns.get(`${to.transport}|${keyOf(to)}`);
      if (!ws) {
        this.opts.onError?.(new Error('websocket connection gone'), to);
        return false;
      }
      ws.send(data.toString());
      return true;
    }
    let s = this.conns.get(keyOf(to));
    if (!s || s.destroyed) {
      s = connect({ host: to.address, port: to.port });
      this.adopt(s, to);
    }
    s.write(data);
    return true;
  }

  /** The address and port to advertise in Via and Contact. */
  localAddress(publicIp: string): string {
    return `${publicIp}:${this.boundPort}`;
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.conns.values()) s.destroy();
    this.conns.clear();
    for (const ws of this.wsConns.values()) ws.close(1001, 'shutting down');
    this.wsConns.clear();
    await Promise.all([
      new Promise<void>((r) => (this.udp ? this.udp.close(() => r()) : r())),
      new Promise<void>((r) => (this.tcp ? this.tcp.close(() => r()) : r())),
    ]);
  }
}

/** RFC 3261 §18.2.1 + RFC 3581: record the real source on the top Via. */
function stampVia(msg: SipMessage, remote: Remote): void {
  const top = msg.headers.get('via');
  if (!top) return;
  try {
    const via = parseVia(top);
    if (via.host !== remote.address) via.params.received = remote.address;
    if ('rport' in via.params) {
      via.params.rport = String(remote.port);
      via.params.received = remote.address;
    }
    msg.headers.replaceFirst('via', stringifyVia(via));
  } catch {
    // An unparsable Via is reported when the transaction layer reads it.
  }
}
