import { createHash, timingSafeEqual } from 'node:crypto';
import { type Server, createServer } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { FatalConfigError } from '../errors.js';
import type { Metrics } from './index.js';

async function scrape(
  metrics: Metrics,
  logger: Logger,
): Promise<{ status: number; type: string; body: string }> {
  try {
    return { status: 200, type: metrics.contentType, body: await metrics.render() };
  } catch (e) {
    logger.warn({ err: e }, 'metrics collection failed');
    const msg = e instanceof Error ? e.message : String(e);
    return { status: 503, type: 'text/plain; charset=utf-8', body: `metrics collection failed: ${msg}\n` };
  }
}

/** The metrics listener on its own port (METRICS_PORT): only `GET /metrics`, no credentials, keep it private. */
export async function startMetricsListener(
  metrics: Metrics,
  logger: Logger,
  host: string,
  port: number,
): Promise<{ port: number; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path !== '/metrics' || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res
        .writeHead(404, { 'content-type': 'text/plain; charset=utf-8' })
        .end('only GET /metrics is served here\n');
      return;
    }
    void scrape(metrics, logger).then((r) => {
      res.writeHead(r.status, { 'content-type': r.type }).end(req.method === 'HEAD' ? undefined : r.body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'EADDRINUSE'
          ? new FatalConfigError(`METRICS_PORT ${port} is already in use (set METRICS_PORT to another one)`)
          : e,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return {
    port: typeof addr === 'object' && addr ? addr.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/**
 * `GET /metrics` on the main port for `Authorization: Bearer <METRICS_TOKEN>` (compared in constant time). Without
 * a configured token the route answers 404, as if it did not exist.
 */
export function registerMetricsRoute(
  app: FastifyInstance,
  metrics: Metrics,
  token: string | undefined,
  logger: Logger,
): void {
  const want = token === undefined ? null : digest(token);
  app.get('/metrics', { schema: { hide: true } }, async (req, reply) => {
    if (!want) {
      return reply
        .code(404)
        .send({ statusCode: 404, error: 'NOT_FOUND', message: 'metrics are not served on this port' });
    }
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '');
    if (!m || !timingSafeEqual(digest(m[1]!), want)) {
      return reply.code(401).header('www-authenticate', 'Bearer realm="metrics"').send({
        statusCode: 401,
        error: 'UNAUTHORIZED',
        message: 'send Authorization: Bearer <METRICS_TOKEN>',
      });
    }
    const r = await scrape(metrics, logger);
    return reply.code(r.status).type(r.type).send(r.body);
  });
}
