import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../context.js';
import { getTenant } from '../../domain/tenants.js';
import { DomainError } from '../../errors.js';
import { sessionOf } from './session.js';

/**
 * The browser phone's SIP credentials (docs/webrtc.md): for the signed-in agent only, short-lived, derived from
 * the console session, so no SIP password is typed or stored in the browser. A POST (CSRF token checked) with
 * `Cache-Control: no-store` like every console API answer.
 */
export function registerConsolePhoneRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.post('/console/api/phone/credentials', { schema: { hide: true } }, async (req) => {
    const s = sessionOf(req);
    const phone = ctx.webPhone;
    if (!phone) throw new DomainError('UNAVAILABLE', 'the call engine is not running');
    const t = await getTenant(ctx.db, s.user.tenantId);
    const c = phone.credentials({
      tenantId: s.user.tenantId,
      agentId: s.user.agentId,
      extension: s.user.extension,
    });
    return {
      uri: `sip:${s.user.extension}@${t.sip_domain}`,
      sip_domain: t.sip_domain,
      extension: s.user.extension,
      display_name: s.user.name,
      authorization_user: c.username,
      password: c.password,
      expires_at: new Date(c.expiresAt).toISOString(),
      ws_path: '/sip',
    };
  });
}
