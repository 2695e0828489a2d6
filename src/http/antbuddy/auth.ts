import type { FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import type { Principal } from '../../domain/credentials.js';
import { findAgentByEmail } from '../../domain/dashboard.js';
import { getTenant } from '../../domain/tenants.js';
import { DomainError } from '../../errors.js';
import type { NonceStore } from './replay.js';
import {
  NONCE_TTL_SEC,
  type Stamp,
  authError,
  checkWindow,
  historyCandidates,
  matchesAny,
  parseStamp,
} from './signature.js';

/** Which documented signature a route expects. */
export type AntbuddyAuth = 'header' | 'histories' | 'media' | 'directory';

declare module 'fastify' {
  interface FastifyContextConfig {
    antbuddyAuth?: AntbuddyAuth;
  }
}

/** What an AntBuddy app may do: everything its family documents, nothing administrative. */
const APP_SCOPES: ReadonlySet<string> = new Set(['agent', 'queue', 'call', 'status', 'recording']);

type Query = Record<string, string | undefined>;

/** The query string exactly as sent: signatures cover the raw text, not the schema-coerced values. */
function rawQuery(req: FastifyRequest): Query {
  const out: Query = {};
  const params = new URL(req.url, 'http://x').searchParams;
  for (const [k, v] of params) if (!(k in out)) out[k] = v;
  return out;
}

function header(req: FastifyRequest, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function required(q: Query, name: string): string {
  const v = q[name];
  if (v === undefined || v === '')
    throw new DomainError('INVALID_INPUT', `querystring: "${name}" is required`, 'invalid_input');
  return v;
}

interface Presented {
  appId: string | undefined;
  hash: string | undefined;
  stamp: Stamp | null;
  /** The concatenations (without the secret) any of which the hash may sign. */
  candidates: (appId: string) => string[][];
}

function present(req: FastifyRequest, scheme: AntbuddyAuth): Presented {
  if (scheme === 'header') {
    return {
      appId: header(req, 'x-auth-app-id'),
      hash: header(req, 'x-auth-app-hash'),
      stamp: parseStamp(header(req, 'x-auth-timestamp'), header(req, 'x-auth-nonce')),
      candidates: (appId) => [[appId]],
    };
  }
  const q = rawQuery(req);
  const base = { appId: q.appId, hash: q.hash, stamp: parseStamp(q.timestamp, q.nonce) };
  switch (scheme) {
    case 'histories': {
      const p = {
        from: required(q, 'created_from'),
        to: required(q, 'created_to'),
        limit: q.limit,
        page: q.page,
      };
      return { ...base, candidates: (appId) => historyCandidates(appId, p) };
    }
    case 'media': {
      const media = required(q, 'media');
      return { ...base, candidates: (appId) => [[appId, media]] };
    }
    case 'directory': {
      const domain = required(q, 'domain');
      const email = required(q, 'email');
      return { ...base, candidates: (appId) => [[appId, domain, email]] };
    }
  }
}

/** Dashboard, queues and agents sign `domain` and `email`: both must be the app's own tenant's. */
async function checkDirectoryScope(ctx: AppContext, req: FastifyRequest, tenantId: number): Promise<void> {
  const q = rawQuery(req);
  const tenant = await getTenant(ctx.db, tenantId);
  if ((q.domain ?? '').trim().toLowerCase() !== tenant.sip_domain.toLowerCase()) {
    throw authError('FORBIDDEN', 'domain_mismatch', `domain "${q.domain}" is not this app's company domain`);
  }
  if (!(await findAgentByEmail(ctx.db, tenantId, q.email ?? ''))) {
    throw authError('FORBIDDEN', 'email_not_in_company', `email "${q.email}" is not a user of this company`);
  }
}

/**
 * The AntBuddy app-credential check: find the app, verify the hash against every accepted concatenation, then
 * (when sent) the timestamp window and the nonce. The nonce is claimed only after the signature verified, so
 * nobody can burn another client's nonces with forged requests.
 */
export function antbuddyResolver(ctx: AppContext, nonces: NonceStore) {
  return async (req: FastifyRequest): Promise<Principal | null> => {
    const scheme = req.routeOptions.config.antbuddyAuth ?? 'header';
    // The app is identified before any signed parameter is parsed: an anonymous or unknown caller gets 401,
    // never a 400 naming the parameters a signature covers.
    const q = scheme === 'header' ? undefined : rawQuery(req);
    const appId = q ? q.appId : header(req, 'x-auth-app-id');
    const hash = q ? q.hash : header(req, 'x-auth-app-hash');
    const where = scheme === 'header' ? 'x-auth-app-id / x-auth-app-hash headers' : 'appId / hash parameters';
    if (!appId || !hash) throw authError('UNAUTHORIZED', 'missing_credentials', `missing ${where}`);
    const app = await ctx.credentials.findApp(appId);
    if (!app) throw authError('UNAUTHORIZED', 'invalid_credentials', 'unknown or revoked app id');
    const p = present(req, scheme);
    if (!p.appId || !p.hash || !matchesAny(p.candidates(p.appId), app.secret, p.stamp, p.hash)) {
      throw authError('UNAUTHORIZED', 'invalid_signature', 'hash does not match the signed parameters');
    }
    if (p.stamp) {
      checkWindow(p.stamp, ctx.clock.now());
      const fresh = await nonces.claim(`${app.tenantId}:${p.appId}:${p.stamp.nonce}`, NONCE_TTL_SEC);
      if (!fresh) throw authError('UNAUTHORIZED', 'nonce_replayed', 'this nonce was already used');
    }
    if (scheme === 'directory') await checkDirectoryScope(ctx, req, app.tenantId);
    return { tenantId: app.tenantId, scopes: APP_SCOPES, kind: 'app', credentialId: app.id };
  };
}
