import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { type RecordingLinks, recordingLinksFor, signedRecordingLink } from '../../domain/recording-links.js';
import { type VoicemailView, listVoicemails } from '../../domain/voicemails.js';
import { principalOf } from '../guard.js';

/** One voicemail as the native API shows it (on its own and on its call's record). */
export const VoicemailJson = Type.Object({
  id: Type.Integer(),
  call_id: Type.String(),
  mailbox: Type.Union([Type.String(), Type.Null()]),
  caller_number: Type.String(),
  duration_ms: Type.Integer(),
  created_at: Type.Integer({ description: 'Unix ms' }),
  recording: Type.Union([
    Type.Object({
      name: Type.String(),
      url: Type.String({ description: 'Signed, short-lived link (GET /recordings/{name})' }),
      expires: Type.Integer({ description: 'Unix seconds' }),
    }),
    Type.Null(),
  ]),
});

export const voicemailJson = (v: VoicemailView, links: RecordingLinks, tenantId: number) => ({
  id: v.id,
  call_id: v.callId,
  mailbox: v.mailbox,
  caller_number: v.callerNumber,
  duration_ms: v.durationMs,
  created_at: v.createdAt,
  recording: v.recordingName ? signedRecordingLink(links, tenantId, v.recordingName) : null,
});

const ListQuery = Type.Object(
  {
    mailbox: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,40}$' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500 })),
  },
  { additionalProperties: false },
);

/** The tenant's voicemails, newest first, each with its recording's signed link (scope `call`). */
export async function registerNativeVoicemailRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const api = app.withTypeProvider<TypeBoxTypeProvider>();
  const links = recordingLinksFor(ctx.config, ctx.clock);
  api.get(
    '/api/voicemails',
    {
      config: { scope: 'call' },
      schema: {
        tags: ['native'],
        summary: "The tenant's voicemails, newest first, with signed recording links",
        querystring: ListQuery,
        response: { 200: Type.Object({ voicemails: Type.Array(VoicemailJson) }) },
      },
    },
    async (req) => {
      const { tenantId } = principalOf(req);
      const q = req.query;
      const rows = await listVoicemails(ctx.db, tenantId, {
        ...(q.mailbox !== undefined ? { mailbox: q.mailbox } : {}),
        ...(q.limit !== undefined ? { limit: q.limit } : {}),
      });
      return { voicemails: rows.map((v) => voicemailJson(v, links, tenantId)) };
    },
  );
}
