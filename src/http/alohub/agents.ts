import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import type { AgentDirectory, DirectoryAgent, DirectoryPage } from '../../domain/agent-directory.js';
import {
  MAX_QUEUE_PRIORITY,
  MIN_QUEUE_PRIORITY,
  setAgentCallinQueues,
  setAgentCalloutQueue,
  setAgentRecording,
} from '../../domain/agent-settings.js';
import { type Presence, alohubStatuses } from '../../domain/statuses.js';
import { invalid } from '../../errors.js';
import { principalOf } from '../guard.js';
import { EnvelopeSchema, ok } from './envelope.js';
import { INT32_MAX, Nullable, PagingQuery } from './schemas.js';

const QueueId = Type.Integer({ minimum: 1, maximum: INT32_MAX });

const AgentListQuery = Type.Object({
  team_id: Type.Optional(Type.Integer({ minimum: 0 })),
  status: Type.Optional(Type.Integer({ minimum: 0, maximum: 1 })),
  queue_id: Type.Optional(QueueId),
  ...PagingQuery,
});

const AloAgent = Type.Object({
  tenantId: Type.Integer(),
  tenantName: Type.String(),
  agentId: Type.String(),
  status: Type.Integer(),
  userName: Nullable(Type.String()),
  queueCallin: Nullable(Type.String()),
  queueCallout: Nullable(Type.Integer()),
  queueCalloutName: Nullable(Type.String()),
  queueCallinId: Nullable(Type.String()),
  isFollowMe: Nullable(Type.Integer()),
  priority: Nullable(Type.String()),
  systemStatus: Nullable(Type.String()),
  userStatus: Nullable(Type.String()),
});

const AgentListResponse = Type.Object({
  success: Type.String(),
  error_code: Type.String(),
  error_message: Type.String(),
  totalRecord: Type.Integer(),
  data: Type.Array(AloAgent),
});

/** `{id}` is the extension, digits only; kept as text so "082018" stays "082018". */
const AgentParams = Type.Object({ id: Type.String({ pattern: '^[0-9]{1,20}$' }) });

const AssignQuery = Type.Object({ type: Type.Optional(Type.Enum(['callin', 'callout'])) });
const AssignBody = Type.Object(
  {
    queue_ids: Type.Array(QueueId, { minItems: 1, maxItems: 100 }),
    // GET answers `priority` as text ("5"), so the same text is accepted back, as well as the number.
    priority: Type.Optional(
      Type.Union([
        Type.Integer({ minimum: MIN_QUEUE_PRIORITY, maximum: MAX_QUEUE_PRIORITY }),
        Type.String({ pattern: '^\\s*-?[0-9]{1,6}\\s*$' }),
      ]),
    ),
  },
  { additionalProperties: false },
);
const RecordingBody = Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false });

/** The priority as a number within the documented range, whichever form it came in. */
function priorityOf(raw: number | string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = typeof raw === 'number' ? raw : Number(raw.trim());
  if (n < MIN_QUEUE_PRIORITY || n > MAX_QUEUE_PRIORITY)
    throw invalid(`body.priority must be from ${MIN_QUEUE_PRIORITY} to ${MAX_QUEUE_PRIORITY}`);
  return n;
}

type DirectoryFields = ReturnType<typeof directoryFields>;

/** Several callin queues are joined with commas, in ascending queue id order, in all three fields alike. */
function directoryFields(a: DirectoryAgent) {
  const q = a.callinQueues;
  return {
    agentId: a.extension,
    status: a.active ? 1 : 0,
    userName: a.username,
    queueCallin: q.length > 0 ? q.map((x) => `${x.id}-${x.name}`).join(',') : null,
    queueCallout: a.calloutQueue?.id ?? null,
    queueCalloutName: a.calloutQueue?.name ?? null,
    queueCallinId: q.length > 0 ? q.map((x) => String(x.id)).join(',') : null,
    isFollowMe: a.followMe ? 1 : 0,
    priority: q.length > 0 ? q.map((x) => String(x.priority)).join(',') : null,
  };
}

/** Built once per agent object: the directory hands out the same objects until the next directory write. */
type FieldsCache = WeakMap<DirectoryAgent, DirectoryFields>;

function toWire(
  cache: FieldsCache,
  tenantId: number,
  tenantName: string,
  a: DirectoryAgent,
  presence: Presence,
) {
  let f = cache.get(a);
  if (!f) cache.set(a, (f = directoryFields(a)));
  const st = alohubStatuses(presence);
  return {
    tenantId,
    tenantName,
    agentId: f.agentId,
    status: f.status,
    userName: f.userName,
    queueCallin: f.queueCallin,
    queueCallout: f.queueCallout,
    queueCalloutName: f.queueCalloutName,
    queueCallinId: f.queueCallinId,
    isFollowMe: f.isFollowMe,
    priority: f.priority,
    systemStatus: st.systemStatus,
    userStatus: st.userStatus,
  };
}

/** GET /agents, PUT /agents/:id/queues, PUT /agents/:id/recording (seed 000), scope `agent`. */
export function registerAgentRoutes(app: FastifyInstance, ctx: AppContext, directory: AgentDirectory): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['alohub'];
  const fields: FieldsCache = new WeakMap();
  const bodies = new WeakMap<DirectoryPage, Buffer>();

  api.get(
    '/agents',
    {
      config: { scope: 'agent' },
      schema: {
        tags,
        summary: "List the tenant's agents",
        querystring: AgentListQuery,
        response: { 200: AgentListResponse },
      },
    },
    async (req, reply) => {
      const { tenantId, seenVersion } = principalOf(req);
      const { team_id, status, queue_id, page, size } = req.query;
      // team_id filters by tenant (seed 000): any other tenant's id narrows the caller's list to nothing.
      if (team_id !== undefined && team_id !== tenantId) {
        return { success: '1', error_code: 'SUCCESS', error_message: 'SUCCESS', totalRecord: 0, data: [] };
      }
      const filter = { active: status === undefined ? undefined : status === 1, queueId: queue_id };
      const res = await directory.page(tenantId, filter, page, size, seenVersion);
      // The directory hands out the same page object until the next commit: serialise and encode it once.
      let body = bodies.get(res);
      if (body === undefined) {
        const json = reply.serialize({
          success: '1',
          error_code: 'SUCCESS',
          error_message: 'SUCCESS',
          totalRecord: res.total,
          data: res.agents.map((a) => toWire(fields, tenantId, res.tenantName, a.agent, a.presence)),
        }) as string;
        body = Buffer.from(json, 'utf8');
        bodies.set(res, body);
      }
      // Sent as is: a Buffer payload skips the route's serializer.
      return (reply as FastifyReply).type('application/json; charset=utf-8').send(body);
    },
  );

  api.put(
    '/agents/:id/queues',
    {
      config: { scope: 'agent' },
      schema: {
        tags,
        summary: "Replace the agent's callin queues, or set its callout queue",
        params: AgentParams,
        querystring: AssignQuery,
        body: AssignBody,
        response: { 200: EnvelopeSchema },
      },
    },
    async (req) => {
      const tenantId = principalOf(req).tenantId;
      const { queue_ids: ids } = req.body;
      const priority = priorityOf(req.body.priority);
      if ((req.query.type ?? 'callin') === 'callout') {
        const [only] = ids;
        if (ids.length !== 1 || only === undefined)
          throw invalid(`body.queue_ids: type=callout takes exactly one queue id, got ${ids.length}`);
        // priority only applies to callin memberships (seed 000); with callout it is accepted and ignored.
        const agent = await setAgentCalloutQueue(ctx.db, ctx.clock, tenantId, req.params.id, only);
        ctx.bus.publish(tenantId, 'agent.changed', { agentId: agent.id, at: ctx.clock.now() });
      } else {
        const agent = await setAgentCallinQueues(ctx.db, ctx.clock, tenantId, req.params.id, ids, priority);
        ctx.bus.publish(tenantId, 'agent.changed', { agentId: agent.id, at: ctx.clock.now() });
      }
      return ok('Agent queues updated successfully');
    },
  );

  api.put(
    '/agents/:id/recording',
    {
      config: { scope: 'agent' },
      schema: {
        tags,
        summary: 'Turn call recording on or off for the agent',
        params: AgentParams,
        body: RecordingBody,
        response: { 200: EnvelopeSchema },
      },
    },
    async (req) => {
      const tenantId = principalOf(req).tenantId;
      const { enabled } = req.body;
      const agent = await setAgentRecording(ctx.db, ctx.clock, tenantId, req.params.id, enabled);
      ctx.bus.publish(tenantId, 'agent.changed', { agentId: agent.id, at: ctx.clock.now() });
      return ok(`Recording ${enabled ? 'enabled' : 'disabled'} for agent ${agent.extension}`);
    },
  );
}
