import { createRequire } from 'node:module';
import { RTCPeerConnection } from 'werift';
import { WebSocket } from 'ws';

/**
 * JsSIP (the library the console's browser phone uses) running in Node, its WebSocket being the `ws` package's:
 * a real SIP-over-WebSocket client for the transport and registrar tests (no media: Node has no getUserMedia).
 */
const require = createRequire(import.meta.url);
const JsSIP = require('jssip') as any;
(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;
// JsSIP takes INVITEs only where `window.RTCPeerConnection` exists; werift's is the one Node has.
(globalThis as { window?: unknown }).window ??= globalThis;
(globalThis as { RTCPeerConnection?: unknown }).RTCPeerConnection ??= RTCPeerConnection;

export interface JsSipPhone {
  ua: any;
  /** Incoming sessions in arrival order. */
  incoming: any[];
  registered(): Promise<void>;
  stop(): void;
}

export function jssipPhone(opts: {
  wsUrl: string;
  user: string;
  domain: string;
  password: string;
  /** The digest username when it is not the user (the console's browser credentials). */
  authorizationUser?: string;
  /** JsSIP's own reconnection (default on, 1 to 2 s apart so tests stay short). */
  recovery?: { min: number; max: number };
}): JsSipPhone {
  const socket = new JsSIP.WebSocketInterface(opts.wsUrl);
  const ua = new JsSIP.UA({
    sockets: [socket],
    uri: `sip:${opts.user}@${opts.domain}`,
    password: opts.password,
    ...(opts.authorizationUser ? { authorization_user: opts.authorizationUser } : {}),
    register: true,
    register_expires: 300,
    session_timers: false,
    user_agent: 'JsSIP-node-test',
    connection_recovery_min_interval: opts.recovery?.min ?? 1,
    connection_recovery_max_interval: opts.recovery?.max ?? 2,
  });
  const incoming: any[] = [];
  ua.on('newRTCSession', (e: any) => {
    if (e.originator === 'remote') incoming.push(e.session);
  });
  const registered = new Promise<void>((resolve, reject) => {
    ua.once('registered', () => resolve());
    ua.once('registrationFailed', (e: any) => reject(new Error(`registration failed: ${e.cause}`)));
  });
  registered.catch(() => undefined);
  ua.start();
  return {
    ua,
    incoming,
    registered: () => registered,
    stop: () => ua.stop(),
  };
}
