import type { FastifyInstance } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../../context.js';
import { listMediaFiles, saveMohUpload } from '../../media/library.js';
import type { MediaFile } from '../../store/schema.js';
import { principalOf } from '../guard.js';

/** Uploads larger than this are refused by the body limit (a 10-minute 48 kHz stereo WAV is ~110 MB). */
const MAX_UPLOAD_BYTES = 128 * 1024 * 1024;
const WAV_TYPES = ['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave', 'application/octet-stream'];

const MediaView = Type.Object({
  id: Type.Integer(),
  name: Type.String({ description: 'Use this as the queue music-on-hold file name' }),
  kind: Type.String(),
  size_bytes: Type.Integer(),
  duration_ms: Type.Integer(),
  created_at: Type.Integer({ description: 'Unix ms' }),
});

const view = (m: MediaFile) => ({
  id: m.id,
  name: m.name,
  kind: m.kind,
  size_bytes: m.size_bytes,
  duration_ms: m.duration_ms,
  created_at: m.created_at,
});

/** Native hold-music files: `POST /api/media/moh?name=` (raw WAV body) and `GET /api/media/moh`. */
export async function registerNativeMediaRoutes(app: FastifyInstance, ctx: AppContext): Promise<void> {
  // A child context, so the raw-audio body parser applies to these routes only.
  await app.register(async (child) => {
    child.addContentTypeParser(
      WAV_TYPES,
      { parseAs: 'buffer', bodyLimit: MAX_UPLOAD_BYTES },
      (_req, body, done) => done(null, body),
    );
    const api = child.withTypeProvider<TypeBoxTypeProvider>();
    api.post(
      '/api/media/moh',
      {
        config: { scope: 'queue' },
        bodyLimit: MAX_UPLOAD_BYTES,
        schema: {
          tags: ['native'],
          summary: 'Upload hold music (any WAV; converted once to 8 kHz mono)',
          description:
            'Raw body with Content-Type audio/wav. PCM 8/16/24/32-bit, float, A-law or µ-law, any rate and channel count. ' +
            'A file with the same name is replaced.',
          querystring: Type.Object({ name: Type.String({ minLength: 1, maxLength: 63 }) }),
          response: { 201: MediaView },
        },
      },
      async (req, reply) => {
        const p = principalOf(req);
        const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        const row = await saveMohUpload(
          ctx.db,
          ctx.clock,
          ctx.config.dataDir,
          p.tenantId,
          req.query.name,
          body,
        );
        return reply.code(201).send(view(row));
      },
    );
    api.get(
      '/api/media/moh',
      {
        config: { scope: 'queue' },
        schema: {
          tags: ['native'],
          summary: "List the tenant's hold-music files",
          response: { 200: Type.Object({ items: Type.Array(MediaView) }) },
        },
      },
      async (req) => {
        const p = principalOf(req);
        return { items: (await listMediaFiles(ctx.db, p.tenantId)).map(view) };
      },
    );
  });
}
