import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type QueueTotals,
  agentBoard,
  agentDirectory,
  gregorianSeconds,
  queueBoard,
  queuesWithMembers,
} from '../../domain/dashboard.js';
import { principalOf } from '../guard.js';
import { DirectoryQuery, ErrorBody } from './schemas.js';

const Loose = Type.Record(Type.String(), Type.Unknown());
const Errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody };

function totalsView(t: QueueTotals) {
  return {
    received: t.received,
    offered: t.offered,
    handled: t.handled,
    abandoned: t.abandoned,
    abandoned_detail: t.abandonedDetail,
    abandoned_calls: t.abandonedByCaller,
    avg_waiting: t.avgWaitingSec,
    max_waiting: t.maxWaitingSec,
    avg_talking: t.avgTalkingSec,
  };
}

async function dashboard(ctx: AppContext, tenantId: number) {
  const now = ctx.clock.now();
  const [agents, queues] = await Promise.all([
    agentBoard(ctx.db, tenantId, now),
    queueBoard(ctx.db, tenantId, now),
  ]);
  const details = agents.details.map((d) => ({
    timestamp: gregorianSeconds(d.since),
    status: d.state,
    id: `${d.agentUid}::${gregorianSeconds(d.since)}`,
    agent_id: d.agentUid,
    start_idle_time: gregorianSeconds(d.idleSince),
    idle_time: d.state === 'ready' ? Math.max(0, Math.floor((now - d.idleSince) / 1000)) : 0,
    waiting_calls: [],
    unix_timestamp: Math.floor(d.since / 1000),
    username: d.username,
    name: d.name,
  }));
  return {
    agent: { ...agents.counts, status_details: details },
    queue: {
      ...totalsView(queues.totals),
      status_details: queues.perQueue.map((q) => ({
        queue_id: q.queueId,
        name: q.name,
        waiting: q.waiting,
        ...totalsView(q.totals),
      })),
      waiting_call_logs: queues.waiting.map((w) => ({
        call_id: w.callId,
        caller_id_number: w.callerNumber,
        queue_id: w.queueId,
        entered_timestamp: gregorianSeconds(w.enteredAt),
        unix_timestamp: Math.floor(w.enteredAt / 1000),
        wait_time: Math.max(0, Math.floor((now - w.enteredAt) / 1000)),
      })),
    },
  };
}

function dashboardRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/call/dashboard',
    {
      config: { antbuddyAuth: 'directory', scope: 'call' },
      schema: {
        tags: ['antbuddy'],
        summary: 'Live agent states and today’s queue statistics',
        querystring: DirectoryQuery,
        response: { 200: Type.Object({ agent: Loose, queue: Loose }), ...Errors },
      },
    },
    async (req) => dashboard(ctx, principalOf(req).tenantId),
  );
}

function queuesRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/queues',
    {
      config: { antbuddyAuth: 'directory', scope: 'queue' },
      schema: {
        tags: ['antbuddy'],
        summary: 'Queues (groups) and their agents',
        querystring: DirectoryQuery,
        response: {
          200: Type.Array(
            Type.Object({ id: Type.Integer(), name: Type.String(), agents: Type.Array(Type.String()) }),
          ),
          ...Errors,
        },
      },
    },
    async (req) => {
      const queues = await queuesWithMembers(ctx.db, principalOf(req).tenantId);
      return queues.map((q) => ({ id: q.id, name: q.name, agents: q.agentUids }));
    },
  );
}

function agentsRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/agents',
    {
      config: { antbuddyAuth: 'directory', scope: 'agent' },
      schema: {
        tags: ['antbuddy'],
        summary: 'Agents with their 32-hex user ids and extensions',
        querystring: DirectoryQuery,
        response: {
          200: Type.Array(
            Type.Object({
              anttel: Type.Object({ userId: Type.String() }),
              username: Type.String(),
              name: Type.String(),
              email: Type.String(),
              ext: Type.Array(Type.String()),
            }),
          ),
          ...Errors,
        },
      },
    },
    async (req) => {
      const agents = await agentDirectory(ctx.db, principalOf(req).tenantId);
      return agents.map((a) => ({
        anttel: { userId: a.uid },
        username: a.username,
        name: a.name,
        email: a.email,
        ext: [a.extension],
      }));
    },
  );
}

/** Dashboard, queues and agents: signed with appId + domain + email. */
export function registerDirectoryRoutes(app: FastifyInstance, ctx: AppContext): void {
  dashboardRoute(app, ctx);
  queuesRoute(app, ctx);
  agentsRoute(app, ctx);
}
