import type { FastifyInstance, FastifyReply } from 'fastify';
import { Type } from 'typebox';
import { type ErrorCode, codeToStatus, isDomainError } from '../../errors.js';
import { type FastifyErrorLike, describeValidation } from '../guard.js';

/** The `error_code` values this family answers with (seeds 000/001, plus FORBIDDEN and CONFLICT; see docs). */
export type AlohubCode =
  | 'SUCCESS'
  | 'INVALID_INPUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'INSUFFICIENT_SCOPE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'RATE_LIMIT_EXCEEDED'
  | 'FAIL';

export interface AlohubEnvelope {
  success: '1' | '0';
  error_code: AlohubCode;
  error_message: string;
}

/** The write endpoints' 200 answer: `{"success":"1","error_code":"SUCCESS","error_message": …}`. */
export function ok(message: string): AlohubEnvelope {
  return { success: '1', error_code: 'SUCCESS', error_message: message };
}

export const EnvelopeSchema = Type.Object({
  success: Type.String(),
  error_code: Type.String(),
  error_message: Type.String(),
});

export function alohubCodeOf(code: ErrorCode): AlohubCode {
  switch (code) {
    case 'INVALID_INPUT':
      return 'INVALID_INPUT';
    case 'UNAUTHORIZED':
      return 'UNAUTHORIZED';
    case 'FORBIDDEN':
      return 'FORBIDDEN';
    case 'INSUFFICIENT_SCOPE':
      return 'INSUFFICIENT_SCOPE';
    case 'NOT_FOUND':
      return 'NOT_FOUND';
    case 'CONFLICT':
    case 'LIMIT_EXCEEDED':
      return 'CONFLICT';
    case 'RATE_LIMITED':
      return 'RATE_LIMIT_EXCEEDED';
    case 'UNAVAILABLE':
    case 'INTERNAL':
      return 'FAIL';
  }
}

function fail(reply: FastifyReply, status: number, code: AlohubCode, message: string) {
  return reply.code(status).send({ success: '0', error_code: code, error_message: message });
}

/** Where a validation failure was, in the words an integrator reads in the seed (query, path, body). */
function describe(err: FastifyErrorLike): string {
  return describeValidation(err)
    .replace(/^querystring/, 'query')
    .replace(/^params/, 'path');
}

/** Every failure of this family, whatever raised it, leaves as the AloHub envelope with `success: "0"`. */
export function installAlohubErrors(api: FastifyInstance): void {
  api.setErrorHandler((err: FastifyErrorLike, req, reply) => {
    if (isDomainError(err)) {
      const retry = err.details?.retryAfterSec;
      if (typeof retry === 'number') reply.header('Retry-After', String(retry));
      return fail(reply, codeToStatus[err.code], alohubCodeOf(err.code), err.message);
    }
    if (err.validation) return fail(reply, 400, 'INVALID_INPUT', describe(err));
    const status = err.statusCode ?? 500;
    // Fastify's own client errors (malformed JSON, empty body, wrong content type, too large) are all bad input.
    if (status < 500) return fail(reply, 400, 'INVALID_INPUT', err.message);
    req.log.error({ err }, 'unhandled error');
    return fail(reply, 500, 'FAIL', 'internal error');
  });
  api.setNotFoundHandler((req, reply) =>
    fail(reply, 404, 'NOT_FOUND', `no route ${req.method} ${(req.url.split('?')[0] ?? '').slice(0, 200)}`),
  );
}
