import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { installNativeErrors } from '../native/errors.js';
import { registerConsoleAdminRoutes } from './admin-routes.js';
import { registerConsoleSkillRoutes } from './skill-routes.js';
import { registerConsoleAuthRoutes } from './auth-routes.js';
import { registerConsoleCallRoutes } from './call-routes.js';
import { registerConsoleDirectoryRoutes } from './directory-routes.js';
import { registerConsoleFloorRoutes } from './floor-routes.js';
import { registerConsoleIntegrationRoutes } from './integration-routes.js';
import { registerConsoleIvrRoutes } from './ivr-routes.js';
import { registerConsoleLiveCallRoutes } from './live-call-routes.js';
import { registerConsolePhoneRoutes } from './phone-routes.js';
import { consoleGuard } from './session.js';
import { SECURITY_HEADERS, registerConsoleStatic } from './static.js';

/**
 * The web console: the page and its modules at `/`, its JSON API under `/console/api` (cookie sessions, CSRF
 * token on writes, a role per route; errors in the native envelope). See docs/console.md.
 */
export async function consoleFamily(app: FastifyInstance, ctx: AppContext): Promise<void> {
  await registerConsoleStatic(app);
  await app.register(async (api) => {
    installNativeErrors(api);
    api.addHook('onSend', async (_req, reply) => {
      reply.headers({ ...SECURITY_HEADERS, 'Cache-Control': 'no-store' });
    });
    api.addHook('preHandler', consoleGuard(ctx));
    registerConsoleAuthRoutes(api, ctx);
    registerConsoleFloorRoutes(api, ctx);
    registerConsoleCallRoutes(api, ctx);
    registerConsoleLiveCallRoutes(api, ctx);
    registerConsoleDirectoryRoutes(api, ctx);
    registerConsoleAdminRoutes(api, ctx);
    registerConsoleSkillRoutes(api, ctx);
    registerConsoleIntegrationRoutes(api, ctx);
    registerConsoleIvrRoutes(api, ctx);
    registerConsolePhoneRoutes(api, ctx);
  });
}
