import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext, LiveCallView } from '../../context.js';
import { findCallRecord } from '../../domain/call-reads.js';
import { DomainError, notFound } from '../../errors.js';
import { sessionOf } from './session.js';
import { transferTargetOf } from '../transfer-target.js';

const CallParams = Type.Object(
  { id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }) },
  { additionalProperties: false },
);
const TransferBody = Type.Object(
  {
    agent_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 })),
    extension: Type.Optional(Type.String({ minLength: 1, maxLength: 20, pattern: '^[0-9]+$' })),
    number: Type.Optional(Type.String({ minLength: 2, maxLength: 32, pattern: '^\\+?[0-9 ().-]+$' })),
    queue_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 })),
  },
  { additionalProperties: false },
);
const MonitorBody = Type.Object(
  {
    mode: Type.Union([
      Type.Literal('listen'),
      Type.Literal('whisper'),
      Type.Literal('barge'),
      Type.Literal('off'),
    ]),
  },
  { additionalProperties: false },
);

const view = (v: LiveCallView) => ({
  call_id: v.callId,
  state: v.state,
  direction: v.direction,
  caller: v.callerNumber,
  callee: v.calleeNumber,
  queue_id: v.queueId,
  agent_id: v.agentId,
  created_at: v.createdAt,
  answered_at: v.answeredAt,
});

/**
 * The supervisor's actions on a live call from the wallboard: hang up, blind transfer, listen / whisper / barge.
 * Thin adapters over the call engine the native calls API uses (`ctx.liveCalls`, `ctx.callActions.monitor`);
 * monitoring rings the signed-in supervisor's own registered phone, as `POST /api/calls/{id}/monitor` does for
 * the `agent_id` it names. The tenant is the session's, so another tenant's call is simply not found.
 */
export function registerConsoleLiveCallRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const supervisor = { consoleRole: 'supervisor' as const };
  const engine = () => {
    if (!ctx.liveCalls) throw new DomainError('UNAVAILABLE', 'the call engine is not running');
    return ctx.liveCalls;
  };
  /** undefined from the engine: unknown (404), ended, or run by another node (409). */
  const notLive = async (tenantId: number, id: string): Promise<never> => {
    const row = await findCallRecord(ctx.db, tenantId, id);
    if (!row) throw notFound(`call ${id}`);
    if (row.ended_at !== null)
      throw new DomainError('CONFLICT', 'the call has ended', 'invalid_transition', { state: 'ended' });
    throw new DomainError('CONFLICT', 'the call is run by another tongdai node', 'invalid_transition', {
      state: 'active',
    });
  };

  api.get('/console/api/live-calls', { config: supervisor, schema: { hide: true } }, async (req) => ({
    calls: engine()
      .list(sessionOf(req).user.tenantId)
      .sort((a, b) => a.createdAt - b.createdAt)
      .map(view),
  }));
  api.post(
    '/console/api/live-calls/:id/hangup',
    { config: supervisor, schema: { hide: true, params: CallParams } },
    async (req) => {
      const tenantId = sessionOf(req).user.tenantId;
      const v = engine().act(tenantId, req.params.id, 'hangup');
      return v ? view(v) : notLive(tenantId, req.params.id);
    },
  );
  api.post(
    '/console/api/live-calls/:id/transfer',
    { config: supervisor, schema: { hide: true, params: CallParams, body: TransferBody } },
    async (req) => {
      const tenantId = sessionOf(req).user.tenantId;
      const v = await engine().transfer(tenantId, req.params.id, transferTargetOf(req.body));
      return v ? view(v) : notLive(tenantId, req.params.id);
    },
  );
  api.post(
    '/console/api/live-calls/:id/monitor',
    { config: supervisor, schema: { hide: true, params: CallParams, body: MonitorBody } },
    async (req, reply) => {
      const { user } = sessionOf(req);
      if (!ctx.callActions) throw new DomainError('UNAVAILABLE', 'the call engine is not running');
      const v = await ctx.callActions.monitor.request(user.tenantId, req.params.id, {
        mode: req.body.mode,
        supervisorAgentId: user.agentId,
      });
      return reply.code(v.status === 'ringing_supervisor' ? 202 : 200).send({
        call_id: v.callId,
        supervisor_agent_id: v.supervisorAgentId,
        mode: v.mode,
        status: v.status,
      });
    },
  );
}
