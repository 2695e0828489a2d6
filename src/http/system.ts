import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import type { AppContext } from '../context.js';

/** Liveness, readiness and the generated OpenAPI document. */
export async function registerSystemRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.get('/healthz', { schema: { hide: true } }, async () => ({ status: 'ok' }));
  app.get('/readyz', { schema: { hide: true } }, async (_req, reply) => {
    try {
      await sql`select 1`.execute(ctx.db);
      // Recording storage being away does not make the node unready (recordings wait on disk): it is a detail.
      return { status: 'ready', storage: ctx.store.dialect, recordings: ctx.recordings.storageHealth() };
    } catch (e) {
      ctx.logger.warn({ err: e }, 'readiness check failed');
      return reply.code(503).send({ status: 'unavailable', storage: ctx.store.dialect });
    }
  });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
}
