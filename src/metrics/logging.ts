import pino, { type DestinationStream, type Logger, type LoggerOptions } from 'pino';

/**
 * Field names that hold a credential wherever they appear in a log object: HTTP and SIP authorization headers,
 * passwords, API keys, tokens, app secrets. Matched at the top level, one object down (`{ demo: { api_key } }`),
 * inside `headers` / `req.headers`, and in the first element level of arrays one object down
 * (`{ demo: { agents: [{ sip_password }] } }`).
 */
export const SECRET_KEYS = [
  'authorization',
  'proxy-authorization',
  'www-authenticate',
  'cookie',
  'set-cookie',
  'x-api-key',
  'api_key',
  'apiKey',
  'password',
  'passwd',
  'sip_password',
  'console_password',
  'password_hash',
  'secret',
  'app_secret',
  'appSecret',
  'secret_key',
  'secretKey',
  'token',
  'auth_token',
  'access_token',
  'refresh_token',
  'bearer_token',
] as const;

const prop = (k: string) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k) ? `.${k}` : `["${k}"]`);

/** The pino `redact` paths built from SECRET_KEYS. */
export const REDACT_PATHS: string[] = SECRET_KEYS.flatMap((k) => {
  const p = prop(k);
  return [
    p.startsWith('.') ? k : `${p}`,
    `*${p}`,
    `*.*${p}`,
    `*[*]${p}`,
    `*.*[*]${p}`,
    `headers${p}`,
    `req.headers${p}`,
    `*.headers${p}`,
  ];
});

export const REDACTED = '[redacted]';

/** The process logger: structured JSON lines with every credential field replaced by "[redacted]". */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: LoggerOptions = { level, redact: { paths: REDACT_PATHS, censor: REDACTED } };
  return destination ? pino(options, destination) : pino(options);
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/**
 * Fastify's per-request child logger, made on its first use instead of on every request: pino runs a child's
 * bindings (`{ reqId }`) through the redaction of every wildcard path when the child is made, which cost ≈ 17 % of
 * the busy thread in the PostgreSQL list bench (docs/performance.md), for a logger most requests never write to.
 * The child, once made, is exactly `parent.child(bindings, options)`.
 */
export function lazyChildLogger(
  parent: Logger,
  bindings: pino.Bindings,
  options: pino.ChildLoggerOptions,
): Logger {
  // A route's own log level or serializers: the child decides what is written, so make it now.
  if (Object.keys(options).length > 0) return parent.child(bindings, options);
  let real: Logger | undefined;
  const get = () => (real ??= parent.child(bindings, options));
  const lazy: Record<string, unknown> = {
    child: (b: pino.Bindings, o?: pino.ChildLoggerOptions) => get().child(b, o),
    isLevelEnabled: (level: string) => (real ?? parent).isLevelEnabled(level),
    bindings: () => get().bindings(),
    flush: (cb?: (err?: Error) => void) => get().flush(cb),
  };
  for (const level of LEVELS) {
    lazy[level] = (...args: unknown[]) => {
      if (level === 'silent' || !(real ?? parent).isLevelEnabled(level)) return;
      (get()[level] as (...a: unknown[]) => void)(...args);
    };
  }
  Object.defineProperty(lazy, 'level', {
    get: () => (real ?? parent).level,
    set: (v: string) => {
      get().level = v;
    },
    enumerable: true,
  });
  return lazy as unknown as Logger;
}
