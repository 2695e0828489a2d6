import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { apiKeyFrom, createGuard } from '../guard.js';
import { registerAgentStatusRoutes } from './agent-statuses.js';
import { installCcaiErrors } from './errors.js';

/**
 * The CCAI Platform family (seed 004): `/apps/api/v1/agent_statuses`. An API key with the `status` scope, sent as
 * `Authorization: Basic base64(anything:KEY)` (CCAI's own scheme: the key is the password) or `Bearer KEY`.
 */
export async function ccaiFamily(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await app.register(async (api) => {
    installCcaiErrors(api);
    api.addHook(
      'preHandler',
      createGuard(ctx, (req) => ctx.credentials.verifyApiKey(apiKeyFrom(req))),
    );
    await registerAgentStatusRoutes(api, ctx);
  });
}
