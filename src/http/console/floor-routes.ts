import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { revokeAgentSessions, roleFromOmicallName } from '../../domain/console-accounts.js';
import { listConsoleAgents, setQueueMembership } from '../../domain/console-admin.js';
import { wallboard } from '../../domain/console-wallboard.js';
import type { FoundOutcome, StatusOutcome } from '../../domain/status-service.js';
import { presenceOf } from '../../domain/statuses.js';
import { DomainError, notFound } from '../../errors.js';
import { sessionOf } from './session.js';

const AgentParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const MemberParams = Type.Object(
  { id: Type.Integer({ minimum: 1 }), queueId: Type.Integer({ minimum: 1 }) },
  { additionalProperties: false },
);
export const StatusBody = Type.Object(
  { status: Type.String({ minLength: 1, maxLength: 100 }) },
  { additionalProperties: false },
);
const MemberBody = Type.Object({ member: Type.Boolean() }, { additionalProperties: false });

function outcomeView(o: StatusOutcome | FoundOutcome) {
  if (o.result === 'not_found') throw notFound(`agent ${o.agentId}`);
  if (o.result === 'unchanged' && (o.reason === 'offline' || o.reason === 'system_status'))
    throw new DomainError('CONFLICT', o.message, o.reason);
  return { agent_id: o.agentId, previous: o.previous, current: o.current, changed: o.result === 'changed' };
}

/**
 * Put an agent in `target`: "Offline" logs out; a custom status logs an offline agent in first (the status model
 * refuses a custom status to an offline agent). System statuses stay the platform's.
 */
export async function changeAgentStatus(
  ctx: AppContext,
  tenantId: number,
  agentId: number,
  target: string,
  by: string,
) {
  if (target.trim().toLowerCase() === 'offline')
    return outcomeView(await ctx.statuses.logout(tenantId, agentId, by));
  const [first] = await ctx.statuses.setCustomStatus(tenantId, [agentId], target, by);
  if (first?.result === 'unchanged' && first.reason === 'offline') {
    await ctx.statuses.login(tenantId, agentId, by);
    const [again] = await ctx.statuses.setCustomStatus(tenantId, [agentId], target, by);
    if (again) return outcomeView(again);
  }
  if (!first) throw notFound(`agent ${agentId}`);
  return outcomeView(first);
}

/** The supervisor's floor: wallboard, agents (status, force logout, queue membership), queues. */
export function registerConsoleFloorRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const supervisor = { consoleRole: 'supervisor' as const };
  const by = (agentId: number) => `console:${agentId}`;

  api.get('/console/api/wallboard', { config: supervisor, schema: { hide: true } }, async (req) =>
    wallboard(ctx.db, sessionOf(req).user.tenantId, ctx.clock.now()),
  );
  api.get('/console/api/statuses', { schema: { hide: true } }, async (req) => {
    const all = await ctx.statuses.listStatuses(sessionOf(req).user.tenantId);
    return { statuses: all.map((s) => ({ id: s.id, name: s.name, kind: s.kind, is_ready: s.isReady })) };
  });
  api.get('/console/api/agents', { config: supervisor, schema: { hide: true } }, async (req) => {
    const tenantId = sessionOf(req).user.tenantId;
    const [agents, statuses, roles] = await Promise.all([
      listConsoleAgents(ctx.db, tenantId),
      ctx.db
        .selectFrom('statuses')
        .select(['name_key', 'is_ready'])
        .where('tenant_id', '=', tenantId)
        .execute(),
      ctx.db.selectFrom('roles').select(['id', 'name']).where('tenant_id', '=', tenantId).execute(),
    ]);
    const ready = new Map(statuses.map((s) => [s.name_key, s.is_ready]));
    const roleName = new Map(roles.map((r) => [r.id, r.name]));
    return {
      agents: agents.map((a) => ({
        agent_id: a.id,
        name: a.name,
        email: a.email,
        extension: a.extension,
        status: a.status,
        presence: presenceOf(a.status, ready.get(a.status.toLowerCase())),
        since: a.status_changed_at,
        active: a.is_active === 1,
        role: a.console_role ?? roleFromOmicallName(a.role_id === null ? null : roleName.get(a.role_id)),
        queue_ids: a.queueIds,
        memberships: a.memberships,
        phone: a.phone,
        recording: a.recording_enabled === 1,
      })),
    };
  });
  api.post(
    '/console/api/agents/:id/status',
    { config: supervisor, schema: { hide: true, params: AgentParams, body: StatusBody } },
    async (req) => {
      const s = sessionOf(req);
      return changeAgentStatus(ctx, s.user.tenantId, req.params.id, req.body.status, by(s.user.agentId));
    },
  );
  api.post(
    '/console/api/agents/:id/logout',
    { config: supervisor, schema: { hide: true, params: AgentParams } },
    async (req) => {
      const s = sessionOf(req);
      const out = outcomeView(await ctx.statuses.logout(s.user.tenantId, req.params.id, by(s.user.agentId)));
      const revoked = await revokeAgentSessions(ctx.db, s.user.tenantId, req.params.id);
      ctx.bus.publish(s.user.tenantId, 'agent.changed', { agentId: req.params.id, at: ctx.clock.now() });
      return { ...out, revoked_sessions: revoked };
    },
  );
  api.put(
    '/console/api/agents/:id/queues/:queueId',
    { config: supervisor, schema: { hide: true, params: MemberParams, body: MemberBody } },
    async (req) => {
      const tenantId = sessionOf(req).user.tenantId;
      await setQueueMembership(ctx.db, tenantId, req.params.id, req.params.queueId, req.body.member);
      ctx.bus.publish(tenantId, 'agent.changed', { agentId: req.params.id, at: ctx.clock.now() });
      return { agent_id: req.params.id, queue_id: req.params.queueId, member: req.body.member };
    },
  );
  api.get('/console/api/queues', { config: supervisor, schema: { hide: true } }, async (req) => {
    const tenantId = sessionOf(req).user.tenantId;
    const [queues, members] = await Promise.all([
      ctx.db
        .selectFrom('inbound_queues')
        .selectAll()
        .where('tenant_id', '=', tenantId)
        .orderBy('id')
        .execute(),
      ctx.db
        .selectFrom('queue_members')
        .select(['queue_id', 'agent_id'])
        .where('tenant_id', '=', tenantId)
        .execute(),
    ]);
    return {
      queues: queues.map((q) => ({
        queue_id: q.id,
        name: q.name,
        strategy: q.agent_selector,
        max_wait_sec: q.max_wait_sec,
        announce_position: q.announce_position === 1,
        wrap_up_sec: q.wrapup_sec,
        service_level_sec: q.service_level_sec,
        overflow: q.overflow_target,
        ring_timeout_sec: q.ring_timeout_sec,
        moh: q.moh_file,
        members: members.filter((m) => m.queue_id === q.id).length,
      })),
    };
  });
}
