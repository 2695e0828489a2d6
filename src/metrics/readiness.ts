import { sql } from 'kysely';
import { optionsPing } from '../sip/ping.js';
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
  return async (signal) => {
    const p = port();
    if (!p) throw new Error('the SIP socket is not bound');
    const status = await optionsPing(target, p, signal, 'tongdai-readyz');
    if (status === null) throw new Error('no answer to OPTIONS');
    if (status !== 200) throw new Error(`OPTIONS answered ${status || 'unparsable'}`);
    return { port: p, transport: 'udp' };
  };
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
