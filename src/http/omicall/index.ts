import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { registerTransferJobs } from '../../domain/agent-transfer.js';
import { createGuard } from '../guard.js';
import { registerApiKeyDirectoryRoutes, registerBearerDirectoryRoutes } from './directory.js';
import { installOmicallErrors, omicallEnvelope } from './envelope.js';
import { claimPrefix } from '../family-errors.js';
import { directoryDeps, registerLifecycleRoutes } from './lifecycle.js';
import { registerTransferRoute } from './transfer.js';
import { authApiKeyOf, registerAuthRoute } from './auth.js';

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
  for (const prefix of ['/api/agent', '/api/v2', '/api/v3', '/api/auth'])
    claimPrefix(app, prefix, omicallEnvelope);
  await app.register(async (v1v2) => {
    installOmicallErrors(v1v2);
    const guard = createGuard(ctx, (req) => ctx.credentials.verifyToken(bearerOf(req), 'bearer'));
    // onRequest: the caller is authenticated before the body is read, parsed or validated.
    v1v2.addHook('onRequest', async (req, reply) => {
      if (!req.is404) await guard.call(v1v2, req, reply);
    });
    await registerBearerDirectoryRoutes(v1v2, ctx);
    await registerLifecycleRoutes(v1v2, ctx);
  });
  await app.register(async (v3) => {
    installOmicallErrors(v3);
    const guard = createGuard(ctx, (req) => ctx.credentials.verifyApiKey(apiKeyHeader(req)));
    // onRequest: the caller is authenticated before the body is read, parsed or validated.
    v3.addHook('onRequest', async (req, reply) => {
      if (!req.is404) await guard.call(v3, req, reply);
    });
    await registerApiKeyDirectoryRoutes(v3, ctx);
    await registerTransferRoute(v3, ctx);
  });
  await app.register(async (auth) => {
    installOmicallErrors(auth);
    const guard = createGuard(ctx, (req) => ctx.credentials.verifyApiKey(authApiKeyOf(req)));
    // onRequest runs before the query is validated, so the key is read from the raw query (see authApiKeyOf).
    auth.addHook('onRequest', async (req, reply) => {
      if (!req.is404) await guard.call(auth, req, reply);
    });
    await registerAuthRoute(auth, ctx);
  });
}
