import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { type Static, Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { type CallSearch, csvField, recordingNameOf, searchCalls } from '../../domain/console-admin.js';
import { recordingLinksFor } from '../../domain/recording-links.js';
import type { Call } from '../../store/schema.js';
import { invalid, notFound } from '../../errors.js';
import { sessionOf } from './session.js';
import { StatusBody, changeAgentStatus } from './floor-routes.js';

const PAGE = 50;
const CSV_MAX = 10_000;

const CallQuery = Type.Object(
  {
    from: Type.Optional(Type.String({ maxLength: 30 })),
    to: Type.Optional(Type.String({ maxLength: 30 })),
    number: Type.Optional(Type.String({ maxLength: 32 })),
    direction: Type.Optional(
      Type.Union([Type.Literal('inbound'), Type.Literal('outbound'), Type.Literal('internal')]),
    ),
    outcome: Type.Optional(Type.Union([Type.Literal('answered'), Type.Literal('missed')])),
    queue_id: Type.Optional(Type.Integer({ minimum: 1 })),
    page: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
type CallQueryT = Static<typeof CallQuery>;

/** A date (YYYY-MM-DD, whole UTC day) or an ISO time; `end` takes the end of a bare date's day. */
function timeOf(raw: string | undefined, fallback: number, end: boolean): number {
  if (!raw) return fallback;
  const day = /^\d{4}-\d{2}-\d{2}$/.test(raw);
  const ms = Date.parse(day ? `${raw}T00:00:00Z` : raw);
  if (!Number.isFinite(ms)) throw invalid(`"${raw}" is not a date (YYYY-MM-DD)`);
  return day && end ? ms + 86_400_000 - 1 : ms;
}

function searchOf(q: CallQueryT, now: number, limit: number, agentId?: number): CallSearch {
  const today = Math.floor(now / 86_400_000) * 86_400_000;
  return {
    fromMs: timeOf(q.from, today - 6 * 86_400_000, false),
    toMs: timeOf(q.to, today + 86_400_000 - 1, true),
    ...(q.number ? { number: q.number } : {}),
    ...(q.direction ? { direction: q.direction } : {}),
    ...(q.outcome ? { outcome: q.outcome } : {}),
    ...(q.queue_id ? { queueId: q.queue_id } : {}),
    ...(agentId !== undefined ? { agentId } : {}),
    limit,
    offset: ((q.page ?? 1) - 1) * limit,
  };
}

function callView(c: Call, names: Map<number, string>) {
  return {
    call_id: c.call_id,
    direction: c.direction,
    caller: c.caller_number,
    callee: c.callee_number,
    queue_id: c.queue_id,
    agent: c.agent_id === null ? null : (names.get(c.agent_id) ?? null),
    created_at: c.created_at,
    answered_at: c.answered_at,
    ended_at: c.ended_at,
    duration_sec: c.duration_sec,
    talk_sec: c.billing_sec,
    hangup_cause: c.hangup_cause,
    status: c.status_detail,
    has_recording: c.recording_id !== null,
  };
}

const CSV_COLUMNS = [
  'call_id',
  'direction',
  'caller',
  'callee',
  'queue_id',
  'agent',
  'created_at',
  'answered_at',
  'ended_at',
  'duration_sec',
  'talk_sec',
  'hangup_cause',
  'status',
] as const;

async function agentNames(ctx: AppContext, tenantId: number): Promise<Map<number, string>> {
  const rows = await ctx.db
    .selectFrom('agents')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

/** Call history (filters, CSV, signed recording links) and the agent's own workspace. */
export function registerConsoleCallRoutes(app: FastifyInstance, ctx: AppContext): void {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const links = recordingLinksFor(ctx.config, ctx.clock);
  const supervisor = { consoleRole: 'supervisor' as const };

  api.get(
    '/console/api/calls',
    { config: supervisor, schema: { hide: true, querystring: CallQuery } },
    async (req) => {
      const tenantId = sessionOf(req).user.tenantId;
      const r = await searchCalls(ctx.db, tenantId, searchOf(req.query, ctx.clock.now(), PAGE));
      const names = await agentNames(ctx, tenantId);
      return { total: r.total, page_size: PAGE, calls: r.calls.map((c) => callView(c, names)) };
    },
  );
  api.get(
    '/console/api/calls.csv',
    { config: supervisor, schema: { hide: true, querystring: CallQuery } },
    async (req, reply) => {
      const tenantId = sessionOf(req).user.tenantId;
      const r = await searchCalls(
        ctx.db,
        tenantId,
        searchOf({ ...req.query, page: 1 }, ctx.clock.now(), CSV_MAX),
      );
      const names = await agentNames(ctx, tenantId);
      const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
      const lines = [CSV_COLUMNS.join(',')];
      for (const c of r.calls) {
        const v = callView(c, names);
        const row = {
          ...v,
          created_at: iso(v.created_at),
          answered_at: iso(v.answered_at),
          ended_at: iso(v.ended_at),
        };
        lines.push(CSV_COLUMNS.map((k) => csvField(row[k])).join(','));
      }
      reply.header('Content-Type', 'text/csv; charset=utf-8');
      reply.header('Content-Disposition', 'attachment; filename="calls.csv"');
      return '\ufeff' + lines.join('\r\n') + '\r\n';
    },
  );
  api.get(
    '/console/api/calls/:callId/recording',
    {
      config: supervisor,
      schema: { hide: true, params: Type.Object({ callId: Type.String({ minLength: 1, maxLength: 100 }) }) },
    },
    async (req) => {
      const tenantId = sessionOf(req).user.tenantId;
      const name = await recordingNameOf(ctx.db, tenantId, req.params.callId);
      if (!name) throw notFound(`recording of call ${req.params.callId}`);
      const l = links.sign(tenantId, name);
      const qs = new URLSearchParams({
        tenant: String(l.tenantId),
        expires: String(l.expires),
        signature: l.signature,
      });
      // Relative: the page plays it from the same origin, whatever host name the browser used.
      return { url: `/recordings/${encodeURIComponent(name)}?${qs}`, expires: l.expires };
    },
  );

  // ---- the agent's own workspace ------------------------------------------------------------------------
  api.get('/console/api/me', { schema: { hide: true } }, async (req) => {
    const { user } = sessionOf(req);
    const [view] = await ctx.statuses.getStatuses(user.tenantId, [user.agentId]);
    return {
      agent_id: user.agentId,
      name: user.name,
      extension: user.extension,
      status: view?.status ?? 'Offline',
      presence: view?.presence ?? 'offline',
      since: view?.changedAt ?? null,
    };
  });
  api.post('/console/api/me/status', { schema: { hide: true, body: StatusBody } }, async (req) => {
    const { user } = sessionOf(req);
    return changeAgentStatus(ctx, user.tenantId, user.agentId, req.body.status, `console:${user.agentId}`);
  });
  api.get('/console/api/me/calls', { schema: { hide: true, querystring: CallQuery } }, async (req) => {
    const { user } = sessionOf(req);
    const r = await searchCalls(
      ctx.db,
      user.tenantId,
      searchOf(req.query, ctx.clock.now(), PAGE, user.agentId),
    );
    const names = await agentNames(ctx, user.tenantId);
    return { total: r.total, page_size: PAGE, calls: r.calls.map((c) => callView(c, names)) };
  });
}
