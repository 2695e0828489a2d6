import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import { type ErrorCode, codeToStatus, isDomainError } from '../../errors.js';
import { type FastifyErrorLike, describeValidation } from '../guard.js';

/** OmiCall's success code: every successful answer carries `status_code: 9999`. */
export const SUCCESS = 9999 as const;
export const INSTANCE_ID = 'tongdai';
export const INSTANCE_VERSION = '0.1.0';

/** The success envelope around `payload`. */
export function ok<T>(payload: T) {
  return {
    status_code: SUCCESS,
    instance_id: INSTANCE_ID,
    instance_version: INSTANCE_VERSION,
    payload,
    key_enabled: false,
  };
}

/** TypeBox for the success envelope (payload described by the route). */
export function Envelope(payload: TSchema) {
  return Type.Object({
    status_code: Type.Literal(SUCCESS),
    instance_id: Type.String(),
    instance_version: Type.String(),
    payload,
    key_enabled: Type.Boolean(),
  });
}

// Error codes for failures the document does not name; documented ones (agent_exists, …) come from the
// domain error's reason unchanged.
const GENERIC: Record<ErrorCode, string> = {
  INVALID_INPUT: 'invalid_request',
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN: 'forbidden',
  INSUFFICIENT_SCOPE: 'forbidden',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  LIMIT_EXCEEDED: 'limit_exceeded',
  RATE_LIMITED: 'rate_limited',
  UNAVAILABLE: 'unavailable',
  INTERNAL: 'internal_error',
};

/** The error envelope: the success shape with the HTTP status as `status_code`, the code in `message`. */
export function errorBody(status: number, code: string, description: string) {
  return {
    status_code: status,
    instance_id: INSTANCE_ID,
    instance_version: INSTANCE_VERSION,
    message: code,
    error_description: description,
    payload: null,
    key_enabled: false,
  };
}

export function installOmicallErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyErrorLike, req, reply) => {
    if (isDomainError(err)) {
      const retry = err.details?.retryAfterSec;
      if (typeof retry === 'number') reply.header('Retry-After', String(retry));
      const status = codeToStatus[err.code];
      return reply.code(status).send(errorBody(status, err.reason ?? GENERIC[err.code], err.message));
    }
    if (err.validation)
      return reply.code(400).send(errorBody(400, 'invalid_request', describeValidation(err)));
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.code(status).send(errorBody(status, 'invalid_request', err.message));
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send(errorBody(500, 'internal_error', 'internal error'));
  });
}
