import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import type { AppContext } from '../../context.js';
import { recordingLinksFor } from '../../domain/recording-links.js';
import { createGuard } from '../guard.js';
import { antbuddyResolver } from './auth.js';
import { registerCallRoutes } from './calls.js';
import { registerDirectoryRoutes } from './directory.js';
import { antbuddyEnvelope, installAntbuddyErrors } from './errors.js';
import { claimPrefix } from '../family-errors.js';
import { MemoryNonceStore, type NonceStore, RedisNonceStore } from './replay.js';
import { registerVoiceRoutes } from './voice.js';

function nonceStore(ctx: AppContext): NonceStore {
  if (!ctx.config.redisUrl) return new MemoryNonceStore(ctx.clock);
  const redis = new Redis(ctx.config.redisUrl, { maxRetriesPerRequest: 2 });
  redis.on('error', (err) => ctx.logger.warn({ err: err.message }, 'redis error (nonce cache)'));
  return new RedisNonceStore(redis, 'tongdai:antbuddy:nonce:');
}

/**
 * The AntBuddy family (seed 002, `/oapi/v1/...`): app-id/hash headers or query signatures, optional
 * timestamp + nonce, `{message, code}` errors. The Socket.IO half lives in src/realtime.
 */
export async function antbuddyFamily(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const nonces = nonceStore(ctx);
  const links = recordingLinksFor(ctx.config, ctx.clock);
  const guard = createGuard(ctx, antbuddyResolver(ctx, nonces));
  claimPrefix(app, '/oapi', antbuddyEnvelope);
  await app.register(
    async (api) => {
      installAntbuddyErrors(api);
      api.addHook('onClose', async () => nonces.close());
      // An empty JSON body is {} (the documents send Content-Type: application/json on body-less POSTs):
      // src/http/wire.ts does that for every family.
      // onRequest: credentials are checked before the body is parsed or validated.
      api.addHook('onRequest', async (req, reply) => {
        if (req.is404) return;
        await guard.call(api, req, reply);
      });
      // Routes are declared under /v1/… inside the /oapi prefix.
      registerVoiceRoutes(api, ctx);
      registerCallRoutes(api, ctx, links);
      registerDirectoryRoutes(api, ctx);
    },
    { prefix: '/oapi' },
  );
}
