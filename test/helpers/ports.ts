/** The suite's free-port helpers, for peers (sipp, UDP sockets) that must be told their port up front. */
import { createSocket } from 'node:dgram';
import { createServer } from 'node:net';

/**
 * A port on loopback that was free a moment ago for UDP *and* TCP; `even` for RTP (sipp binds p and p+2). Both,
 * because peers given one port bind it on both (sipp `-t t1`, baresip's SIP listener and its `ctrl_tcp`): a UDP port
 * the kernel hands out can be the local port of one of the suite's TCP connections (CI once saw sipp exit with
 * "Unable to bind main socket, errno = 98").
 */
export async function freeUdpPort(even = false): Promise<number> {
  for (;;) {
    const s = createSocket('udp4');
    await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
    const port = s.address().port;
    await new Promise<void>((r) => s.close(() => r()));
    if ((!even || port % 2 === 0) && (await tcpPortFree(port))) return port;
  }
}

/**
 * A SIP listening port for baresip: it binds UDP and TCP on `p` and SIP/TLS on `p + 1` (CI once saw "SIP/TLS
 * transport failed: Address already in use" on the port above the one it was given), so both must be free.
 */
export async function freeSipPortPair(): Promise<number> {
  for (;;) {
    const port = await freeUdpPort();
    if (port < 65535 && (await tcpPortFree(port + 1))) return port;
  }
}

/** Whether a TCP port on loopback can be listened on right now. */
async function tcpPortFree(port: number): Promise<boolean> {
  const srv = createServer();
  const ok = await new Promise<boolean>((r) => {
    srv.once('error', () => r(false));
    srv.listen(port, '127.0.0.1', () => r(true));
  });
  if (ok) await new Promise<void>((r) => srv.close(() => r()));
  return ok;
}

/** Whether a UDP port on loopback can be bound right now. */
export async function portFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.bind(port, '127.0.0.1', () => r(true));
  });
  if (ok) await new Promise<void>((r) => s.close(() => r()));
  return ok;
}

/** A TCP port on loopback that was free a moment ago (a private PostgreSQL or Redis started by a test). */
export async function freeTcpPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
