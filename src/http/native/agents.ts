import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static } from 'typebox';
import type { AppContext } from '../../context.js';
import { getAgentById } from '../../domain/agents.js';
import { listAgentsPage } from '../../domain/agent-list.js';
import { principalOf } from '../guard.js';

const AgentView = Type.Object({
  id: Type.Integer(),
  uid: Type.String(),
  extension: Type.String(),
  name: Type.String(),
  email: Type.String(),
  phone: Type.Union([Type.String(), Type.Null()]),
  status: Type.String(),
  is_active: Type.Boolean(),
  recording_enabled: Type.Boolean(),
});
type AgentView = Static<typeof AgentView>;

function view(a: {
  id: number;
  uid: string;
  extension: string;
  name: string;
  email: string;
  phone: string | null;
  status: string;
  is_active: number;
  recording_enabled: number;
}): AgentView {
  return {
    id: a.id,
    uid: a.uid,
    extension: a.extension,
    name: a.name,
    email: a.email,
    phone: a.phone,
    status: a.status,
    is_active: a.is_active === 1,
    recording_enabled: a.recording_enabled === 1,
  };
}

/** Native directory reads: `GET /api/agents` (paged) and `GET /api/agents/:id`. */
export async function registerNativeAgentRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/api/agents',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['native'],
        summary: "List the tenant's agents",
        querystring: Type.Object(
          {
            page: Type.Integer({ minimum: 1, default: 1 }),
            size: Type.Integer({ minimum: 1, maximum: 200, default: 50 }),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            total: Type.Integer(),
            page: Type.Integer(),
            size: Type.Integer(),
            items: Type.Array(AgentView),
          }),
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const { page, size } = req.query;
      const { total, rows } = await listAgentsPage(ctx.db, p.tenantId, (page - 1) * size, size);
      return { total, page, size, items: rows.map(view) };
    },
  );
  api.get(
    '/api/agents/:id',
    {
      config: { scope: 'agent' },
      schema: {
        tags: ['native'],
        summary: 'One agent of the tenant',
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        response: { 200: AgentView },
      },
    },
    async (req) => view(await getAgentById(ctx.db, principalOf(req).tenantId, req.params.id)),
  );
}
