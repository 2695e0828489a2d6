import type { FastifyInstance } from 'fastify';
import { type FamilyEnvelope, installFamilyErrors } from '../family-errors.js';

/**
 * The native API's error envelope: `{"error": {"code", "message"}}`; the code is the ErrorCode itself. An invalid
 * IVR flow adds `path`, the JSON pointer of the first problem.
 */
export const nativeEnvelope: FamilyEnvelope = {
  body: (f) => ({
    error: { code: f.code, message: f.message, ...(f.path !== undefined ? { path: f.path } : {}) },
  }),
};

export function installNativeErrors(app: FastifyInstance): void {
  installFamilyErrors(app, nativeEnvelope);
}
