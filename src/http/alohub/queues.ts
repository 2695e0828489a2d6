import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type InboundQueueSettings,
  type InboundQueueView,
  getInboundQueueView,
  listInboundQueues,
  updateInboundQueueSettings,
} from '../../domain/inbound-queue-admin.js';
import { invalid } from '../../errors.js';
import { principalOf } from '../guard.js';
import { EnvelopeSchema, ok } from './envelope.js';
import { INT32_MAX, Nullable, PagingQuery } from './schemas.js';

const AloQueue = Type.Object({
  callinId: Type.Integer(),
  callinName: Type.String(),
  strategy: Nullable(Type.Integer()),
  musicinQueue: Nullable(Type.String()),
  timeWait: Nullable(Type.String()),
  agentSelector: Nullable(Type.String()),
  nguongRanhRoi: Nullable(Type.String()),
  callinNumber: Nullable(Type.String()),
});

/** Seed 001's list envelope has no `error_message`, unlike seed 000's agent list: kept as documented. */
const QueueListResponse = Type.Object({
  success: Type.String(),
  error_code: Type.String(),
  totalRecord: Type.Integer(),
  data: Type.Array(AloQueue),
});

const QueueParams = Type.Object({ id: Type.Integer({ minimum: 1, maximum: INT32_MAX }) });

const UpdateBody = Type.Object(
  {
    moh_file_id: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
    max_wait_sec: Type.Optional(Type.String()),
    strategy: Type.Optional(Type.Integer()),
    announce_position: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
const SETTABLE = ['moh_file_id', 'max_wait_sec', 'strategy', 'announce_position'] as const;

/** Several hotline numbers routed to one queue are joined with commas, ascending. */
function toWire(q: InboundQueueView) {
  return {
    callinId: q.id,
    callinName: q.name,
    strategy: q.management_type,
    musicinQueue: q.moh_file,
    timeWait: q.max_wait_sec === null ? null : String(q.max_wait_sec),
    agentSelector: q.agent_selector,
    nguongRanhRoi: q.announce_position === null ? null : String(q.announce_position),
    callinNumber: q.numbers.length > 0 ? q.numbers.join(',') : null,
  };
}

/** The wire's string-typed settings, checked with the field named in the message. */
function settingsOf(body: {
  moh_file_id?: string;
  max_wait_sec?: string;
  strategy?: number;
  announce_position?: string;
}): InboundQueueSettings {
  if (SETTABLE.every((k) => body[k] === undefined))
    throw invalid(`body: at least one of ${SETTABLE.join(', ')} is required`);
  const s: InboundQueueSettings = {};
  if (body.strategy !== undefined) s.managementType = body.strategy;
  if (body.moh_file_id !== undefined) s.mohFile = body.moh_file_id;
  if (body.max_wait_sec !== undefined) {
    if (!/^[0-9]{1,6}$/.test(body.max_wait_sec))
      throw invalid(
        `body.max_wait_sec must be a numeric string of seconds such as "180", got "${body.max_wait_sec}"`,
      );
    s.maxWaitSec = Number(body.max_wait_sec);
  }
  if (body.announce_position !== undefined) {
    if (body.announce_position !== '0' && body.announce_position !== '1')
      throw invalid(`body.announce_position must be "0" or "1", got "${body.announce_position}"`);
    s.announcePosition = body.announce_position === '1' ? 1 : 0;
  }
  return s;
}

/** GET /queues/inbound, GET and PUT /queues/inbound/:id (seed 001), scope `queue`. */
export function registerQueueRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const tags = ['alohub'];

  api.get(
    '/queues/inbound',
    {
      config: { scope: 'queue' },
      schema: {
        tags,
        summary: "List the tenant's inbound queues",
        querystring: Type.Object(PagingQuery),
        response: { 200: QueueListResponse },
      },
    },
    async (req) => {
      const { page, size } = req.query;
      const res = await listInboundQueues(ctx.db, principalOf(req).tenantId, page, size);
      return { success: '1', error_code: 'SUCCESS', totalRecord: res.total, data: res.queues.map(toWire) };
    },
  );

  api.get(
    '/queues/inbound/:id',
    {
      config: { scope: 'queue' },
      schema: {
        tags,
        summary: 'One inbound queue (the bare object, as documented)',
        params: QueueParams,
        response: { 200: AloQueue },
      },
    },
    async (req) => toWire(await getInboundQueueView(ctx.db, principalOf(req).tenantId, req.params.id)),
  );

  api.put(
    '/queues/inbound/:id',
    {
      config: { scope: 'queue' },
      schema: {
        tags,
        summary: "Change an inbound queue's settings",
        params: QueueParams,
        body: UpdateBody,
        response: { 200: EnvelopeSchema },
      },
    },
    async (req) => {
      const tenantId = principalOf(req).tenantId;
      const settings = settingsOf(req.body);
      const q = await updateInboundQueueSettings(ctx.db, ctx.clock, tenantId, req.params.id, settings);
      ctx.bus.publish(tenantId, 'queue.changed', { queueId: q.id, at: ctx.clock.now() });
      return ok('Inbound queue updated successfully');
    },
  );
}
