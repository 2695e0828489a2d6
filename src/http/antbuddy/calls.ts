import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import {
  type HistoryEntry,
  type HistoryParty,
  historyQuery,
  listCallHistory,
} from '../../domain/call-history.js';
import { type RecordingLinks, findRecording } from '../../domain/recording-links.js';
import { getTenant } from '../../domain/tenants.js';
import { principalOf } from '../guard.js';
import { queueStatView } from './queue-stat.js';

import { ErrorBody, Signed } from './schemas.js';

const Party = Type.Object({
  number: Type.String(),
  type: Type.Union([Type.Literal('realnumber'), Type.Literal('user')]),
  username: Type.Optional(Type.String()),
});

const HistoryItem = Type.Object({
  call_id: Type.String(),
  caller: Party,
  callee: Party,
  class: Type.Union([Type.Literal('one_one'), Type.Literal('trunking')]),
  did_number: Type.Union([Type.String(), Type.Null()]),
  direction: Type.Union([Type.Literal('from_ab'), Type.Literal('to_ab')]),
  status_detail: Type.String(),
  duration_seconds: Type.Integer(),
  billing_seconds: Type.Integer(),
  unix_timestamp: Type.Integer(),
  hangup_cause: Type.Union([Type.String(), Type.Null()]),
  recording: Type.String(),
  queue_stat: Type.Array(Type.Record(Type.String(), Type.Unknown())),
});

function partyView(p: HistoryParty) {
  if (!p.agent) return { number: p.number, type: 'realnumber' as const };
  return { number: p.agent.extension, type: 'user' as const, username: p.agent.username };
}

/**
 * What a call ended as, by the AntBuddy document's definitions: `IVR` is a call that reached the system and nobody
 * picked up; `CANCELLED` and `BUSY` describe outgoing calls. So an inbound call that no agent answered is `IVR`
 * (whatever the engine stored: it says CANCELLED when the caller hung up waiting), unless it failed (UNSUCCESS).
 */
function statusDetail(e: HistoryEntry): string {
  const c = e.call;
  if (c.direction === 'inbound' && c.answered_at === null && c.status_detail !== 'UNSUCCESS') return 'IVR';
  if (c.status_detail) return c.status_detail;
  if (c.answered_at !== null) return 'SUCCESS';
  if (c.ended_at === null) return 'IVR';
  if (c.direction === 'inbound') return 'IVR';
  if (c.sip_code === 486 || c.hangup_cause === 'USER_BUSY') return 'BUSY';
  if (c.hangup_cause === 'ORIGINATOR_CANCEL') return 'CANCELLED';
  return 'UNSUCCESS';
}

function historyView(e: HistoryEntry, accountId: string) {
  const c = e.call;
  const end = c.ended_at ?? c.created_at;
  return {
    call_id: c.call_id,
    caller: partyView(e.caller),
    callee: partyView(e.callee),
    class: c.direction === 'internal' ? ('one_one' as const) : ('trunking' as const),
    did_number: c.direction === 'inbound' ? c.did_number : null,
    direction: c.direction === 'inbound' ? ('to_ab' as const) : ('from_ab' as const),
    status_detail: statusDetail(e),
    duration_seconds: c.duration_sec ?? Math.max(0, Math.round((end - c.created_at) / 1000)),
    billing_seconds: c.billing_sec ?? 0,
    unix_timestamp: Math.floor(c.created_at / 1000),
    hangup_cause: c.hangup_cause,
    recording: e.recordingName ?? '',
    queue_stat: queueStatView(e, accountId),
  };
}

/** The base of links tongdai hands out; an ephemeral configured port (0) means "the port this request came in on". */
export function publicBase(ctx: AppContext, req: FastifyRequest): string {
  const u = new URL(ctx.config.publicUrl);
  if (u.port === '0') u.port = String(req.socket.localPort ?? '');
  return u.toString().replace(/\/+$/, '');
}

/** `GET /oapi/v1/call/histories`. */
function historiesRoute(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/call/histories',
    {
      config: { antbuddyAuth: 'histories', scope: 'call' },
      schema: {
        tags: ['antbuddy'],
        summary: 'Call history, at most 31 days per query',
        querystring: Type.Object({
          ...Signed,
          created_from: Type.String(),
          created_to: Type.String(),
          limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100 })),
          page: Type.Optional(Type.Integer({ minimum: 1, maximum: 1_000_000 })),
        }),
        response: {
          200: Type.Object({
            total: Type.Integer(),
            page: Type.Integer(),
            limit: Type.Integer(),
            data: Type.Array(HistoryItem),
          }),
          400: ErrorBody,
          401: ErrorBody,
        },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const q = historyQuery({
        from: req.query.created_from,
        to: req.query.created_to,
        limit: req.query.limit,
        page: req.query.page,
      });
      const [{ total, entries }, tenant] = await Promise.all([
        listCallHistory(ctx.db, p.tenantId, q),
        getTenant(ctx.db, p.tenantId),
      ]);
      return {
        total,
        page: q.page,
        limit: q.limit,
        data: entries.map((e) => historyView(e, tenant.account_id)),
      };
    },
  );
}

/** `GET /oapi/v1/call/play_recording`. */
function playRecordingRoute(app: FastifyInstance, ctx: AppContext, links: RecordingLinks): void {
  app.withTypeProvider<TypeBoxTypeProvider>().get(
    '/v1/call/play_recording',
    {
      config: { antbuddyAuth: 'media', scope: 'call' },
      schema: {
        tags: ['antbuddy'],
        summary: 'A signed, expiring URL for a recording',
        querystring: Type.Object({ ...Signed, media: Type.String({ minLength: 1, maxLength: 255 }) }),
        response: { 200: Type.Object({ media: Type.String() }), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (req) => {
      const p = principalOf(req);
      const rec = await findRecording(ctx.db, p.tenantId, req.query.media);
      const l = links.sign(p.tenantId, rec.name);
      const qs = new URLSearchParams({
        tenant: String(l.tenantId),
        expires: String(l.expires),
        signature: l.signature,
      });
      return { media: `${publicBase(ctx, req)}/recordings/${encodeURIComponent(rec.name)}?${qs}` };
    },
  );
}

/** Call histories and recording links (query-string signatures). */
export function registerCallRoutes(app: FastifyInstance, ctx: AppContext, links: RecordingLinks): void {
  historiesRoute(app, ctx);
  playRecordingRoute(app, ctx, links);
}
