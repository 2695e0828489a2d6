import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { type Role, createRole, listRoles } from '../../domain/roles.js';
import { createServicePackage, listServicePackages } from '../../domain/service-packages.js';
import { getWebhookSecret, rotateWebhookSecret } from '../../webhooks/secrets.js';
import { inTransaction } from '../../store/db.js';
import { principalOf } from '../guard.js';

const RoleView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  is_default: Type.Boolean(),
  created_at: Type.Integer(),
});
const PackageView = Type.Object({
  id: Type.String(),
  name: Type.String(),
  max_agents: Type.Integer(),
  used: Type.Integer(),
  created_at: Type.Integer(),
});
const SecretView = Type.Object({ secret: Type.String() });

const roleView = (r: Role) => ({
  id: r.uid,
  name: r.name,
  is_default: r.is_default === 1,
  created_at: r.created_at,
});

/** `GET /api/roles`. */
function registerListRoles(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { scope: 'admin' as const };
  api.get(
    '/api/roles',
    {
      config: admin,
      schema: {
        tags: ['native'],
        summary: 'List roles',
        response: { 200: Type.Object({ roles: Type.Array(RoleView) }) },
      },
    },
    async (req) => ({ roles: (await listRoles(ctx.db, principalOf(req).tenantId)).map(roleView) }),
  );
}

/** `POST /api/roles`. */
function registerCreateRole(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { scope: 'admin' as const };
  api.post(
    '/api/roles',
    {
      config: admin,
      schema: {
        tags: ['native'],
        summary: 'Create a role (is_default makes it the role invites get when they name none)',
        body: Type.Object(
          { name: Type.String({ minLength: 1, maxLength: 100 }), is_default: Type.Optional(Type.Boolean()) },
          { additionalProperties: false },
        ),
        response: { 201: RoleView },
      },
    },
    async (req, reply) => {
      const { tenantId } = principalOf(req);
      const role = await inTransaction(ctx.db, (tx) =>
        createRole(tx, ctx.clock, tenantId, { name: req.body.name, isDefault: req.body.is_default ?? false }),
      );
      return reply.code(201).send(roleView(role));
    },
  );
}

/** `GET /api/service-packages`. */
function registerListPackages(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { scope: 'admin' as const };
  api.get(
    '/api/service-packages',
    {
      config: admin,
      schema: {
        tags: ['native'],
        summary: 'List service packages with their used seats',
        response: { 200: Type.Object({ service_packages: Type.Array(PackageView) }) },
      },
    },
    async (req) => {
      const pkgs = await listServicePackages(ctx.db, principalOf(req).tenantId);
      return {
        service_packages: pkgs.map((p) => ({
          id: p.uid,
          name: p.name,
          max_agents: p.max_agents,
          used: p.used,
          created_at: p.created_at,
        })),
      };
    },
  );
}

/** `POST /api/service-packages`. */
function registerCreatePackage(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { scope: 'admin' as const };
  api.post(
    '/api/service-packages',
    {
      config: admin,
      schema: {
        tags: ['native'],
        summary: 'Create a service package with a seat limit',
        body: Type.Object(
          {
            name: Type.String({ minLength: 1, maxLength: 100 }),
            max_agents: Type.Integer({ minimum: 0, maximum: 1_000_000 }),
          },
          { additionalProperties: false },
        ),
        response: { 201: PackageView },
      },
    },
    async (req, reply) => {
      const { tenantId } = principalOf(req);
      const p = await createServicePackage(ctx.db, ctx.clock, tenantId, {
        name: req.body.name,
        maxAgents: req.body.max_agents,
      });
      return reply
        .code(201)
        .send({ id: p.uid, name: p.name, max_agents: p.max_agents, used: 0, created_at: p.created_at });
    },
  );
}

/** `GET /api/webhook-secret`. */
function registerGetSecret(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { scope: 'admin' as const };
  api.get(
    '/api/webhook-secret',
    {
      config: admin,
      schema: {
        tags: ['native'],
        summary: 'The Standard Webhooks signing secret (created on first use)',
        response: { 200: SecretView },
      },
    },
    async (req) => ({
      secret: await getWebhookSecret(ctx.db, ctx.clock, ctx.box, principalOf(req).tenantId),
    }),
  );
}

/** `POST /api/webhook-secret/rotate`. */
function registerRotateSecret(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { scope: 'admin' as const };
  api.post(
    '/api/webhook-secret/rotate',
    {
      config: admin,
      schema: {
        tags: ['native'],
        summary: 'Replace the webhook signing secret',
        response: { 200: SecretView },
      },
    },
    async (req) => ({
      secret: await rotateWebhookSecret(ctx.db, ctx.clock, ctx.box, principalOf(req).tenantId),
    }),
  );
}

/** Directory administration for the tenant (scope `admin`): roles and service packages, which the OmiCall
 * family references by id, and the webhook signing secret every outgoing webhook is signed with. */
export async function registerNativeDirectoryAdminRoutes(
  app: FastifyInstance,
  ctx: AppContext,
): Promise<void> {
  registerListRoles(app, ctx);
  registerCreateRole(app, ctx);
  registerListPackages(app, ctx);
  registerCreatePackage(app, ctx);
  registerGetSecret(app, ctx);
  registerRotateSecret(app, ctx);
}
