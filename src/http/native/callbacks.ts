import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type Callback,
  type QueueCallerOptions,
  callbackCounts,
  queueCallbackCounts,
  getQueueCallerOptions,
  listCallbacks,
  setQueueCallerOptions,
} from '../../domain/callbacks.js';
import { principalOf } from '../guard.js';

const IdParams = Type.Object({ id: Type.Integer({ minimum: 1 }) }, { additionalProperties: false });
const ListQuery = Type.Object(
  {
    queue_id: Type.Optional(Type.Integer({ minimum: 1 })),
    open: Type.Optional(Type.Boolean()),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);
const CallbackJson = Type.Object({
  id: Type.Integer(),
  queue_id: Type.Integer(),
  number: Type.String(),
  call_id: Type.String(),
  caller_id: Type.String(),
  state: Type.Union([
    Type.Literal('waiting'),
    Type.Literal('offered'),
    Type.Literal('dialing'),
    Type.Literal('retry_wait'),
    Type.Literal('completed'),
    Type.Literal('failed'),
  ]),
  attempts: Type.Integer(),
  next_attempt_at: Type.Union([Type.Integer(), Type.Null()]),
  agent_id: Type.Union([Type.Integer(), Type.Null()]),
  outcome: Type.Union([Type.String(), Type.Null()]),
  entered_at: Type.Integer(),
  created_at: Type.Integer(),
  updated_at: Type.Integer(),
});
const countProps = {
  offered: Type.Integer({
    description: 'Callbacks requested (key pressed or IVR branch taken, number accepted)',
  }),
  completed: Type.Integer({ description: 'The customer answered and was connected to the agent' }),
  failed: Type.Integer({
    description: 'Given up: attempts exhausted, taken out of the queue, or number barred',
  }),
  open: Type.Integer({ description: 'Still waiting, ringing or between retries' }),
};
const Counts = Type.Object(countProps, {
  description: 'Of the callbacks requested in the window (docs/ivr.md): offered = completed + failed + open',
});
const QueueCounts = Type.Object({ queue_id: Type.Integer(), name: Type.String(), ...countProps });
const WindowQuery = Type.Object(
  {
    from: Type.Optional(Type.Integer({ minimum: 0, description: 'Requested at or after (ms)' })),
    to: Type.Optional(Type.Integer({ minimum: 0, description: 'Requested before (ms)' })),
  },
  { additionalProperties: false },
);
const OptionsJson = Type.Object({
  announce_position: Type.Boolean(),
  announce_interval_sec: Type.Integer(),
  announce_language: Type.Union([Type.Literal('vi'), Type.Literal('en')]),
  callback_enabled: Type.Boolean(),
  callback_key: Type.String(),
  callback_max_attempts: Type.Integer(),
  callback_retry_sec: Type.Integer(),
  callback_caller_id: Type.Union([Type.String(), Type.Null()]),
});
const OptionsBody = Type.Object(
  {
    announce_position: Type.Optional(Type.Boolean()),
    announce_interval_sec: Type.Optional(Type.Integer({ minimum: 0, maximum: 3600 })),
    announce_language: Type.Optional(Type.Union([Type.Literal('vi'), Type.Literal('en')])),
    callback_enabled: Type.Optional(Type.Boolean()),
    callback_key: Type.Optional(Type.String({ pattern: '^[0-9*#]$' })),
    callback_max_attempts: Type.Optional(Type.Integer({ minimum: 1, maximum: 10 })),
    callback_retry_sec: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400 })),
    callback_caller_id: Type.Optional(Type.Union([Type.String({ pattern: '^\\+?\\d{2,20}$' }), Type.Null()])),
  },
  { additionalProperties: false },
);

const tags = ['native: queues'];

const windowOf = (q: { from?: number; to?: number }) => ({
  ...(q.from !== undefined ? { from: q.from } : {}),
  ...(q.to !== undefined ? { to: q.to } : {}),
});

const callbackJson = (c: Callback) => ({
  id: c.id,
  queue_id: c.queueId,
  number: c.number,
  call_id: c.callId,
  caller_id: c.callerId,
  state: c.state,
  attempts: c.attempts,
  next_attempt_at: c.nextAttemptAt,
  agent_id: c.agentId,
  outcome: c.outcome,
  entered_at: c.enteredAt,
  created_at: c.createdAt,
  updated_at: c.updatedAt,
});

const optionsJson = (o: QueueCallerOptions) => ({
  announce_position: o.announcePosition,
  announce_interval_sec: o.announceIntervalSec,
  announce_language: o.announceLanguage,
  callback_enabled: o.callbackEnabled,
  callback_key: o.callbackKey,
  callback_max_attempts: o.callbackMaxAttempts,
  callback_retry_sec: o.callbackRetrySec,
  callback_caller_id: o.callbackCallerId,
});

/** Queued callbacks (listed per tenant and per queue) and a queue's caller options (scope `queue`). */
export async function registerNativeCallbackRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const config = { scope: 'queue' as const };

  api.get(
    '/api/callbacks',
    {
      config,
      schema: {
        tags,
        summary: "The tenant's queued callbacks, newest first",
        querystring: ListQuery,
        response: { 200: Type.Object({ callbacks: Type.Array(CallbackJson) }) },
      },
    },
    async (req) => {
      const q = req.query;
      const rows = await listCallbacks(ctx.db, principalOf(req).tenantId, {
        ...(q.queue_id !== undefined ? { queueId: q.queue_id } : {}),
        ...(q.open !== undefined ? { open: q.open } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
      });
      return { callbacks: rows.map(callbackJson) };
    },
  );

  api.get(
    '/api/callbacks/counts',
    {
      config,
      schema: {
        tags,
        summary: "Callback counts of the tenant's queues (queue statistics), by request time",
        querystring: WindowQuery,
        response: {
          200: Type.Object({
            totals: Counts,
            queues: Type.Array(QueueCounts),
          }),
        },
      },
    },
    async (req) => {
      const { totals, queues } = await queueCallbackCounts(
        ctx.db,
        principalOf(req).tenantId,
        windowOf(req.query),
      );
      return { totals, queues: queues.map((q) => ({ queue_id: q.queueId, name: q.name, ...q.counts })) };
    },
  );

  api.get(
    '/api/queues/:id/callbacks',
    {
      config,
      schema: {
        tags,
        summary: "One queue's callbacks and their counts (of those requested in the window, default all)",
        params: IdParams,
        querystring: WindowQuery,
        response: { 200: Type.Object({ counts: Counts, callbacks: Type.Array(CallbackJson) }) },
      },
    },
    async (req) => {
      const tenantId = principalOf(req).tenantId;
      await getQueueCallerOptions(ctx.db, tenantId, req.params.id); // another tenant's queue: not found
      const [counts, rows] = await Promise.all([
        callbackCounts(ctx.db, tenantId, req.params.id, windowOf(req.query)),
        listCallbacks(ctx.db, tenantId, { queueId: req.params.id }),
      ]);
      return { counts, callbacks: rows.map(callbackJson) };
    },
  );

  api.get(
    '/api/queues/:id/caller-options',
    {
      config,
      schema: {
        tags,
        summary: 'Announcements and callback settings',
        params: IdParams,
        response: { 200: OptionsJson },
      },
    },
    async (req) => optionsJson(await getQueueCallerOptions(ctx.db, principalOf(req).tenantId, req.params.id)),
  );

  api.patch(
    '/api/queues/:id/caller-options',
    {
      config,
      schema: {
        tags,
        summary: 'Change announcements and callback settings',
        params: IdParams,
        body: OptionsBody,
        response: { 200: OptionsJson },
      },
    },
    async (req) => {
      const b = req.body;
      const o: Partial<QueueCallerOptions> = {
        ...(b.announce_position !== undefined ? { announcePosition: b.announce_position } : {}),
        ...(b.announce_interval_sec !== undefined ? { announceIntervalSec: b.announce_interval_sec } : {}),
        ...(b.announce_language !== undefined ? { announceLanguage: b.announce_language } : {}),
        ...(b.callback_enabled !== undefined ? { callbackEnabled: b.callback_enabled } : {}),
        ...(b.callback_key !== undefined ? { callbackKey: b.callback_key } : {}),
        ...(b.callback_max_attempts !== undefined ? { callbackMaxAttempts: b.callback_max_attempts } : {}),
        ...(b.callback_retry_sec !== undefined ? { callbackRetrySec: b.callback_retry_sec } : {}),
        ...(b.callback_caller_id !== undefined ? { callbackCallerId: b.callback_caller_id } : {}),
      };
      const tenantId = principalOf(req).tenantId;
      return optionsJson(await setQueueCallerOptions(ctx.db, ctx.clock, tenantId, req.params.id, o));
    },
  );
}
