import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { BEARER_SCOPES, BEARER_TTL_MS, type Principal, type Scope } from '../../domain/credentials.js';
import { principalOf } from '../guard.js';
import { Envelope, ok } from './envelope.js';

/** The API key of `GET /api/auth`: OmiCall's `?apiKey=` query parameter, or the `x-api-key` header (preferred). */
export function authApiKeyOf(req: FastifyRequest): string | undefined {
  const h = req.headers['x-api-key'];
  if (typeof h === 'string' && h.trim()) return h.trim();
  const q = (req.query as Record<string, unknown> | undefined)?.apiKey;
  return typeof q === 'string' && q.trim() ? q.trim() : undefined;
}

/** What a token obtained with this key may do: the key's own scopes, within what a bearer token can carry. */
function scopesFor(p: Principal): Scope[] {
  if (p.scopes.has('admin')) return [...BEARER_SCOPES];
  return BEARER_SCOPES.filter((s) => p.scopes.has(s));
}

/**
 * `GET /api/auth?apiKey=` — a fresh bearer token for the v1/v2 endpoints, obtained with an API key that has the
 * `agent` scope (OmiCall's "Get AccessToken"; docs/api/omicall.md). The token lives 24 h, carries at most the
 * key's scopes and stops working when the key is revoked.
 */
export async function registerAuthRoute(app: FastifyInstance, ctx: AppContext): Promise<void> {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/api/auth',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['omicall'],
        summary: 'A new bearer access token for an API key (24 h)',
        querystring: Type.Object({ apiKey: Type.Optional(Type.String({ maxLength: 200 })) }),
        response: {
          200: Envelope(
            Type.Object({
              access_token: Type.String(),
              access_type: Type.Literal('normal'),
              token_type: Type.Literal('Bearer'),
              expires_in: Type.Integer(),
              expired_at: Type.Integer(),
            }),
          ),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const t = await ctx.credentials.createToken(p.tenantId, 'bearer', {
        scopes: scopesFor(p),
        apiKeyId: p.credentialId,
      });
      return ok({
        access_token: t.token,
        access_type: 'normal' as const,
        token_type: 'Bearer' as const,
        expires_in: Math.round(BEARER_TTL_MS / 1000),
        expired_at: t.expiresAt,
      });
    },
  );
}
