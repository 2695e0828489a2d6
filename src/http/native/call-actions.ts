import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext, CallActionsService } from '../../context.js';
import { setConsoleRole } from '../../domain/console-accounts.js';
import { DomainError } from '../../errors.js';
import { principalOf } from '../guard.js';

const CallParams = Type.Object({
  id: Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9-]+$' }),
});

const MonitorBody = Type.Object(
  {
    mode: Type.Union(
      [Type.Literal('listen'), Type.Literal('whisper'), Type.Literal('barge'), Type.Literal('off')],
      {
        description:
          'listen: hears both sides, never heard; whisper: heard by the agent only; barge: three-way; off: leave',
      },
    ),
    agent_id: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: "The supervisor (tongdai's agent id); tongdai calls their phone",
      }),
    ),
    extension: Type.Optional(
      Type.String({
        pattern: '^[0-9]{1,20}$',
        description: "The supervisor's extension (instead of agent_id)",
      }),
    ),
  },
  { additionalProperties: false },
);

const MonitorView = Type.Object({
  call_id: Type.String(),
  supervisor_agent_id: Type.Integer(),
  agent_id: Type.Union([Type.Integer(), Type.Null()]),
  mode: Type.Union([Type.Literal('listen'), Type.Literal('whisper'), Type.Literal('barge')]),
  status: Type.Union([Type.Literal('ringing_supervisor'), Type.Literal('active'), Type.Literal('stopped')]),
});

const RecordingBody = Type.Object(
  {
    action: Type.Union([Type.Literal('pause'), Type.Literal('resume'), Type.Literal('start')], {
      description:
        'pause: silence until resume (noted on the recording); start: record a call that is not recorded',
    }),
  },
  { additionalProperties: false },
);

const RecordingView = Type.Object({
  call_id: Type.String(),
  recording_id: Type.Union([Type.Integer(), Type.Null()]),
  state: Type.Union([Type.Literal('off'), Type.Literal('recording'), Type.Literal('paused')]),
});

const RoleName = Type.Union([Type.Literal('admin'), Type.Literal('supervisor'), Type.Literal('agent')]);
const RoleBody = Type.Object(
  {
    role: Type.Union([RoleName, Type.Null()], {
      description: 'admin, supervisor or agent; null clears it (the OmiCall role name decides again)',
    }),
  },
  { additionalProperties: false },
);

function actions(ctx: AppContext): CallActionsService {
  if (!ctx.callActions) throw new DomainError('UNAVAILABLE', 'the call engine is not running');
  return ctx.callActions;
}

/**
 * Actions on a live call (scope `call`): supervisor monitoring and recording control; and the agent role that
 * decides who may monitor (scope `admin`). See docs/monitoring.md.
 */
export async function registerNativeCallActionRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  api.post(
    '/api/calls/:id/monitor',
    {
      config: { scope: 'call' },
      schema: {
        tags: ['native'],
        summary:
          "Monitor a live call: tongdai calls the supervisor's phone and joins it (or switches mode, or leaves)",
        params: CallParams,
        body: MonitorBody,
        response: { 200: MonitorView, 202: MonitorView },
      },
    },
    async (req, reply) => {
      const { tenantId } = principalOf(req);
      const { mode, agent_id, extension } = req.body;
      const v = await actions(ctx).monitor.request(tenantId, req.params.id, {
        mode,
        ...(agent_id !== undefined ? { supervisorAgentId: agent_id } : {}),
        ...(extension !== undefined ? { supervisorExtension: extension } : {}),
      });
      return reply.code(v.status === 'ringing_supervisor' ? 202 : 200).send({
        call_id: v.callId,
        supervisor_agent_id: v.supervisorAgentId,
        agent_id: v.agentId,
        mode: v.mode,
        status: v.status,
      });
    },
  );
  api.post(
    '/api/calls/:id/recording',
    {
      config: { scope: 'call' },
      schema: {
        tags: ['native'],
        summary: 'Pause, resume or start the recording of a live call',
        params: CallParams,
        body: RecordingBody,
        response: { 200: RecordingView },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const v = await actions(ctx).recording.act(tenantId, req.params.id, req.body.action);
      return { call_id: v.callId, recording_id: v.recordingId, state: v.state };
    },
  );
  api.put(
    '/api/agents/:id/role',
    {
      config: { scope: 'admin' },
      schema: {
        tags: ['native'],
        summary: "Set an agent's role (admin, supervisor, agent): console rights and who may monitor calls",
        params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
        body: RoleBody,
        response: {
          200: Type.Object({
            agent_id: Type.Integer(),
            role: RoleName,
          }),
        },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const role = await setConsoleRole(ctx.db, ctx.clock, tenantId, req.params.id, req.body.role);
      return { agent_id: req.params.id, role };
    },
  );
}
