import type { FastifyInstance } from 'fastify';
import { type FamilyEnvelope, installFamilyErrors } from '../family-errors.js';

/** The native API's error envelope: `{"error": {"code", "message"}}`; the code is the ErrorCode itself. */
export const nativeEnvelope: FamilyEnvelope = {
  body: (f) => ({ error: { code: f.code, message: f.message } }),
};

export function installNativeErrors(app: FastifyInstance): void {
  installFamilyErrors(app, nativeEnvelope);
}
