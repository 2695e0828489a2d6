import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type, type Static, type TSchema } from 'typebox';
import type { AppContext, LiveCallView } from '../../context.js';
import {
  CALLS_DEFAULT_LIMIT,
  CALLS_MAX_LIMIT,
  CALL_STATUSES,
  findCallRecord,
  listCalls,
  recordingNameOfCall,
} from '../../domain/call-reads.js';
import { parseQueueStats } from '../../domain/call-history.js';
import { parseStoredTransfers, transferWire } from '../../domain/call-transfers.js';
import { recordingLinksFor, signedRecordingLink } from '../../domain/recording-links.js';
import { callsWithVoicemail, voicemailOfCall } from '../../domain/voicemails.js';
import { VoicemailJson, voicemailJson } from './voicemails.js';
import { DomainError, isDomainError, notFound } from '../../errors.js';
import type { Call as CallRow } from '../../store/schema.js';
import { principalOf } from '../guard.js';
import { transferTargetOf } from '../transfer-target.js';

const ClickToCallBody = Type.Object(
  {
    agent_id: Type.Integer({
      minimum: 1,
      description: "The agent whose phone rings first (tongdai's agent id)",
    }),
    number: Type.String({
      minLength: 2,
      maxLength: 32,
      pattern: '^\\+?[0-9 ().-]+$',
      description: 'The customer number to call through the trunk once the agent answers',
    }),
  },
  { additionalProperties: false },
);

const Nullable = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);
const Ms = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'Unix ms' });
const Direction = Type.Union([Type.Literal('inbound'), Type.Literal('outbound'), Type.Literal('internal')]);

const CallItem = Type.Object({
  call_id: Type.String(),
  state: Type.String({
    description:
      'routing, queued, offering, bridged, held, transferring (live on this node), active (open, run by another node), ended',
  }),
  direction: Direction,
  caller_number: Type.String(),
  callee_number: Type.String(),
  did_number: Nullable(Type.String()),
  queue_id: Nullable(Type.Integer()),
  agent_id: Nullable(Type.Integer()),
  caller_agent_id: Nullable(Type.Integer()),
  callee_agent_id: Nullable(Type.Integer()),
  created_at: Ms,
  answered_at: Nullable(Ms),
  ended_at: Nullable(Ms),
  duration_sec: Nullable(Type.Integer()),
  billing_sec: Nullable(Type.Integer()),
  hangup_cause: Nullable(Type.String()),
  hangup_by: Nullable(Type.String()),
  status_detail: Nullable(Type.String()),
  sip_code: Nullable(Type.Integer()),
  reason: Nullable(Type.String()),
  has_recording: Type.Boolean(),
  has_voicemail: Type.Boolean({ description: 'The caller left a voicemail (GET /api/calls/{id} has it)' }),
});
type CallItem = Static<typeof CallItem>;

const Leg = Type.Object({
  side: Type.Union([Type.Literal('a'), Type.Literal('b')]),
  role: Type.Union([Type.Literal('caller'), Type.Literal('callee')]),
  number: Type.String(),
  agent_id: Nullable(Type.Integer()),
  answered: Type.Boolean(),
  on_hold: Type.Boolean(),
});

const CallDetail = Type.Intersect([
  CallItem,
  Type.Object({
    legs: Type.Array(Leg),
    queue_stat: Nullable(Type.Record(Type.String(), Type.Unknown())),
    transfers: Type.Array(
      Type.Object({
        at: Ms,
        from_agent_id: Nullable(Type.Integer({ description: 'The agent who had the call' })),
        to_kind: Type.Union([Type.Literal('agent'), Type.Literal('queue'), Type.Literal('number')]),
        to_agent_id: Nullable(
          Type.Integer({ description: 'The agent named, or (to a queue) the agent of it who answered' }),
        ),
        to_queue_id: Nullable(Type.Integer()),
        to_number: Nullable(Type.String()),
        to: Type.String({ description: 'Readable destination: `agent 1002`, `queue 3`, a number' }),
        by: Type.Union([Type.Literal('api'), Type.Literal('refer'), Type.Literal('attended')], {
          description: "The native API or console, the agent phone's REFER, or REFER with Replaces",
        }),
        outcome: Type.Union(
          [Type.Literal('ringing'), Type.Literal('queued'), Type.Literal('done'), Type.Literal('failed')],
          { description: '`queued`: the caller waits in the target queue' },
        ),
        status: Nullable(Type.Integer({ description: 'SIP status of a failure' })),
        settled_at: Nullable(Ms),
      }),
      { description: 'The transfers of the call, oldest first (live calls and ended ones alike)' },
    ),
    recording: Nullable(
      Type.Object({
        name: Type.String(),
        url: Type.String({ description: 'Signed, short-lived link (GET /recordings/{name})' }),
        expires: Type.Integer({ description: 'Unix seconds' }),
      }),
    ),
    voicemail: Nullable(VoicemailJson),
    states: Type.Array(Type.Object({ state: Type.String(), at: Ms }), {
      description: 'The states a live call went through (empty once it ended)',
    }),
  }),
]);

const ErrorBody = Type.Object({ error: Type.Object({ code: Type.String(), message: Type.String() }) });
const ConflictBody = Type.Object({
  error: Type.Object({
    code: Type.Literal('CONFLICT'),
    message: Type.String(),
    state: Type.String(),
    reason: Type.Optional(
      Type.String({
        description:
          "Why a transfer's target queue turns the caller away: closed, no_agents, blacklisted, no_target",
      }),
    ),
  }),
});

const ListQuery = Type.Object(
  {
    from: Type.Optional(Ms),
    to: Type.Optional(Ms),
    direction: Type.Optional(Direction),
    queue_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 })),
    agent_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1 })),
    status: Type.Optional(Type.Union(CALL_STATUSES.map((s) => Type.Literal(s)))),
    caller: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    callee: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    state: Type.Optional(Type.Literal('active', { description: "Live calls from this node's call engine" })),
    limit: Type.Integer({ minimum: 1, maximum: CALLS_MAX_LIMIT, default: CALLS_DEFAULT_LIMIT }),
    cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
  },
  { additionalProperties: false },
);
type ListQuery = Static<typeof ListQuery>;

const TransferBody = Type.Object(
  {
    agent_id: Type.Optional(Type.Integer({ minimum: 1, maximum: 2 ** 31 - 1, description: "An agent's id" })),
    extension: Type.Optional(Type.String({ minLength: 1, maxLength: 20, pattern: '^[0-9]+$' })),
    number: Type.Optional(
      Type.String({
        minLength: 2,
        maxLength: 32,
        pattern: '^\\+?[0-9 ().-]+$',
        description: 'An external number',
      }),
    ),
    queue_id: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 2 ** 31 - 1,
        description: 'An inbound queue: the caller waits in it again (its wait counts from the transfer)',
      }),
    ),
  },
  { description: 'Exactly one of agent_id, extension, number' },
);

const IdParams = Type.Object({ id: Type.String({ minLength: 1, maxLength: 100 }) });

function rowItem(c: CallRow, live: LiveCallView | undefined, withVoicemail: boolean): CallItem {
  return {
    call_id: c.call_id,
    state: live?.state ?? (c.ended_at === null ? 'active' : 'ended'),
    direction: c.direction === 'outbound' || c.direction === 'internal' ? c.direction : 'inbound',
    caller_number: c.caller_number,
    callee_number: c.callee_number,
    did_number: c.did_number,
    queue_id: live?.queueId ?? c.queue_id,
    agent_id: live?.agentId ?? c.agent_id,
    caller_agent_id: c.caller_agent_id,
    callee_agent_id: c.callee_agent_id,
    created_at: c.created_at,
    answered_at: live?.answeredAt ?? c.answered_at,
    ended_at: c.ended_at,
    duration_sec: c.duration_sec,
    billing_sec: c.billing_sec,
    hangup_cause: c.hangup_cause,
    hangup_by: c.hangup_by,
    status_detail: c.status_detail,
    sip_code: c.sip_code,
    reason: c.reason,
    has_recording: c.recording_id !== null,
    has_voicemail: withVoicemail,
  };
}

function liveItem(v: LiveCallView): CallItem {
  return {
    call_id: v.callId,
    state: v.state,
    direction: v.direction,
    caller_number: v.callerNumber,
    callee_number: v.calleeNumber,
    did_number: v.didNumber,
    queue_id: v.queueId,
    agent_id: v.agentId,
    caller_agent_id: v.callerAgentId,
    callee_agent_id: v.calleeAgentId,
    created_at: v.createdAt,
    answered_at: v.answeredAt,
    ended_at: null,
    duration_sec: null,
    billing_sec: null,
    hangup_cause: null,
    hangup_by: null,
    status_detail: null,
    sip_code: null,
    reason: null,
    has_recording: false,
    has_voicemail: false,
  };
}

/** Live calls matching the list filters (status applies to ended calls only). */
function liveMatches(v: LiveCallView, q: ListQuery): boolean {
  const agents = [v.agentId, v.callerAgentId, v.calleeAgentId];
  return (
    (q.from === undefined || v.createdAt >= q.from) &&
    (q.to === undefined || v.createdAt <= q.to) &&
    (q.direction === undefined || v.direction === q.direction) &&
    (q.queue_id === undefined || v.queueId === q.queue_id) &&
    (q.agent_id === undefined || agents.includes(q.agent_id)) &&
    (q.caller === undefined || v.callerNumber === q.caller) &&
    (q.callee === undefined || v.calleeNumber === q.callee)
  );
}

function legsOf(item: CallItem, live: LiveCallView | undefined): Static<typeof Leg>[] {
  const a = live?.legs.find((l) => l.side === 'a');
  const b = live?.legs.find((l) => l.side === 'b');
  const answered = item.answered_at !== null;
  return [
    {
      side: 'a',
      role: 'caller',
      number: item.caller_number,
      agent_id: item.caller_agent_id,
      answered: a ? a.answered : answered || item.direction !== 'inbound',
      on_hold: a?.onHold ?? false,
    },
    {
      side: 'b',
      role: 'callee',
      number: item.callee_number,
      agent_id: item.direction === 'inbound' ? item.agent_id : (item.callee_agent_id ?? null),
      answered: b ? b.answered : answered,
      on_hold: b?.onHold ?? false,
    },
  ];
}

/** 409 in the native shape, with the call's state named beside the message. */
function conflict(reply: FastifyReply, message: string, state: string, reason?: string) {
  return reply
    .code(409)
    .send({ error: { code: 'CONFLICT' as const, message, state, ...(reason ? { reason } : {}) } });
}

/**
 * Native call control (see docs/api/native-calls.md): click-to-call, the call list (records, or live calls with
 * `state=active`), one call with its legs, and actions on a live call (hang up, hold, resume).
 */
export async function registerNativeCallRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const links = recordingLinksFor(ctx.config, ctx.clock);
  const engine = () => {
    if (!ctx.liveCalls) throw new DomainError('UNAVAILABLE', 'the call engine is not running');
    return ctx.liveCalls;
  };

  api.post(
    '/api/calls/click-to-call',
    {
      config: { scope: 'call' },
      schema: {
        tags: ['native'],
        summary: "Click-to-call: ring the agent's registered phone, then the customer, then bridge",
        body: ClickToCallBody,
        response: { 200: Type.Object({ call_id: Type.String(), status: Type.Literal('ringing_agent') }) },
      },
    },
    async (req) => {
      const p = principalOf(req);
      if (!ctx.clickToCall) throw new DomainError('UNAVAILABLE', 'the call engine is not running');
      const { callId } = await ctx.clickToCall.originate({
        tenantId: p.tenantId,
        agentId: req.body.agent_id,
        number: req.body.number,
      });
      return { call_id: callId, status: 'ringing_agent' as const };
    },
  );

  api.get(
    '/api/calls',
    {
      config: { scope: 'call' },
      schema: {
        tags: ['native'],
        summary: "List the tenant's calls, newest first (state=active: the live calls)",
        querystring: ListQuery,
        response: {
          200: Type.Object({ items: Type.Array(CallItem), next_cursor: Nullable(Type.String()) }),
          400: ErrorBody,
        },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const q = req.query;
      if (q.from !== undefined && q.to !== undefined && q.to < q.from) {
        throw new DomainError('INVALID_INPUT', 'to must not be before from');
      }
      if (q.state === 'active') {
        if (q.status)
          throw new DomainError('INVALID_INPUT', 'status applies to ended calls, not to state=active');
        if (q.cursor) throw new DomainError('INVALID_INPUT', 'state=active answers in one page: no cursor');
        const live = engine()
          .list(tenantId)
          .filter((v) => liveMatches(v, q))
          .sort((x, y) => y.createdAt - x.createdAt)
          .slice(0, q.limit);
        return { items: live.map(liveItem), next_cursor: null };
      }
      const page = await listCalls(ctx.db, tenantId, {
        fromMs: q.from,
        toMs: q.to,
        direction: q.direction,
        queueId: q.queue_id,
        agentId: q.agent_id,
        status: q.status,
        callerNumber: q.caller,
        calleeNumber: q.callee,
        limit: q.limit,
        cursor: q.cursor,
      });
      const voicemails = await callsWithVoicemail(
        ctx.db,
        tenantId,
        page.rows.map((c) => c.call_id),
      );
      const items = page.rows.map((c) =>
        rowItem(
          c,
          c.ended_at === null ? ctx.liveCalls?.get(tenantId, c.call_id) : undefined,
          voicemails.has(c.call_id),
        ),
      );
      return { items, next_cursor: page.next };
    },
  );

  api.get(
    '/api/calls/:id',
    {
      config: { scope: 'call' },
      schema: {
        tags: ['native'],
        summary: 'One call: its legs, queue statistics, transfers and recording link',
        params: IdParams,
        response: { 200: CallDetail, 404: ErrorBody },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const live = ctx.liveCalls?.get(tenantId, req.params.id);
      const row = await findCallRecord(ctx.db, tenantId, req.params.id);
      if (!row && !live) throw notFound(`call ${req.params.id}`);
      const vm = row ? await voicemailOfCall(ctx.db, tenantId, row.call_id) : null;
      const item = row ? rowItem(row, live, vm !== null) : liveItem(live!);
      const name = row ? await recordingNameOfCall(ctx.db, tenantId, row.recording_id) : null;
      const recording = name ? signedRecordingLink(links, tenantId, name) : null;
      return {
        ...item,
        legs: legsOf(item, live),
        queue_stat: parseQueueStats(row?.queue_stat ?? null)[0] ?? null,
        transfers: live ? live.transfers.map(transferWire) : parseStoredTransfers(row?.transfers ?? null),
        recording,
        voicemail: vm ? voicemailJson(vm, links, tenantId) : null,
        states: live?.states ?? [],
      };
    },
  );

  api.post(
    '/api/calls/:id/transfer',
    {
      config: { scope: 'call' },
      schema: {
        tags: ['native'],
        summary: "Blind-transfer a bridged call's agent side to another agent, extension, number or queue",
        params: IdParams,
        body: TransferBody,
        response: {
          200: CallItem,
          400: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ConflictBody,
          503: ErrorBody,
        },
      },
    },
    async (req, reply) => {
      const { tenantId } = principalOf(req);
      const id = req.params.id;
      const target = transferTargetOf(req.body);
      let view: LiveCallView | undefined;
      try {
        view = await engine().transfer(tenantId, id, target);
      } catch (e) {
        const state = isDomainError(e) ? e.details?.state : undefined;
        const why = isDomainError(e) ? e.details?.queueReason : undefined;
        if (typeof state === 'string') {
          return conflict(
            reply,
            e instanceof Error ? e.message : '',
            state,
            typeof why === 'string' ? why : undefined,
          );
        }
        throw e;
      }
      if (view) return liveItem(view);
      return notLive(reply, tenantId, id, 'transfer');
    },
  );

  /** An action on a call this node does not run: 404 unknown, 409 ended or run by another node. */
  const notLive = async (reply: FastifyReply, tenantId: number, id: string, action: string) => {
    const row = await findCallRecord(ctx.db, tenantId, id);
    if (!row) throw notFound(`call ${id}`);
    if (row.ended_at !== null)
      return conflict(reply, `the call is ended: ${action} is not possible now`, 'ended');
    return conflict(reply, `the call is run by another tongdai node: ${action} it there`, 'active');
  };

  for (const action of ['hangup', 'hold', 'resume'] as const) {
    api.post(
      `/api/calls/:id/${action}`,
      {
        config: { scope: 'call' },
        schema: {
          tags: ['native'],
          summary: {
            hangup: 'Hang up a live call (both sides)',
            hold: 'Put a bridged call on hold (both sides hear hold music)',
            resume: 'Take a call held through the API off hold',
          }[action],
          params: IdParams,
          response: { 200: CallItem, 404: ErrorBody, 409: ConflictBody, 503: ErrorBody },
        },
      },
      async (req, reply) => {
        const { tenantId } = principalOf(req);
        const id = req.params.id;
        let view: LiveCallView | undefined;
        try {
          view = engine().act(tenantId, id, action);
        } catch (e) {
          const state = isDomainError(e) ? e.details?.state : undefined;
          if (typeof state === 'string') return conflict(reply, e instanceof Error ? e.message : '', state);
          throw e;
        }
        if (view) return liveItem(view);
        return notLive(reply, tenantId, id, action);
      },
    );
  }
}
