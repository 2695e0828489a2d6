import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { getTenant } from '../../domain/tenants.js';
import { apiKeyFrom, createGuard, principalOf } from '../guard.js';
import { installNativeErrors, nativeEnvelope } from './errors.js';
import { claimPrefix } from '../family-errors.js';
import { registerNativeAgentRoutes } from './agents.js';
import { registerNativeStatusRoutes } from './statuses.js';
import { registerNativeTeamRoutes } from './teams.js';
import { registerNativeMediaRoutes } from './media.js';
import { registerNativeDirectoryAdminRoutes } from './roles.js';
import { registerNativeCallRoutes } from './calls.js';
import { registerNativeCallActionRoutes } from './call-actions.js';
import { registerNativeCallbackRoutes } from './callbacks.js';
import { registerNativeIvrRoutes } from './ivr.js';
import { registerNativeSkillRoutes } from './skills.js';
import { registerNativeVoicemailRoutes } from './voicemails.js';

/** The native tongdai API (`/api/...`): API key in `X-Api-Key` or `Authorization: Bearer`. */
export async function nativeFamily(app: FastifyInstance, ctx: AppContext): Promise<void> {
  claimPrefix(app, '/api', nativeEnvelope);
  await app.register(async (api) => {
    installNativeErrors(api);
    const guard = createGuard(ctx, (req) => ctx.credentials.verifyApiKey(apiKeyFrom(req)));
    // onRequest: the caller is authenticated before the body is read (an anonymous upload is refused unread).
    api.addHook('onRequest', async (req, reply) => {
      if (!req.is404) await guard.call(api, req, reply);
    });

    await registerNativeAgentRoutes(api, ctx);
    await registerNativeStatusRoutes(api, ctx);
    await registerNativeTeamRoutes(api, ctx);
    await registerNativeMediaRoutes(api, ctx);
    await registerNativeDirectoryAdminRoutes(api, ctx);
    await registerNativeCallRoutes(api, ctx);
    await registerNativeCallActionRoutes(api, ctx);
    await registerNativeCallbackRoutes(api, ctx);
    await registerNativeIvrRoutes(api, ctx);
    await registerNativeSkillRoutes(api, ctx);
    await registerNativeVoicemailRoutes(api, ctx);
    api.get(
      '/api/tenant',
      {
        schema: {
          tags: ['native'],
          summary: "The caller's tenant",
          response: {
            200: Type.Object({
              tenant_id: Type.Integer(),
              name: Type.String(),
              account_id: Type.String(),
              sip_domain: Type.String(),
              scopes: Type.Array(Type.String()),
            }),
          },
        },
      },
      async (req) => {
        const p = principalOf(req);
        const t = await getTenant(ctx.db, p.tenantId);
        return {
          tenant_id: t.id,
          name: t.name,
          account_id: t.account_id,
          sip_domain: t.sip_domain,
          scopes: [...p.scopes],
        };
      },
    );
  });
}
