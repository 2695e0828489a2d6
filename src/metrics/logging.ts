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
