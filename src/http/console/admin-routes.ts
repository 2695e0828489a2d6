import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  addNumber,
  addTrunk,
  deleteNumber,
  deleteTrunk,
  listNumbersAndTrunks,
} from '../../domain/console-numbers.js';
import {
  addTeamMembers,
  createTeam,
  deleteTeam,
  listTeamMembers,
  listTeams,
  removeTeamMember,
  renameTeam,
} from '../../domain/teams.js';
import { inTransaction } from '../../store/db.js';
import { sessionOf } from './session.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const MemberParams = Type.Object(
  { id: Type.Integer({ minimum: 1 }), agentId: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
const StatusCreate = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }), is_ready: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const StatusEdit = Type.Object(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    is_ready: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
const TeamBody = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
const TeamMembersBody = Type.Object(
  { agent_ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 1000 }) },
  { additionalProperties: false },
);
const NumberBody = Type.Object(
  {
    number: Type.String({ minLength: 1, maxLength: 32 }),
    target_type: Type.Union([Type.Literal('queue'), Type.Literal('agent')]),
    target_id: Type.Integer({ minimum: 1 }),
    trunk_id: Type.Optional(Type.Union([Type.Integer({ minimum: 1 }), Type.Null()])),
  },
  { additionalProperties: false },
);
const TrunkBody = Type.Object(
  {
    name: Type.String({ minLength: 1, maxLength: 100 }),
    host: Type.String({ minLength: 1, maxLength: 253 }),
    port: Type.Optional(Type.Integer({ minimum: 1, maximum: 65_535 })),
    transport: Type.Optional(Type.Union([Type.Literal('udp'), Type.Literal('tcp')])),
    allowed_ips: Type.Optional(Type.Array(Type.String({ maxLength: 45 }), { maxItems: 50 })),
    username: Type.Optional(Type.String({ maxLength: 100 })),
    password: Type.Optional(Type.String({ maxLength: 200 })),
  },
  { additionalProperties: false },
);

/** Admin: custom statuses, teams and their members, numbers and trunks. Supervisors may read them. */
export function registerConsoleAdminRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const admin = { consoleRole: 'admin' as const };
  const supervisor = { consoleRole: 'supervisor' as const };
  const tenantOf = (req: Parameters<typeof sessionOf>[0]) => sessionOf(req).user.tenantId;
  const changed = (tenantId: number) =>
    ctx.bus.publish(tenantId, 'agent.changed', { agentId: 0, at: ctx.clock.now() });

  // ---- statuses (the list itself is GET /console/api/statuses, for everyone) ----------------------------------
  api.post(
    '/console/api/statuses',
    { config: admin, schema: { hide: true, body: StatusCreate } },
    async (req, reply) => {
      const s = await ctx.statuses.createStatus(tenantOf(req), {
        name: req.body.name,
        isReady: req.body.is_ready ?? false,
      });
      return reply.code(201).send({ id: s.id, name: s.name, is_ready: s.is_ready === 1 });
    },
  );
  api.patch(
    '/console/api/statuses/:id',
    { config: admin, schema: { hide: true, params: IdParams, body: StatusEdit } },
    async (req) => {
      const s = await ctx.statuses.updateStatus(tenantOf(req), req.params.id, {
        ...(req.body.name !== undefined ? { name: req.body.name } : {}),
        ...(req.body.is_ready !== undefined ? { isReady: req.body.is_ready } : {}),
      });
      return { id: s.id, name: s.name, is_ready: s.is_ready === 1 };
    },
  );
  api.delete(
    '/console/api/statuses/:id',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => {
      await ctx.statuses.deleteStatus(tenantOf(req), req.params.id);
      return { deleted: true };
    },
  );

  // ---- teams ------------------------------------------------------------------------------------------------
  api.get('/console/api/teams', { config: supervisor, schema: { hide: true } }, async (req) => {
    const tenantId = tenantOf(req);
    const teams = await listTeams(ctx.db, tenantId);
    const members = await Promise.all(teams.map((t) => listTeamMembers(ctx.db, tenantId, t.id)));
    return {
      teams: teams.map((t, i) => ({
        team_id: t.id,
        name: t.name,
        agent_ids: members[i]!.map((m) => m.agentId),
      })),
    };
  });
  api.post(
    '/console/api/teams',
    { config: admin, schema: { hide: true, body: TeamBody } },
    async (req, reply) => {
      const tenantId = tenantOf(req);
      const t = await inTransaction(ctx.db, (tx) => createTeam(tx, ctx.clock, tenantId, req.body.name));
      changed(tenantId);
      return reply.code(201).send({ team_id: t.id, name: t.name });
    },
  );
  api.patch(
    '/console/api/teams/:id',
    { config: admin, schema: { hide: true, params: IdParams, body: TeamBody } },
    async (req) => {
      const tenantId = tenantOf(req);
      const t = await inTransaction(ctx.db, (tx) => renameTeam(tx, tenantId, req.params.id, req.body.name));
      changed(tenantId);
      return { team_id: t.id, name: t.name };
    },
  );
  api.delete(
    '/console/api/teams/:id',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => {
      const tenantId = tenantOf(req);
      await inTransaction(ctx.db, (tx) => deleteTeam(tx, tenantId, req.params.id));
      changed(tenantId);
      return { deleted: true };
    },
  );
  api.post(
    '/console/api/teams/:id/members',
    { config: admin, schema: { hide: true, params: IdParams, body: TeamMembersBody } },
    async (req) => {
      const tenantId = tenantOf(req);
      const r = await inTransaction(ctx.db, (tx) =>
        addTeamMembers(tx, tenantId, req.params.id, req.body.agent_ids),
      );
      changed(tenantId);
      return { added: r.added };
    },
  );
  api.delete(
    '/console/api/teams/:id/members/:agentId',
    { config: admin, schema: { hide: true, params: MemberParams } },
    async (req) => {
      const tenantId = tenantOf(req);
      await inTransaction(ctx.db, (tx) => removeTeamMember(tx, tenantId, req.params.id, req.params.agentId));
      changed(tenantId);
      return { removed: true };
    },
  );

  // ---- numbers and trunks (admin only: they carry the tenant's routing and carrier addresses) -------------------
  api.get('/console/api/numbers', { config: admin, schema: { hide: true } }, (req) =>
    listNumbersAndTrunks(ctx.db, tenantOf(req)),
  );
  api.post(
    '/console/api/numbers',
    { config: admin, schema: { hide: true, body: NumberBody } },
    async (req, reply) => {
      const b = req.body;
      const r = await addNumber(ctx.db, ctx.clock, tenantOf(req), {
        number: b.number,
        targetType: b.target_type,
        targetId: b.target_id,
        trunkId: b.trunk_id ?? null,
      });
      return reply.code(201).send(r);
    },
  );
  api.delete(
    '/console/api/numbers/:id',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => {
      await deleteNumber(ctx.db, tenantOf(req), req.params.id);
      return { deleted: true };
    },
  );
  api.post(
    '/console/api/trunks',
    { config: admin, schema: { hide: true, body: TrunkBody } },
    async (req, reply) => {
      const b = req.body;
      const r = await addTrunk(ctx.db, ctx.clock, ctx.box, tenantOf(req), {
        name: b.name,
        host: b.host,
        ...(b.port !== undefined ? { port: b.port } : {}),
        ...(b.transport ? { transport: b.transport } : {}),
        ...(b.allowed_ips ? { allowedIps: b.allowed_ips } : {}),
        username: b.username ?? null,
        password: b.password ?? null,
      });
      return reply.code(201).send(r);
    },
  );
  api.delete(
    '/console/api/trunks/:id',
    { config: admin, schema: { hide: true, params: IdParams } },
    async (req) => {
      await deleteTrunk(ctx.db, tenantOf(req), req.params.id);
      return { deleted: true };
    },
  );
}
