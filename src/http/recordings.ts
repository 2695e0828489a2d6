import type { FastifyInstance, FastifyReply } from 'fastify';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { AppContext } from '../context.js';
import { type RecordingLinks, findRecording, recordingLinksFor } from '../domain/recording-links.js';
import { openRecording } from '../recordings/serve.js';
import { DomainError } from '../errors.js';
import { antbuddyEnvelope, installAntbuddyErrors } from './antbuddy/errors.js';
import { claimPrefix } from './family-errors.js';

/** One `bytes=` range of a file of `size` bytes, inclusive; null when there is no Range header. */
export function parseRange(header: string | undefined, size: number): { start: number; end: number } | null {
  if (header === undefined) return null;
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  const unsatisfiable = new DomainError(
    'INVALID_INPUT',
    `range ${header} cannot be served`,
    'range_not_satisfiable',
    {
      size,
    },
  );
  if (!m || (m[1] === '' && m[2] === '')) throw unsatisfiable;
  let start: number;
  let end: number;
  if (m[1] === '') {
    // A suffix range: the last N bytes.
    const n = Number(m[2]);
    if (n === 0) throw unsatisfiable;
    start = Math.max(0, size - n);
    end = size - 1;
  } else {
    start = Number(m[1]);
    end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  }
  if (start >= size || start > end) throw unsatisfiable;
  return { start, end };
}

function sendRangeError(reply: FastifyReply, err: DomainError) {
  reply.header('Content-Range', `bytes */${String(err.details?.size ?? 0)}`);
  return reply.code(416).send({ message: err.message, code: 'range_not_satisfiable' });
}

/** Check the link, then send the recording (from either backend) whole or the requested byte range. */
async function serveRecording(
  ctx: AppContext,
  links: RecordingLinks,
  name: string,
  q: { tenant: number; expires: number; signature: string },
  rangeHeader: string | undefined,
  reply: FastifyReply,
) {
  const check = links.check(q.tenant, name, q.expires, q.signature);
  if (check === 'invalid')
    throw new DomainError('FORBIDDEN', 'the link signature is not valid', 'link_invalid');
  if (check === 'expired') throw new DomainError('FORBIDDEN', 'the link has expired', 'link_expired');
  const rec = await findRecording(ctx.db, q.tenant, name);
  const opened = await openRecording(rec, {
    dataDir: ctx.config.dataDir,
    s3: ctx.recordings.s3,
    linkExpiresMs: q.expires * 1000,
    now: ctx.clock.now(),
  });
  if (opened.kind === 'redirect') {
    return reply.code(302).header('Cache-Control', 'no-store').header('Location', opened.url).send();
  }
  const { size } = opened;
  let range: { start: number; end: number } | null;
  try {
    range = parseRange(rangeHeader, size);
  } catch (e) {
    if (e instanceof DomainError) return sendRangeError(reply, e);
    throw e;
  }
  const body = await opened.open(range);
  reply
    .header('Accept-Ranges', 'bytes')
    .header('Content-Type', opened.contentType)
    .header('Cache-Control', 'private, max-age=60');
  if (!range) {
    reply.header('Content-Length', String(size));
    return reply.send(body);
  }
  reply
    .code(206)
    .header('Content-Range', `bytes ${range.start}-${range.end}/${size}`)
    .header('Content-Length', String(range.end - range.start + 1));
  return reply.send(body);
}

/**
 * `GET /recordings/:name?tenant&expires&signature`: the signed links `play_recording` hands out. The link is
 * the credential (no app headers), so it works in an <audio> element; byte ranges let players seek.
 */
export async function recordingsFamily(app: FastifyInstance, ctx: AppContext): Promise<void> {
  const links = recordingLinksFor(ctx.config, ctx.clock);
  // Errors the router raises before the route runs (an overlong name, a bad escape) answer in the same shape.
  claimPrefix(app, '/recordings', antbuddyEnvelope);
  await app.register(async (scope) => {
    installAntbuddyErrors(scope);
    const api = scope.withTypeProvider<TypeBoxTypeProvider>();
    api.get(
      '/recordings/:name',
      {
        config: { public: true },
        schema: {
          tags: ['recordings'],
          summary: 'Download a recording through a signed link (supports Range)',
          params: Type.Object({ name: Type.String({ minLength: 1, maxLength: 255 }) }),
          querystring: Type.Object({
            tenant: Type.Integer(),
            // Unix seconds: beyond 2038, so wider than the 32-bit default.
            expires: Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER }),
            signature: Type.String({ maxLength: 128 }),
          }),
        },
      },
      async (req, reply) => serveRecording(ctx, links, req.params.name, req.query, req.headers.range, reply),
    );
  });
}
