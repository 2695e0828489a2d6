import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import type { FoundOutcome } from '../../domain/status-service.js';
import { alohubStatuses, antbuddyState } from '../../domain/statuses.js';
import { DomainError, notFound } from '../../errors.js';
import { principalOf } from '../guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });

const StatusView = Type.Object({
  id: Type.Union([Type.Integer(), Type.Null()]),
  name: Type.String(),
  kind: Type.Union([Type.Literal('custom'), Type.Literal('system')]),
  is_ready: Type.Boolean(),
  position: Type.Integer(),
});

const OutcomeView = Type.Object({
  agent_id: Type.Integer(),
  previous_status: Type.String(),
  current_status: Type.String(),
  changed: Type.Boolean(),
  message: Type.Optional(Type.String()),
});

const AgentStatusView = Type.Object({
  agent_id: Type.Integer(),
  extension: Type.String(),
  status: Type.String(),
  presence: Type.String(),
  alohub: Type.Object({ systemStatus: Type.String(), userStatus: Type.String() }),
  antbuddy_state: Type.String(),
  changed_at: Type.Union([Type.Integer(), Type.Null()]),
  ip_addrs: Type.Array(Type.String()),
});

const by = (credentialId: number) => `api_key:${credentialId}`;

function customView(s: { id: number; name: string; is_ready: number; position: number }) {
  return {
    id: s.id,
    name: s.name,
    kind: 'custom' as const,
    is_ready: s.is_ready === 1,
    position: s.position,
  };
}

/**
 * Self-service and supervisor outcome: a no-op (same status, already logged in) is a 200 with `changed: false`;
 * a refusal by the rules (offline, or held in a system status by the platform) is a 409 with the reason.
 */
function outcomeView(o: FoundOutcome) {
  if (o.result === 'unchanged' && (o.reason === 'offline' || o.reason === 'system_status'))
    throw new DomainError('CONFLICT', o.message, o.reason);
  const base = { agent_id: o.agentId, previous_status: o.previous, current_status: o.current };
  return o.result === 'changed'
    ? { ...base, changed: true }
    : { ...base, changed: false, message: o.message };
}

const tags = ['native: statuses'];

/** Native status routes: the tenant's statuses (admin writes) and agents' log in / log out / set status. */
export async function registerNativeStatusRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  registerCatalogReads(app, ctx);
  registerCatalogWrites(app, ctx);
  registerAgentTransitions(app, ctx);
  registerAgentReads(app, ctx);
}

function registerCatalogReads(app: FastifyInstance, ctx: AppContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();

  api.get(
    '/api/statuses',
    {
      config: { scope: 'status' },
      schema: {
        tags,
        summary: "The tenant's custom statuses, then the system statuses",
        response: { 200: Type.Object({ statuses: Type.Array(StatusView) }) },
      },
    },
    async (req) => {
      const list = await ctx.statuses.listStatuses(principalOf(req).tenantId);
      return {
        statuses: list.map((s) => ({
          id: s.id,
          name: s.name,
          kind: s.kind,
          is_ready: s.isReady,
          position: s.position,
        })),
      };
    },
  );
}

function registerCatalogWrites(app: FastifyInstance, ctx: AppContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const StatusBody = Type.Object(
    { name: Type.String({ maxLength: 100 }), is_ready: Type.Optional(Type.Boolean()) },
    { additionalProperties: false },
  );
  api.post(
    '/api/statuses',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Create a custom status', body: StatusBody, response: { 201: StatusView } },
    },
    async (req, reply) => {
      const s = await ctx.statuses.createStatus(principalOf(req).tenantId, {
        name: req.body.name,
        isReady: req.body.is_ready ?? false,
      });
      return reply.code(201).send(customView(s));
    },
  );

  api.patch(
    '/api/statuses/:id',
    {
      config: { scope: 'admin' },
      schema: {
        tags,
        summary: 'Rename a custom status or change whether it takes calls',
        params: IdParams,
        body: Type.Partial(StatusBody, { additionalProperties: false }),
        response: { 200: StatusView },
      },
    },
    async (req) => {
      const s = await ctx.statuses.updateStatus(principalOf(req).tenantId, req.params.id, {
        name: req.body.name,
        isReady: req.body.is_ready,
      });
      return customView(s);
    },
  );

  api.delete(
    '/api/statuses/:id',
    {
      config: { scope: 'admin' },
      schema: { tags, summary: 'Delete an unused custom status', params: IdParams },
    },
    async (req, reply) => {
      await ctx.statuses.deleteStatus(principalOf(req).tenantId, req.params.id);
      return reply.code(204).send();
    },
  );
}

function registerAgentTransitions(app: FastifyInstance, ctx: AppContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const opts = (summary: string) => ({
    config: { scope: 'status' as const },
    schema: { tags, summary, params: IdParams, response: { 200: OutcomeView } },
  });

  api.post('/api/agents/:id/login', opts('Log the agent in (Offline → first ready status)'), async (req) => {
    const p = principalOf(req);
    return outcomeView(await ctx.statuses.login(p.tenantId, req.params.id, by(p.credentialId)));
  });

  api.post('/api/agents/:id/logout', opts('Log the agent out (→ Offline)'), async (req) => {
    const p = principalOf(req);
    return outcomeView(await ctx.statuses.logout(p.tenantId, req.params.id, by(p.credentialId)));
  });

  api.put(
    '/api/agents/:id/status',
    {
      config: { scope: 'status' },
      schema: {
        tags,
        summary: "Set the agent's custom status",
        params: IdParams,
        body: Type.Object(
          { status: Type.String({ minLength: 1, maxLength: 100 }) },
          { additionalProperties: false },
        ),
        response: { 200: OutcomeView },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const [o] = await ctx.statuses.setCustomStatus(
        p.tenantId,
        [req.params.id],
        req.body.status,
        by(p.credentialId),
      );
      if (!o || o.result === 'not_found') throw notFound(`agent ${req.params.id}`);
      return outcomeView(o);
    },
  );
}

function registerAgentReads(app: FastifyInstance, ctx: AppContext) {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.get(
    '/api/agents/:id/status',
    {
      config: { scope: 'status' },
      schema: {
        tags,
        summary: "The agent's status and how each family shows it",
        params: IdParams,
        response: { 200: AgentStatusView },
      },
    },
    async (req) => {
      const [v] = await ctx.statuses.getStatuses(principalOf(req).tenantId, [req.params.id]);
      if (!v) throw notFound(`agent ${req.params.id}`);
      return {
        agent_id: v.id,
        extension: v.extension,
        status: v.status,
        presence: v.presence,
        alohub: alohubStatuses(v.presence),
        antbuddy_state: antbuddyState(v.presence),
        changed_at: v.changedAt,
        ip_addrs: v.ipAddrs,
      };
    },
  );

  api.get(
    '/api/agents/:id/status-history',
    {
      config: { scope: 'status' },
      schema: {
        tags,
        summary: "The agent's latest status changes, newest first",
        params: IdParams,
        querystring: Type.Object(
          { limit: Type.Integer({ minimum: 1, maximum: 500, default: 50 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({
            items: Type.Array(
              Type.Object({
                previous_status: Type.String(),
                new_status: Type.String(),
                changed_by: Type.String(),
                at: Type.Integer(),
              }),
            ),
          }),
        },
      },
    },
    async (req) => {
      const rows = await ctx.statuses.history(principalOf(req).tenantId, req.params.id, req.query.limit);
      return {
        items: rows.map((h) => ({
          previous_status: h.previous,
          new_status: h.current,
          changed_by: h.changedBy,
          at: h.at,
        })),
      };
    },
  );
}
