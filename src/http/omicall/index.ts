import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { registerTransferJobs } from '../../domain/agent-transfer.js';
import { createGuard } from '../guard.js';
import { registerApiKeyDirectoryRoutes, registerBearerDirectoryRoutes } from './directory.js';
import { installOmicallErrors } from './envelope.js';
import { directoryDeps, registerLifecycleRoutes } from './lifecycle.js';
import { registerTransferRoute } from './transfer.js';

/** `Authorization: Bearer <token>` only: the v1/v2 endpoints take OmiCall access tokens, not API keys. */
function bearerOf(req: FastifyRequest): string | undefined {
  const auth = req.headers.authorization;
  const m = typeof auth === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(auth) : null;
  return m?.[1];
}

function apiKeyHeader(req: FastifyRequest): string | undefined {
  const k = req.headers['x-api-key'];
  return typeof k === 'string' ? k.trim() : undefined;
}

/** The OmiCall family: employee directory and lifecycle, wire-compatible with seed 003. */
export async function omicallFamily(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerTransferJobs(ctx.outbox, directoryDeps(ctx));
  await app.register(async (v1v2) => {
    installOmicallErrors(v1v2);
    v1v2.addHook(
      'preHandler',
      createGuard(ctx, (req) => ctx.credentials.verifyToken(bearerOf(req), 'bearer')),
    );
    await registerBearerDirectoryRoutes(v1v2, ctx);
    await registerLifecycleRoutes(v1v2, ctx);
  });
  await app.register(async (v3) => {
    installOmicallErrors(v3);
    v3.addHook(
      'preHandler',
      createGuard(ctx, (req) => ctx.credentials.verifyApiKey(apiKeyHeader(req))),
    );
    await registerApiKeyDirectoryRoutes(v3, ctx);
    await registerTransferRoute(v3, ctx);
  });
}
