import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../../context.js';
import {
  type ConsoleRole,
  type IssuedSession,
  SESSION_TTL_MS,
  type SessionView,
  csrfMatches,
  resolveSession,
  roleAllows,
} from '../../domain/console-accounts.js';
import { DomainError } from '../../errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The least console role a console API route needs (default: any signed-in user). */
    consoleRole?: ConsoleRole;
  }
  interface FastifyRequest {
    consoleSession?: SessionView;
  }
}

export const SESSION_COOKIE = 'td_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    try {
      out[k] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      // a malformed cookie is no cookie
    }
  }
  return out;
}

/** Behind TLS (directly, or a proxy that says so) the cookie is also `Secure`. */
function isTls(req: FastifyRequest): boolean {
  return req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
}

export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, s: IssuedSession): void {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', `Max-Age=${Math.floor(SESSION_TTL_MS / 1000)}`];
  if (isTls(req)) attrs.push('Secure');
  reply.header('Set-Cookie', `${SESSION_COOKIE}=${s.token}; ${attrs.join('; ')}`);
}

export function clearSessionCookie(req: FastifyRequest, reply: FastifyReply): void {
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', 'Max-Age=0'];
  if (isTls(req)) attrs.push('Secure');
  reply.header('Set-Cookie', `${SESSION_COOKIE}=; ${attrs.join('; ')}`);
}

/**
 * A state-changing request must come from our own pages: when the browser names an Origin it must be this host
 * (a cross-site form or fetch names its own), and the body must be JSON (a plain HTML form cannot send it).
 */
export function checkOrigin(req: FastifyRequest): void {
  if (SAFE_METHODS.has(req.method)) return;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string;
    try {
      host = new URL(origin).host;
    } catch {
      host = '';
    }
    if (host !== req.headers.host) throw new DomainError('FORBIDDEN', 'cross-site request refused', 'csrf');
  }
  const type = req.headers['content-type'] ?? '';
  if (req.body !== undefined && !type.startsWith('application/json'))
    throw new DomainError('INVALID_INPUT', 'the body must be JSON', 'content_type');
}

/** The console guard: a live session, then (for writes) origin and CSRF token, then the route's role. */
export function consoleGuard(ctx: AppContext) {
  return async function guard(req: FastifyRequest): Promise<void> {
    const cfg = req.routeOptions.config;
    checkOrigin(req);
    if (cfg.public) return;
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE] ?? '';
    const session = await resolveSession(ctx.db, ctx.clock, token);
    if (!session) throw new DomainError('UNAUTHORIZED', 'not signed in (or the session ended)');
    if (!SAFE_METHODS.has(req.method)) {
      const presented = req.headers['x-csrf-token'];
      if (!csrfMatches(session, typeof presented === 'string' ? presented : undefined))
        throw new DomainError('FORBIDDEN', 'missing or wrong CSRF token', 'csrf');
    }
    const needed = cfg.consoleRole ?? 'agent';
    if (!roleAllows(session.user.role, needed))
      throw new DomainError('FORBIDDEN', `this needs the ${needed} role`, 'role');
    req.consoleSession = session;
  };
}

export function sessionOf(req: FastifyRequest): SessionView {
  if (!req.consoleSession) throw new DomainError('UNAUTHORIZED', 'not signed in');
  return req.consoleSession;
}
