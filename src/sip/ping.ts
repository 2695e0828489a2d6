import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';

/**
 * One OPTIONS over UDP from an ephemeral socket to `host:port`: resolves with the status of the first response,
 * null when nothing answered before `signal` aborted. Used by /readyz (our own socket answers) and by tenant
 * ownership (does the node whose lease expired still answer SIP?).
 */
export function optionsPing(
  host: string,
  port: number,
  signal: AbortSignal,
  userAgent = 'tongdai-ping',
): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const sock = createSocket(isIPv6(host) ? 'udp6' : 'udp4');
    const id = randomBytes(8).toString('hex');
    let finished = false;
    const done = (status: number | null, err?: Error) => {
      if (finished) return;
      finished = true;
      sock.close();
      if (err) reject(err);
      else resolve(status);
    };
    sock.on('error', (e) => done(null, e));
    if (signal.aborted) return done(null);
    signal.addEventListener('abort', () => done(null), { once: true });
    sock.on('message', (buf) => {
      const text = buf.toString('latin1');
      if (!text.includes(`ping-${id}`)) return;
      const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
      done(status ? Number(status) : 0);
    });
    sock.bind(0, () => {
      const local = sock.address();
      const h = isIPv6(host) ? `[${host}]` : host;
      const via = isIPv6(local.address) ? `[${local.address}]` : local.address;
      const msg =
        `OPTIONS sip:ping@${h}:${port} SIP/2.0\r\n` +
        `Via: SIP/2.0/UDP ${via}:${local.port};branch=z9hG4bK-${id};rport\r\n` +
        `Max-Forwards: 70\r\nFrom: <sip:ping@tongdai.invalid>;tag=${id}\r\nTo: <sip:ping@${h}>\r\n` +
        `Call-ID: ping-${id}\r\nCSeq: 1 OPTIONS\r\nUser-Agent: ${userAgent}\r\nContent-Length: 0\r\n\r\n`;
      sock.send(msg, port, host);
    });
  });
}
