import type { FastifyInstance } from 'fastify';
import { type FamilyEnvelope, installFamilyErrors } from '../family-errors.js';
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
export const ccaiEnvelope: FamilyEnvelope = {
  body: (f) => ({ message: f.message }),
  describe: describeCcaiValidation,
  headers: (f, reply) => {
    if (f.code === 'UNAUTHORIZED') reply.header('WWW-Authenticate', 'Basic realm="tongdai"');
  },
};

export function installCcaiErrors(app: FastifyInstance): void {
  installFamilyErrors(app, ccaiEnvelope);
}
