import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import { AgentDirectory } from '../../domain/agent-directory.js';
import { DomainError } from '../../errors.js';
import { apiKeyFrom, createGuard, principalOf } from '../guard.js';
import { registerAgentRoutes } from './agents.js';
import { alohubEnvelope, installAlohubErrors } from './envelope.js';
import { claimPrefix } from '../family-errors.js';
import { registerQueueRoutes } from './queues.js';

/** The seeds' curl examples use `https://host/v1/…`, their axios and python examples `{{host}}/api/v1/…`. */
export const ALOHUB_PREFIXES = ['/v1', '/api/v1'] as const;

/**
 * Kong injects `X-Tenant-ID`; a caller that sends it anyway must name the key's own tenant, whatever it is
 * (401 UNAUTHORIZED otherwise, a code the document lists). An absent or empty header means "the key's tenant".
 */
function checkTenantHeader(req: FastifyRequest): void {
  const raw = req.headers['x-tenant-id'];
  if (raw === undefined || raw === '') return;
  const tenantId = principalOf(req).tenantId;
  const values = Array.isArray(raw) ? raw : [raw];
  if (values.some((v) => v.trim() !== String(tenantId))) {
    throw new DomainError(
      'UNAUTHORIZED',
      `X-Tenant-ID ${values.join(',').slice(0, 64)} does not match the API key's tenant`,
      'tenant_mismatch',
    );
  }
}

/**
 * The AloHub family (seeds 000 agents, 001 inbound queues): API key in `Authorization` (bare) or `X-Api-Key`,
 * the `{success, error_code, error_message}` envelope, pages from 0. Served under both documented prefixes.
 */
export async function alohubFamily(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const directory = new AgentDirectory(ctx.db, ctx.liveStatuses);
  const guard = createGuard(ctx, (req) => ctx.credentials.verifyApiKey(apiKeyFrom(req)));
  for (const prefix of ALOHUB_PREFIXES) {
    claimPrefix(app, prefix, alohubEnvelope);
    await app.register(
      async (api) => {
        installAlohubErrors(api);
        // onRequest, so credentials are checked before the body is parsed or validated: an anonymous caller
        // learns nothing about the input rules, and rate limits count every authenticated attempt.
        api.addHook('onRequest', async (req, reply) => {
          if (req.is404) return;
          await guard.call(api, req, reply);
          checkTenantHeader(req);
        });
        registerAgentRoutes(api, ctx, directory);
        registerQueueRoutes(api, ctx);
      },
      { prefix },
    );
  }
}
