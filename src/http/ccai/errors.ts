import type { FastifyInstance } from 'fastify';
import { codeToStatus, isDomainError } from '../../errors.js';
import type { FastifyErrorLike } from '../guard.js';

/** `agent_ids/1` → `agent_ids[1]`: the way the CCAI document names fields. */
function fieldPath(instancePath: string | undefined): string {
  return (instancePath ?? '')
    .split('/')
    .filter(Boolean)
    .map((seg, i) => (/^\d+$/.test(seg) ? `[${seg}]` : i === 0 ? seg : `.${seg}`))
    .join('');
}

/** A precise one-line message for a schema failure, in the CCAI document's field names. */
export function describeCcaiValidation(err: FastifyErrorLike): string {
  const v = err.validation?.[0];
  if (!v) return err.message;
  const where = err.validationContext === 'querystring' ? 'query parameter ' : '';
  const params = v.params ?? {};
  if (typeof params.missingProperty === 'string') return `"${params.missingProperty}" is required`;
  const path = fieldPath(v.instancePath);
  if (/_ids\[\d+\]$/.test(path)) return `${where}${path} must be a positive integer`;
  if (!path) return `request body ${v.message ?? 'is invalid'}`;
  return `${where}${path} ${v.message ?? 'is invalid'}`;
}

/** The CCAI error envelope: `{"message": "..."}` with the HTTP status carrying the kind. */
export function installCcaiErrors(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyErrorLike, req, reply) => {
    if (isDomainError(err)) {
      const retry = err.details?.retryAfterSec;
      if (typeof retry === 'number') reply.header('Retry-After', String(retry));
      if (err.code === 'UNAUTHORIZED') reply.header('WWW-Authenticate', 'Basic realm="tongdai"');
      return reply.code(codeToStatus[err.code]).send({ message: err.message });
    }
    if (err.validation) return reply.code(400).send({ message: describeCcaiValidation(err) });
    const status = err.statusCode ?? 500;
    if (status < 500) return reply.code(status).send({ message: err.message });
    req.log.error({ err }, 'unhandled error');
    return reply.code(500).send({ message: 'internal error' });
  });
}
