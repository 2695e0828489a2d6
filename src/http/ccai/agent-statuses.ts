import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { expandTeams } from '../../domain/teams.js';
import { invalid } from '../../errors.js';
import { principalOf } from '../guard.js';
import {
  MAX_AGENT_IDS,
  MAX_TEAM_IDS,
  agentNotFound,
  idsFromJson,
  idsFromQuery,
  readGetBody,
  statusEntry,
  teamNotFound,
  updateEntry,
} from './wire.js';

const PATH = '/apps/api/v1/agent_statuses';
const Id = Type.Integer({ minimum: 1 });

const UpdateBody = Type.Object({
  status: Type.String({ maxLength: 100, description: 'The custom status to set, e.g. "Available"' }),
  agent_ids: Type.Optional(Type.Array(Id, { maxItems: MAX_AGENT_IDS })),
  team_ids: Type.Optional(Type.Array(Id, { maxItems: MAX_TEAM_IDS })),
});

const UpdateEntry = Type.Object({
  agent_id: Type.Optional(Type.Integer()),
  team_id: Type.Optional(Type.Integer()),
  name: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  agent_number: Type.Optional(Type.String()),
  previous_status: Type.Optional(Type.String()),
  current_status: Type.Optional(Type.String()),
  message: Type.Optional(Type.String()),
});

const StatusEntry = Type.Object({
  agent_id: Type.Optional(Type.Integer()),
  team_id: Type.Optional(Type.Integer()),
  name: Type.Optional(Type.String()),
  email: Type.Optional(Type.String()),
  agent_number: Type.Optional(Type.String()),
  status: Type.Optional(Type.String()),
  ip_addrs: Type.Optional(Type.Array(Type.String())),
  message: Type.Optional(Type.String()),
});

const Message = Type.Object({ message: Type.String() });
const errors = { 400: Message, 401: Message, 403: Message, 429: Message };

/** `POST` and `GET /apps/api/v1/agent_statuses` (seed 004): bulk status update and status read. */
export async function registerAgentStatusRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerUpdate(app, ctx);
  registerRead(app, ctx);
}

function registerUpdate(app: FastifyInstance, ctx: AppContext) {
  app.withTypeProvider<TypeBoxTypeProvider>().post(
    PATH,
    {
      config: { scope: 'status' },
      schema: {
        tags: ['ccai'],
        summary: "Set a custom status on agents and teams' agents (one entry per agent)",
        body: UpdateBody,
        response: { 200: Type.Array(UpdateEntry), ...errors },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { status, agent_ids = [], team_ids = [] } = req.body;
      if (!status.trim()) throw invalid('status must not be empty');
      const teams = await expandTeams(ctx.db, p.tenantId, team_ids);
      const ids = [...new Set([...agent_ids, ...teams.agentIds])];
      const by = `ccai:api_key:${p.credentialId}`;
      const outcomes = await ctx.statuses.setCustomStatus(p.tenantId, ids, status.trim(), by);
      return [...outcomes.map(updateEntry), ...teams.missingTeamIds.map(teamNotFound)];
    },
  );
}

const ReadQuery = Type.Object({
  agent_ids: Type.Optional(Type.Array(Type.String(), { description: 'e.g. 11,12 or repeated' })),
  team_ids: Type.Optional(Type.Array(Type.String())),
});

/** The GET selection: ids from the JSON body and the query merged; null when neither names any. */
async function readSelection(req: FastifyRequest, q: Static<typeof ReadQuery>) {
  const body = await readGetBody(req);
  const asked =
    body?.agent_ids !== undefined ||
    body?.team_ids !== undefined ||
    q.agent_ids !== undefined ||
    q.team_ids !== undefined;
  if (!asked) return null;
  return {
    agentIds: [
      ...idsFromJson(body?.agent_ids, 'agent_ids', MAX_AGENT_IDS),
      ...idsFromQuery(q.agent_ids, 'agent_ids', MAX_AGENT_IDS),
    ],
    teamIds: [
      ...idsFromJson(body?.team_ids, 'team_ids', MAX_TEAM_IDS),
      ...idsFromQuery(q.team_ids, 'team_ids', MAX_TEAM_IDS),
    ],
  };
}

function registerRead(app: FastifyInstance, ctx: AppContext) {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    PATH,
    {
      config: { scope: 'status' },
      schema: {
        tags: ['ccai'],
        summary:
          'Agent statuses and source addresses; agents and teams in a JSON body (as documented) or the query',
        querystring: ReadQuery,
        response: { 200: Type.Array(StatusEntry), ...errors },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const sel = await readSelection(req, req.query);
      if (!sel) return (await ctx.statuses.listAgentStatuses(p.tenantId)).map(statusEntry);
      const teams = await expandTeams(ctx.db, p.tenantId, sel.teamIds);
      const ids = [...new Set([...sel.agentIds, ...teams.agentIds])];
      const found = new Map((await ctx.statuses.getStatuses(p.tenantId, ids)).map((v) => [v.id, v]));
      return [
        ...ids.map((id) => {
          const v = found.get(id);
          return v ? statusEntry(v) : agentNotFound(id);
        }),
        ...teams.missingTeamIds.map(teamNotFound),
      ];
    },
  );
}
