import type { FastifyInstance } from 'fastify';
import { type FastifyErrorLike, describeValidation } from '../guard.js';
import { codeToStatus, isDomainError } from '../../errors.js';

/** The native API's error envelope: `{"error": {"code", "message"}}`. */
export function installNativeErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyErrorLike, req, reply) => {
    if (isDomainError(err)) {
      const retry = err.details?.retryAfterSec;
      if (typeof retry === 'number') reply.header('Retry-After', String(retry));
      return reply.code(codeToStatus[err.code]).send({ error: { code: err.code, message: err.message } });
    }
    if (err.validation) {
      return reply.code(400).send({ error: { code: 'INVALID_INPUT', message: describeValidation(err) } });
    }
    const status = err.statusCode ?? 500;
    if (status < 500)
      return reply.code(status).send({ error: { code: 'INVALID_INPUT', message: err.message } });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ error: { code: 'INTERNAL', message: 'internal error' } });
  });
}
