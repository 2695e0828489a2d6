/**
 * Whether `err` says PostgreSQL or Redis cannot be reached right now (a restart, a dropped connection, a server
 * that is starting or shutting down), as opposed to a bug. A request that meets one fails with UNAVAILABLE (503,
 * Retry-After) in its family's shape, not INTERNAL: the caller should retry, and nothing is wrong with the request.
 */
export function isStoreUnavailable(err: unknown, depth = 0): boolean {
  if (!err || typeof err !== 'object' || depth > 3) return false;
  const e = err as { code?: unknown; name?: unknown; message?: unknown; errors?: unknown; cause?: unknown };
  if (typeof e.code === 'string' && UNAVAILABLE_CODES.has(e.code)) return true;
  if (e.name === 'MaxRetriesPerRequestError') return true;
  if (typeof e.message === 'string' && UNAVAILABLE_MESSAGE.test(e.message)) return true;
  // pg's connect to several addresses of one host rejects with an AggregateError of the socket errors.
  if (Array.isArray(e.errors) && e.errors.some((x) => isStoreUnavailable(x, depth + 1))) return true;
  return isStoreUnavailable(e.cause, depth + 1);
}

const UNAVAILABLE_CODES = new Set([
  // sockets
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  // PostgreSQL SQLSTATE: connection exceptions (class 08), operator intervention (57P01–57P03), too many connections
  '08000',
  '08001',
  '08003',
  '08004',
  '08006',
  '57P01',
  '57P02',
  '57P03',
  '53300',
]);

const UNAVAILABLE_MESSAGE =
  /Connection terminated|connection timeout|Client has encountered a connection error|Connection is closed|max retries per request|the database system is (starting up|shutting down|in recovery mode)|Stream isn't writeable/i;
