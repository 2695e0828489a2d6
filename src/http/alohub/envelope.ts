import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import type { ErrorCode } from '../../errors.js';
import { type FamilyEnvelope, installFamilyErrors } from '../family-errors.js';
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

/** Where a validation failure was, in the words an integrator reads in the seed (query, path, body). */
function describe(err: FastifyErrorLike): string {
  return describeValidation(err)
    .replace(/^querystring/, 'query')
    .replace(/^params/, 'path');
}

/** Every failure of this family, whatever raised it, leaves as the AloHub envelope with `success: "0"`. */
export const alohubEnvelope: FamilyEnvelope = {
  body: (f) => ({ success: '0', error_code: alohubCodeOf(f.code), error_message: f.message }),
  describe,
  // Fastify's own client errors (malformed JSON, wrong content type, too large) are all bad input.
  clientErrorsAre400: true,
};

export function installAlohubErrors(api: FastifyInstance): void {
  installFamilyErrors(api, alohubEnvelope);
}
