import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { sql } from 'kysely';
import type { Db } from '../store/db.js';

/** One component's state in `/readyz`; extra fields say what was checked. */
export interface ComponentReport {
  status: 'up' | 'down' | 'not_configured';
  error?: string;
  [detail: string]: unknown;
}

export interface ReadinessReport {
  ready: boolean;
  components: Record<string, ComponentReport>;
}

/**
 * A named check; it resolves with its details when the component works and throws (with why) when it does not.
 * `signal` aborts when the check has run out of time: a check holding a socket or timer releases it then.
 */
export type ComponentCheck = (signal: AbortSignal) => Promise<Record<string, unknown>>;

export const CHECK_TIMEOUT_MS = 2000;

function within<T>(ms: number, what: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_r, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`${what} did not answer within ${ms} ms`));
      ac.abort();
    }, ms);
  });
  return Promise.race([run(ac.signal), timeout]).finally(() => clearTimeout(timer));
}

/** Every component's check run at once; ready only when none is down (`not_configured` ones do not count). */
export class Readiness {
  private readonly checks = new Map<string, ComponentCheck | null>();

  constructor(private readonly timeoutMs = CHECK_TIMEOUT_MS) {}

  /** Register a component; `null` reports it as not configured (e.g. Redis without REDIS_URL). */
  add(name: string, check: ComponentCheck | null): this {
    this.checks.set(name, check);
    return this;
  }

  async check(): Promise<ReadinessReport> {
    const entries = await Promise.all(
      [...this.checks].map(async ([name, check]): Promise<[string, ComponentReport]> => {
        if (!check) return [name, { status: 'not_configured' }];
        const t0 = performance.now();
        try {
          const details = await within(this.timeoutMs, name, check);
          return [name, { status: 'up', ...details, latency_ms: round(performance.now() - t0) }];
        } catch (e) {
          return [name, { status: 'down', error: e instanceof Error ? e.message : String(e) }];
        }
      }),
    );
    const components = Object.fromEntries(entries);
    return { ready: entries.every(([, c]) => c.status !== 'down'), components };
  }
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/** The database answers `select 1`. */
export function databaseCheck(db: Db, dialect: string): ComponentCheck {
  return async () => {
    await sql`select 1`.execute(db);
    return { storage: dialect };
  };
}

/**
 * The SIP socket answers: an OPTIONS sent over UDP to our own port gets its 200, which proves the socket is bound,
 * the event loop reads it and the transaction layer answers (the same path a phone's keep-alive takes).
 */
export function sipCheck(host: string, port: () => number): ComponentCheck {
  const target = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  return (signal) =>
    new Promise((resolve, reject) => {
      const p = port();
      if (!p) return reject(new Error('the SIP socket is not bound'));
      const sock = createSocket(isIPv6(target) ? 'udp6' : 'udp4');
      const id = randomBytes(8).toString('hex');
      let finished = false;
      const done = (err?: Error) => {
        if (finished) return;
        finished = true;
        sock.close();
        if (err) reject(err);
        else resolve({ port: p, transport: 'udp' });
      };
      sock.on('error', (e) => done(e));
      signal.addEventListener('abort', () => done(new Error('no answer to OPTIONS')), { once: true });
      sock.on('message', (buf) => {
        const text = buf.toString('latin1');
        if (!text.includes(`readyz-${id}`)) return;
        const status = /^SIP\/2\.0 (\d{3})/.exec(text)?.[1];
        if (status === '200') done();
        else done(new Error(`OPTIONS answered ${status ?? 'unparsable'}`));
      });
      sock.bind(0, () => {
        const local = sock.address();
        const host = isIPv6(target) ? `[${target}]` : target;
        const msg =
          `OPTIONS sip:readyz@${host}:${p} SIP/2.0\r\n` +
          `Via: SIP/2.0/UDP ${isIPv6(local.address) ? `[${local.address}]` : local.address}:${local.port};branch=z9hG4bK-${id};rport\r\n` +
          `Max-Forwards: 70\r\nFrom: <sip:readyz@tongdai.invalid>;tag=${id}\r\nTo: <sip:readyz@${host}>\r\n` +
          `Call-ID: readyz-${id}\r\nCSeq: 1 OPTIONS\r\nUser-Agent: tongdai-readyz\r\nContent-Length: 0\r\n\r\n`;
        sock.send(msg, p, target);
      });
    });
}

/** The media engine can open an RTP port (what the next call needs), closed again at once. */
export function mediaCheck(media: {
  allocate(): Promise<{ localPort: number; close(): void }>;
  readonly openEndpoints: number;
}): ComponentCheck {
  return async () => {
    const open = media.openEndpoints;
    const ep = await media.allocate();
    ep.close();
    return { open_endpoints: open };
  };
}

/** Redis answers PING. */
export function redisCheck(redis: { ping(): Promise<string> }): ComponentCheck {
  return async () => {
    const pong = await redis.ping();
    if (pong !== 'PONG') throw new Error(`PING answered ${pong}`);
    return {};
  };
}
