import { availableParallelism, hostname } from 'node:os';
import { resolve } from 'node:path';
import { FatalConfigError } from './errors.js';
import { type SipOptions, sipOptionsFromEnv } from './sip/options.js';
import { type RecordingsConfig, recordingsConfigFromEnv } from './recordings/config.js';

/** HTTP keep-alive timeout by default: above the 60 s idle timeout of common load balancers, so they close first. */
export const KEEP_ALIVE_TIMEOUT_MS = 72_000;

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Validated, frozen configuration: read from the environment (and CLI flags) once, then passed down. */
export interface Config {
  readonly host: string;
  readonly port: number;
  readonly sipHost: string;
  readonly sipPort: number;
  /**
   * This telephony node's id among those sharing the database (NODE_ID; default host name and SIP port): crash
   * recovery closes the calls of its own previous run and of nodes whose heartbeat stopped, never another live one's.
   */
  readonly nodeId: string;
  /** Registrar and security tunables (SIP_NONCE_TTL_SEC, SIP_FAIL_LIMIT, SIP_BLOCK_SEC, …; see docs/sip.md). */
  readonly sip: SipOptions;
  /** Recording storage (data directory or S3-compatible) and encoding (RECORDINGS_*; docs/recordings.md). */
  readonly recordings: RecordingsConfig;
  /** The address written into SDP and Contact headers; loopback by default. */
  readonly publicIp: string;
  readonly rtpPortMin: number;
  readonly rtpPortMax: number;
  /**
   * Media worker threads (MEDIA_WORKERS, default DEFAULT_MEDIA_WORKERS): 0 runs the RTP relay, recording and
   * mixing on the main thread; N runs them in N worker threads, each on a shard of the RTP port range (docs/media.md
   * § "Media workers").
   */
  readonly mediaWorkers: number;
  readonly dataDir: string;
  readonly databaseUrl: string | undefined;
  /** PostgreSQL schema to keep tongdai's tables in (default: the connection's search_path). */
  readonly databaseSchema: string | undefined;
  readonly redisUrl: string | undefined;
  /** Socket.IO connections without a successful `subscribe` by then are closed (REALTIME_AUTH_TIMEOUT_MS). */
  readonly realtimeAuthTimeoutMs: number;
  /**
   * Realtime events of a tenant go out at most once per this many ms (REALTIME_BATCH_MS, 0 = at once): an event
   * after a quiet spell leaves at once, events closer together share one write per socket (docs/api/antbuddy.md).
   */
  readonly realtimeBatchMs: number;
  /**
   * An HTTP keep-alive connection idle after its last response is closed after this (HTTP_KEEPALIVE_TIMEOUT_MS,
   * default 72 s: above the 60 s idle timeouts of common load balancers, so they close first).
   */
  readonly httpKeepAliveTimeoutMs: number;
  readonly logLevel: LogLevel;
  /** Base URL used in links tongdai hands out (signed recording URLs); derived from the port when unset. */
  readonly publicUrl: string;
  /** Key for secrets encrypted at rest (app secrets, SIP passwords); from TONGDAI_SECRET_KEY or the data dir. */
  readonly secretKey: string | undefined;
  readonly rateLimitTenant: number;
  readonly rateLimitRoute: number;
  /** Allow webhook/callback URLs that resolve to loopback or private addresses (tests, on-premise). */
  readonly allowPrivateWebhooks: boolean;
  /** Console sign-in attempts per client address per 10 s window (CONSOLE_LOGIN_PER_10S). */
  readonly consoleLoginPer10s: number;
  /** Where the demo tenant's trunk sends outbound calls (a sipp on loopback plays the carrier). */
  readonly demoTrunkPort: number;
  /** Serve `/metrics` on its own listener at this port (METRICS_PORT; 0 picks a free one); unset: no listener. */
  readonly metricsPort: number | undefined;
  /** Address of the metrics listener (METRICS_HOST, default 127.0.0.1: keep it off the public network). */
  readonly metricsHost: string;
  /** When set, `/metrics` is also served on the main port to `Authorization: Bearer <token>` (METRICS_TOKEN). */
  readonly metricsToken: string | undefined;
}

export type ConfigOverrides = Partial<
  Record<Exclude<keyof Config, 'sip'>, string | number | boolean | undefined>
>;

/**
 * Media in worker threads by default: two (one on a one-core machine). Two carried 600 recorded calls at 0 % loss
 * with the main event loop's p99 at 12.5 ms on this project's 2-core machine, where the in-thread engine lost 40 %
 * (docs/performance.md § Media workers); MEDIA_WORKERS=0 keeps everything on the main thread.
 */
export const DEFAULT_MEDIA_WORKERS = Math.min(2, availableParallelism());

function int(
  name: string,
  raw: string | number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  const n = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new FatalConfigError(`${name} must be an integer between ${min} and ${max}, got "${raw}"`);
  }
  return n;
}

function bool(name: string, raw: string | number | boolean | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  if (typeof raw === 'boolean') return raw;
  const s = String(raw).toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new FatalConfigError(`${name} must be true or false, got "${raw}"`);
}

function url(name: string, raw: string | undefined, protocols: string[]): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new FatalConfigError(`${name} is not a valid URL: "${raw}"`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new FatalConfigError(
      `${name} must start with ${protocols.map((p) => p + '//').join(' or ')}, got "${raw}"`,
    );
  }
  return raw;
}

function schemaName(raw: string | undefined): string | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(raw)) {
    throw new FatalConfigError(`DATABASE_SCHEMA must be a lowercase SQL identifier, got "${raw}"`);
  }
  return raw;
}

function metricsConfig(
  port: string | number | boolean | undefined,
  host: string | number | boolean | undefined,
  token: string | number | boolean | undefined,
): Pick<Config, 'metricsPort' | 'metricsHost' | 'metricsToken'> {
  const t = token === undefined || token === '' ? undefined : String(token);
  if (t !== undefined && t.length < 16)
    throw new FatalConfigError('METRICS_TOKEN must be at least 16 characters');
  return {
    metricsPort:
      port === undefined || port === '' ? undefined : int('METRICS_PORT', String(port), 0, 0, 65535),
    metricsHost: String(host ?? '127.0.0.1'),
    metricsToken: t,
  };
}

/** Build the configuration from an environment plus explicit overrides (CLI flags win over the environment). */
export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: ConfigOverrides = {}): Config {
  const pick = (key: keyof ConfigOverrides, envName: string) => overrides[key] ?? env[envName];
  const logLevel = String(pick('logLevel', 'LOG_LEVEL') ?? 'info');
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new FatalConfigError(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}, got "${logLevel}"`);
  }
  const port = int('PORT', pick('port', 'PORT') as string, 8080, 0, 65535);
  const sipPort = int('SIP_PORT', pick('sipPort', 'SIP_PORT') as string, 5060, 0, 65535);
  const rtpPortMin = int('RTP_PORT_MIN', pick('rtpPortMin', 'RTP_PORT_MIN') as string, 20000, 1024, 65534);
  const rtpPortMax = int('RTP_PORT_MAX', pick('rtpPortMax', 'RTP_PORT_MAX') as string, 29999, 1025, 65535);
  if (rtpPortMax <= rtpPortMin) throw new FatalConfigError('RTP_PORT_MAX must be greater than RTP_PORT_MIN');
  const publicUrl = url('PUBLIC_URL', pick('publicUrl', 'PUBLIC_URL') as string, ['http:', 'https:']);
  const config: Config = {
    host: String(pick('host', 'HOST') ?? '0.0.0.0'),
    port,
    sipHost: String(pick('sipHost', 'SIP_HOST') ?? '0.0.0.0'),
    sipPort,
    sip: sipOptionsFromEnv(env),
    recordings: recordingsConfigFromEnv(env),
    nodeId: String(pick('nodeId', 'NODE_ID') || `${hostname()}:${sipPort}`).slice(0, 200),
    publicIp: String(pick('publicIp', 'PUBLIC_IP') ?? '127.0.0.1'),
    rtpPortMin,
    rtpPortMax,
    mediaWorkers: int(
      'MEDIA_WORKERS',
      pick('mediaWorkers', 'MEDIA_WORKERS') as string,
      DEFAULT_MEDIA_WORKERS,
      0,
      64,
    ),
    dataDir: resolve(String(pick('dataDir', 'TONGDAI_DATA') ?? './data')),
    databaseUrl: url('DATABASE_URL', pick('databaseUrl', 'DATABASE_URL') as string, [
      'postgres:',
      'postgresql:',
    ]),
    databaseSchema: schemaName(pick('databaseSchema', 'DATABASE_SCHEMA') as string | undefined),
    redisUrl: url('REDIS_URL', pick('redisUrl', 'REDIS_URL') as string, ['redis:', 'rediss:']),
    realtimeAuthTimeoutMs: int(
      'REALTIME_AUTH_TIMEOUT_MS',
      pick('realtimeAuthTimeoutMs', 'REALTIME_AUTH_TIMEOUT_MS') as string,
      30_000,
      50,
      600_000,
    ),
    realtimeBatchMs: int(
      'REALTIME_BATCH_MS',
      pick('realtimeBatchMs', 'REALTIME_BATCH_MS') as string,
      20,
      0,
      1_000,
    ),
    httpKeepAliveTimeoutMs: int(
      'HTTP_KEEPALIVE_TIMEOUT_MS',
      pick('httpKeepAliveTimeoutMs', 'HTTP_KEEPALIVE_TIMEOUT_MS') as string,
      KEEP_ALIVE_TIMEOUT_MS,
      100,
      600_000,
    ),
    logLevel: logLevel as LogLevel,
    publicUrl: (publicUrl ?? `http://127.0.0.1:${port}`).replace(/\/+$/, ''),
    secretKey: (pick('secretKey', 'TONGDAI_SECRET_KEY') as string | undefined) || undefined,
    rateLimitTenant: int(
      'RATE_LIMIT_TENANT',
      pick('rateLimitTenant', 'RATE_LIMIT_TENANT') as string,
      2000,
      1,
      1e9,
    ),
    rateLimitRoute: int(
      'RATE_LIMIT_ROUTE',
      pick('rateLimitRoute', 'RATE_LIMIT_ROUTE') as string,
      1000,
      1,
      1e9,
    ),
    allowPrivateWebhooks: bool(
      'WEBHOOK_ALLOW_PRIVATE',
      pick('allowPrivateWebhooks', 'WEBHOOK_ALLOW_PRIVATE') as string,
      false,
    ),
    consoleLoginPer10s: int(
      'CONSOLE_LOGIN_PER_10S',
      pick('consoleLoginPer10s', 'CONSOLE_LOGIN_PER_10S') as string,
      10,
      1,
      1e6,
    ),
    demoTrunkPort: int('DEMO_TRUNK_PORT', pick('demoTrunkPort', 'DEMO_TRUNK_PORT') as string, 5090, 1, 65535),
    ...metricsConfig(
      pick('metricsPort', 'METRICS_PORT'),
      pick('metricsHost', 'METRICS_HOST'),
      pick('metricsToken', 'METRICS_TOKEN'),
    ),
  };
  return Object.freeze(config);
}
