import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type SessionView,
  setConsolePassword,
  signIn,
  signOut,
  revokeAgentSessions,
} from '../../domain/console-accounts.js';
import { getTenant } from '../../domain/tenants.js';
import { DomainError } from '../../errors.js';
import { verifyPassword } from '../../domain/secrets.js';
import { clearSessionCookie, sessionOf, setSessionCookie } from './session.js';

const LoginBody = Type.Object(
  {
    email: Type.String({ minLength: 1, maxLength: 200 }),
    password: Type.String({ minLength: 1, maxLength: 200 }),
    tenant_id: Type.Optional(Type.Integer({ minimum: 1 })),
  },
  { additionalProperties: false },
);

const PasswordBody = Type.Object(
  {
    current_password: Type.String({ minLength: 1, maxLength: 200 }),
    new_password: Type.String({ minLength: 1, maxLength: 200 }),
  },
  { additionalProperties: false },
);

async function sessionView(ctx: AppContext, s: Pick<SessionView, 'user' | 'csrf'>) {
  const t = await getTenant(ctx.db, s.user.tenantId);
  return {
    user: {
      agent_id: s.user.agentId,
      email: s.user.email,
      name: s.user.name,
      extension: s.user.extension,
      role: s.user.role,
    },
    tenant: { id: t.id, name: t.name },
    locale: t.console_locale === 'vi' ? 'vi' : 'en',
    csrf: s.csrf,
  };
}

/** Sign in, sign out, the current session and the user's own password. */
export function registerConsoleAuthRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/console/api/login',
    { config: { public: true }, schema: { hide: true, body: LoginBody } },
    async (req, reply) => {
      const d = await ctx.limiter.check(
        0,
        `console-login ${req.ip}`,
        Number.MAX_SAFE_INTEGER,
        // Per client address per 10 s window, before any account lockout is counted.
        ctx.config.consoleLoginPer10s,
      );
      if (!d.allowed) {
        throw new DomainError(
          'RATE_LIMITED',
          `Too many sign-in attempts from this address: wait ${d.retryAfterSec} s.`,
          'login_rate_limited',
          { retryAfterSec: d.retryAfterSec },
        );
      }
      const s = await signIn(ctx.db, ctx.clock, {
        email: req.body.email,
        password: req.body.password,
        ...(req.body.tenant_id ? { tenantId: req.body.tenant_id } : {}),
      });
      setSessionCookie(req, reply, s);
      return sessionView(ctx, s);
    },
  );
  api.post('/console/api/logout', { schema: { hide: true } }, async (req, reply) => {
    await signOut(ctx.db, sessionOf(req).id);
    clearSessionCookie(req, reply);
    return { signed_out: true };
  });
  api.get('/console/api/session', { schema: { hide: true } }, async (req) =>
    sessionView(ctx, sessionOf(req)),
  );
  api.post('/console/api/me/password', { schema: { hide: true, body: PasswordBody } }, async (req, reply) => {
    const { user } = sessionOf(req);
    const agent = await ctx.db
      .selectFrom('agents')
      .select(['password_hash'])
      .where('tenant_id', '=', user.tenantId)
      .where('id', '=', user.agentId)
      .executeTakeFirstOrThrow();
    if (!agent.password_hash || !(await verifyPassword(req.body.current_password, agent.password_hash)))
      throw new DomainError('FORBIDDEN', 'the current password is wrong', 'bad_credentials');
    await setConsolePassword(ctx.db, ctx.clock, user.tenantId, user.email, req.body.new_password);
    // Every session ends, this one too: the user signs in again with the new password.
    await revokeAgentSessions(ctx.db, user.tenantId, user.agentId);
    // Its open /console sockets re-check their session on this event and disconnect (live.ts).
    ctx.bus.publish(user.tenantId, 'agent.changed', { agentId: user.agentId, at: ctx.clock.now() });
    clearSessionCookie(req, reply);
    return { changed: true };
  });
}
