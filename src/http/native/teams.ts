import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type TeamView,
  addTeamMembers,
  createTeam,
  deleteTeam,
  getTeam,
  listTeamMembers,
  listTeams,
  removeTeamMember,
  renameTeam,
} from '../../domain/teams.js';
import { inTransaction } from '../../store/db.js';
import { principalOf } from '../guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const TeamBody = Type.Object({ name: Type.String({ maxLength: 200 }) }, { additionalProperties: false });
const TeamJson = Type.Object({
  id: Type.Integer(),
  name: Type.String(),
  member_count: Type.Integer(),
  created_at: Type.Integer(),
});
const MemberJson = Type.Object({
  agent_id: Type.Integer(),
  extension: Type.String(),
  name: Type.String(),
  email: Type.String(),
});

const config = { scope: 'agent' as const };
const tags = ['native: teams'];

const teamJson = (t: TeamView) => ({
  id: t.id,
  name: t.name,
  member_count: t.memberCount,
  created_at: t.createdAt,
});

/** Native team admin: `/api/teams` CRUD and membership (scope `agent`; `admin` implies it). */
export async function registerNativeTeamRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/teams',
    {
      config,
      schema: {
        tags,
        summary: "The tenant's teams",
        response: { 200: Type.Object({ teams: Type.Array(TeamJson) }) },
      },
    },
    async (req) => ({ teams: (await listTeams(ctx.db, principalOf(req).tenantId)).map(teamJson) }),
  );

  api.post(
    '/api/teams',
    { config, schema: { tags, summary: 'Create a team', body: TeamBody, response: { 201: TeamJson } } },
    async (req, reply) => {
      const p = principalOf(req);
      const t = await inTransaction(ctx.db, (tx) => createTeam(tx, ctx.clock, p.tenantId, req.body.name));
      return reply.code(201).send(teamJson(t));
    },
  );

  api.get(
    '/api/teams/:id',
    { config, schema: { tags, summary: 'One team', params: IdParams, response: { 200: TeamJson } } },
    async (req) => teamJson(await getTeam(ctx.db, principalOf(req).tenantId, req.params.id)),
  );

  api.patch(
    '/api/teams/:id',
    {
      config,
      schema: {
        tags,
        summary: 'Rename a team',
        params: IdParams,
        body: TeamBody,
        response: { 200: TeamJson },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return teamJson(
        await inTransaction(ctx.db, (tx) => renameTeam(tx, p.tenantId, req.params.id, req.body.name)),
      );
    },
  );

  api.delete(
    '/api/teams/:id',
    { config, schema: { tags, summary: 'Delete a team (its agents stay)', params: IdParams } },
    async (req, reply) => {
      const p = principalOf(req);
      await inTransaction(ctx.db, (tx) => deleteTeam(tx, p.tenantId, req.params.id));
      return reply.code(204).send();
    },
  );

  registerMembership(app, ctx);
}

function registerMembership(app: FastifyInstance, ctx: AppContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/api/teams/:id/members',
    {
      config,
      schema: {
        tags,
        summary: "The team's agents",
        params: IdParams,
        response: { 200: Type.Object({ members: Type.Array(MemberJson) }) },
      },
    },
    async (req) => {
      const members = await listTeamMembers(ctx.db, principalOf(req).tenantId, req.params.id);
      return {
        members: members.map((m) => ({
          agent_id: m.agentId,
          extension: m.extension,
          name: m.name,
          email: m.email,
        })),
      };
    },
  );

  api.post(
    '/api/teams/:id/members',
    {
      config,
      schema: {
        tags,
        summary: 'Add agents to the team (all or nothing: every agent must exist)',
        params: IdParams,
        body: Type.Object(
          { agent_ids: Type.Array(Type.Integer({ minimum: 1 }), { minItems: 1, maxItems: 10_000 }) },
          { additionalProperties: false },
        ),
        response: { 200: Type.Object({ added: Type.Array(Type.Integer()) }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      return inTransaction(ctx.db, (tx) => addTeamMembers(tx, p.tenantId, req.params.id, req.body.agent_ids));
    },
  );

  api.delete(
    '/api/teams/:id/members/:agentId',
    {
      config,
      schema: {
        tags,
        summary: 'Remove an agent from the team',
        params: Type.Object(
          { id: Type.Integer({ minimum: 1 }), agentId: Type.Integer({ minimum: 1 }) },
          { additionalProperties: false },
        ),
      },
    },
    async (req, reply) => {
      const p = principalOf(req);
      await inTransaction(ctx.db, (tx) =>
        removeTeamMember(tx, p.tenantId, req.params.id, req.params.agentId),
      );
      return reply.code(204).send();
    },
  );
}
