import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { apiKeyFrom, createGuard } from '../guard.js';
import { registerAgentStatusRoutes } from './agent-statuses.js';
import { ccaiEnvelope, installCcaiErrors } from './errors.js';
import { claimPrefix } from '../family-errors.js';

/**
 * The CCAI Platform family (seed 004): `/apps/api/v1/agent_statuses`. An API key with the `status` scope, sent as
 * `Authorization: Basic base64(anything:KEY)` (CCAI's own scheme: the key is the password) or `Bearer KEY`.
 */
export async function ccaiFamily(app: FastifyInstance, ctx: AppContext): Promise<void> {
  claimPrefix(app, '/apps/api', ccaiEnvelope);
  await app.register(async (api) => {
    installCcaiErrors(api);
    const guard = createGuard(ctx, (req) => ctx.credentials.verifyApiKey(apiKeyFrom(req)));
    // onRequest: the caller is authenticated before the body is read, parsed or validated.
    api.addHook('onRequest', async (req, reply) => {
      if (!req.is404) await guard.call(api, req, reply);
    });
    await registerAgentStatusRoutes(api, ctx);
  });
}
