import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  createWebhookEndpoint,
  deleteWebhookEndpoint,
  listCredentials,
  listWebhookEndpoints,
  pingWebhookEndpoint,
  recentDeliveries,
  revokeCredential,
} from '../../domain/console-integrations.js';
import { TOKEN_TTL_BOUNDS_MS, parseScopes } from '../../domain/credentials.js';
import { WEBHOOK_EVENT_TYPES } from '../../webhooks/events.js';
import { sessionOf } from './session.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const KeyBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    scopes: Type.Array(Type.String({ maxLength: 20 }), { minItems: 1, maxItems: 10 }),
  },
  { additionalProperties: false },
);
const TokenBody = Type.Object(
  { ttl_sec: Type.Optional(Type.Integer({ minimum: 1, maximum: TOKEN_TTL_BOUNDS_MS.bearer / 1000 })) },
  { additionalProperties: false },
);
const WebhookBody = Type.Object(
  {
    url: Type.String({ minLength: 1, maxLength: 2000 }),
    events: Type.Array(Type.String({ minLength: 1, maxLength: 60 }), { minItems: 1, maxItems: 30 }),
  },
  { additionalProperties: false },
);

/** Admin only: credentials (created and shown once, revoked) and webhook endpoints with their deliveries. */
export function registerConsoleIntegrationRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { consoleRole: 'admin' as const };
  const tenantOf = (req: Parameters<typeof sessionOf>[0]) => sessionOf(req).user.tenantId;

  api.get('/console/api/credentials', { config: admin, schema: { hide: true } }, async (req) => {
    const c = await listCredentials(ctx.db, tenantOf(req), ctx.clock.now());
    return {
      api_keys: c.keys.map((k) => ({ ...k, scopes: k.scopes.split(',') })),
      apps: c.apps,
      tokens: c.tokens,
    };
  });
  api.post(
    '/console/api/credentials/api-keys',
    { config: admin, schema: { hide: true, body: KeyBody } },
    async (req, reply) => {
      const k = await ctx.credentials.createApiKey(
        tenantOf(req),
        parseScopes(req.body.scopes.join(',')),
        req.body.name.trim(),
      );
      return reply.code(201).send({ id: k.id, key: k.key, prefix: k.prefix, scopes: k.scopes });
    },
  );
  api.post('/console/api/credentials/apps', { config: admin, schema: { hide: true } }, async (req, reply) => {
    const a = await ctx.credentials.createApp(tenantOf(req));
    return reply.code(201).send({ id: a.id, app_id: a.appId, app_secret: a.appSecret });
  });
  api.post(
    '/console/api/credentials/tokens',
    { config: admin, schema: { hide: true, body: TokenBody } },
    async (req, reply) => {
      const t = await ctx.credentials.createToken(tenantOf(req), 'bearer', {
        ...(req.body.ttl_sec ? { ttlMs: req.body.ttl_sec * 1000 } : {}),
      });
      return reply.code(201).send({ id: t.id, token: t.token, expires_at: t.expiresAt });
    },
  );
  const revocable = { 'api-keys': 'api_keys', apps: 'app_credentials', tokens: 'access_tokens' } as const;
  for (const [path, table] of Object.entries(revocable)) {
    api.delete(
      `/console/api/credentials/${path}/:id`,
      { config: admin, schema: { hide: true, params: IdParams } },
      async (req) => {
        await revokeCredential(ctx.db, ctx.clock, tenantOf(req), table, req.params.id);
        return { revoked: true };
      },
    );
  }

  api.get('/console/api/webhooks', { config: admin, schema: { hide: true } }, async (req) => ({
    // What an endpoint can subscribe to: everything, a family's wildcard, or one delivered event type.
    events: ['*', ...new Set(WEBHOOK_EVENT_TYPES.map((e) => `${e.split('.')[0]}.*`)), ...WEBHOOK_EVENT_TYPES],
    endpoints: (await listWebhookEndpoints(ctx.db, tenantOf(req))).map((e) => ({
      ...e,
      active: e.active === 1,
    })),
  }));
  api.post(
    '/console/api/webhooks',
    { config: admin, schema: { hide: true, body: WebhookBody } },
    async (req, reply) => {
      const r = await createWebhookEndpoint(
        ctx.db,
        ctx.clock,
        ctx.box,
        tenantOf(req),
        req.body,
        ctx.config.allowPrivateWebhooks,
      );
      return reply.code(201).send({ id: r.id, secret: r.secret });
    },
  );
  api.delete(
    '/console/api/webhooks/:id',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => {
      await deleteWebhookEndpoint(ctx.db, tenantOf(req), req.params.id);
      return { deleted: true };
    },
  );
  api.post(
    '/console/api/webhooks/:id/ping',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => {
      const r = await pingWebhookEndpoint(ctx.db, ctx.clock, tenantOf(req), req.params.id);
      return { message_id: r.messageId };
    },
  );
  api.get(
    '/console/api/webhooks/:id/deliveries',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => ({
      deliveries: await recentDeliveries(ctx.db, tenantOf(req), req.params.id),
    }),
  );
}
