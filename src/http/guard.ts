import type { FastifyReply, FastifyRequest, preHandlerAsyncHookHandler } from 'fastify';
import { DomainError } from '../errors.js';
import { type Principal, type Scope, hasScope } from '../domain/credentials.js';
import { rateLimitHeaders } from '../ratelimit/limiter.js';
import type { AppContext } from '../context.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
  }
  interface FastifyContextConfig {
    /** The scope a route requires of the caller's credential. */
    scope?: Scope;
    /** Routes that authenticate themselves (e.g. signed URLs) skip the family guard. */
    public?: boolean;
  }
}

/** How one API family finds the caller: a header scheme, a signature, a token… */
export type PrincipalResolver = (req: FastifyRequest) => Promise<Principal | null>;

/**
 * The auth core every family plugs its scheme into: authenticate, check the route's scope, then count the request
 * against the tenant's and the route's rate limits (Kong semantics) and set the rate-limit headers.
 */
export function createGuard(ctx: AppContext, resolve: PrincipalResolver): preHandlerAsyncHookHandler {
  return async function guard(req: FastifyRequest, reply: FastifyReply) {
    const cfg = req.routeOptions.config;
    if (cfg.public) return;
    const principal = await resolve(req);
    if (!principal) throw new DomainError('UNAUTHORIZED', 'missing or invalid credentials');
    req.principal = principal;
    await applyRateLimit(ctx, req, reply, principal.tenantId, principal.limits);
    if (cfg.scope && !hasScope(principal, cfg.scope)) {
      throw new DomainError('INSUFFICIENT_SCOPE', `this credential lacks the "${cfg.scope}" scope`);
    }
  };
}

/** Count this request for its tenant and route; throws RATE_LIMITED (headers already set) when over. */
export async function applyRateLimit(
  ctx: AppContext,
  req: FastifyRequest,
  reply: FastifyReply,
  tenantId: number,
  known?: Principal['limits'],
) {
  const limits = known
    ? { tenant: known.tenant ?? ctx.config.rateLimitTenant, route: known.route ?? ctx.config.rateLimitRoute }
    : await ctx.tenantLimits(tenantId);
  const route = `${req.method} ${req.routeOptions.url ?? req.url}`;
  const decision = await ctx.limiter.check(tenantId, route, limits.tenant, limits.route);
  reply.headers(rateLimitHeaders(decision));
  if (!decision.allowed) {
    throw new DomainError(
      'RATE_LIMITED',
      `rate limit exceeded, retry after ${decision.retryAfterSec} s`,
      undefined,
      {
        retryAfterSec: decision.retryAfterSec,
      },
    );
  }
}

/** The caller's principal; only valid in routes behind a guard. */
export function principalOf(req: FastifyRequest): Principal {
  if (!req.principal) throw new DomainError('UNAUTHORIZED', 'missing or invalid credentials');
  return req.principal;
}

/** Pull a raw API key from `Authorization` (bare, `Bearer`, or Basic with the key as password) or `X-Api-Key`. */
export function apiKeyFrom(req: FastifyRequest): string | undefined {
  const x = req.headers['x-api-key'];
  if (typeof x === 'string' && x) return x.trim();
  const auth = req.headers.authorization;
  if (!auth) return undefined;
  const [scheme, value] = auth.includes(' ')
    ? [auth.slice(0, auth.indexOf(' ')), auth.slice(auth.indexOf(' ') + 1)]
    : ['', auth];
  switch (scheme.toLowerCase()) {
    case '':
      return value.trim();
    case 'bearer':
    case 'apikey':
      return value.trim();
    case 'basic': {
      const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      const pass = colon >= 0 ? decoded.slice(colon + 1) : decoded;
      return pass || (colon >= 0 ? decoded.slice(0, colon) : undefined);
    }
    default:
      return undefined;
  }
}

/** Error-like values fastify raises before a handler runs (validation, bad JSON, body too large). */
export interface FastifyErrorLike {
  statusCode?: number;
  code?: string;
  message: string;
  validation?: { instancePath?: string; message?: string; params?: Record<string, unknown> }[];
  validationContext?: string;
}

/** A precise one-line message for a schema validation failure: which field, and why. */
export function describeValidation(err: FastifyErrorLike): string {
  const v = err.validation?.[0];
  if (!v) return err.message;
  const where = err.validationContext ?? 'body';
  const params = v.params ?? {};
  const extra = typeof params.additionalProperty === 'string' ? params.additionalProperty : undefined;
  const missing = typeof params.missingProperty === 'string' ? params.missingProperty : undefined;
  const path = (v.instancePath ?? '').replace(/^\//, '').replace(/\//g, '.');
  if (extra) return `${where}${path ? '.' + path : ''}: unknown field "${extra}"`;
  if (missing) return `${where}: "${path ? path + '.' : ''}${missing}" is required`;
  return `${where}${path ? '.' + path : ''} ${v.message ?? 'is invalid'}`;
}
