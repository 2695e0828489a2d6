import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../context.js';
import { Readiness, databaseCheck } from '../metrics/readiness.js';

/** Liveness, readiness and the generated OpenAPI document. */
export async function registerSystemRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  const fallback = new Readiness().add('database', databaseCheck(ctx.db, ctx.store.dialect));
  // Each component reports up, down (with why) or not_configured; any one down answers 503 (docs/operations.md).
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    const { ready, components } = await (ctx.readiness ?? fallback).check();
    // Recording storage being away does not make the node unready (recordings wait on disk): it is a detail.
    const body = {
      status: ready ? 'ready' : 'unavailable',
      storage: ctx.store.dialect,
      components,
      recordings: ctx.recordings.storageHealth(),
    };
    if (ready) return body;
    const down = Object.entries(components).filter(([, c]) => c.status === 'down');
    ctx.logger.warn({ down: Object.fromEntries(down) }, 'readiness check failed');
    return reply.code(503).send(body);
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
