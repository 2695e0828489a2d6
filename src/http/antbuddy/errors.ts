import type { FastifyInstance } from 'fastify';
import { type ErrorCode, codeToStatus, isDomainError } from '../../errors.js';
import { type FastifyErrorLike, describeValidation } from '../guard.js';

/** The AntBuddy family's error body: `{"message": "...", "code": "..."}` (codes in docs/api/antbuddy.md). */
export interface AntbuddyError {
  message: string;
  code: string;
}

const DEFAULT_CODES: Record<ErrorCode, string> = {
  INVALID_INPUT: 'invalid_input',
  UNAUTHORIZED: 'invalid_credentials',
  FORBIDDEN: 'forbidden',
  INSUFFICIENT_SCOPE: 'forbidden',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  LIMIT_EXCEEDED: 'limit_exceeded',
  RATE_LIMITED: 'rate_limited',
  UNAVAILABLE: 'unavailable',
  INTERNAL: 'internal',
};

// Domain reasons that are already AntBuddy codes; any other reason falls back to the error code's default.
const KNOWN_REASONS = new Set([
  'invalid_input',
  'missing_credentials',
  'invalid_credentials',
  'invalid_signature',
  'timestamp_out_of_window',
  'nonce_replayed',
  'domain_mismatch',
  'email_not_in_company',
  'invalid_sip_credentials',
  'device_not_registered',
  'click_to_call_unavailable',
  'destination_not_allowed',
  'no_trunk',
  'call_limit',
  'link_expired',
  'link_invalid',
  'range_not_satisfiable',
]);

/** Map every failure in the family to its one envelope; nothing leaks a stack trace. */
export function installAntbuddyErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyErrorLike, req, reply) => {
    if (isDomainError(err)) {
      const retry = err.details?.retryAfterSec;
      if (typeof retry === 'number') reply.header('Retry-After', String(retry));
      const code = err.reason && KNOWN_REASONS.has(err.reason) ? err.reason : DEFAULT_CODES[err.code];
      return reply.code(codeToStatus[err.code]).send({ message: err.message, code });
    }
    if (err.validation) {
      return reply.code(400).send({ message: describeValidation(err), code: 'invalid_input' });
    }
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ message: err.message, code: 'invalid_input' });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ message: 'internal error', code: 'internal' });
  });
}
