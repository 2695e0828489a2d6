import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { type ErrorCode, type Reason, codeToStatus, isDomainError } from '../errors.js';
import { isStoreUnavailable } from '../store/unavailable.js';
import { type FastifyErrorLike, describeValidation } from './guard.js';

/** One failure, already classified: what every family envelope turns into its own body. */
export interface Failure {
  status: number;
  code: ErrorCode;
  reason?: Reason | undefined;
  message: string;
  /** The JSON pointer of the invalid value, when the domain named one (an invalid IVR flow). */
  path?: string;
}

/** How one API family writes its failures: the one thing that differs between the five error handlers. */
export interface FamilyEnvelope {
  /** The family's error body for `f`. */
  body(f: Failure): unknown;
  /** The message for a schema validation failure, in the family's field names (default: describeValidation). */
  describe?(err: FastifyErrorLike): string;
  /** Extra headers a failure carries in this family (e.g. CCAI's WWW-Authenticate on 401). */
  headers?(f: Failure, reply: FastifyReply): void;
  /** AloHub answers every client-side failure with 400; the others keep Fastify's status (413, 415…). */
  clientErrorsAre400?: boolean;
}

/** Turn anything a route, hook or Fastify itself raised into a classified failure. */
export function classify(err: FastifyErrorLike, env: FamilyEnvelope): Failure {
  if (isDomainError(err)) {
    const path = typeof err.details?.path === 'string' ? { path: err.details.path } : {};
    return {
      status: codeToStatus[err.code],
      code: err.code,
      reason: err.reason,
      message: err.message,
      ...path,
    };
  }
  if (err.validation) {
    const message = (env.describe ?? describeValidation)(err);
    const path = validationPointer(err);
    return { status: 400, code: 'INVALID_INPUT', message, ...(path !== undefined ? { path } : {}) };
  }
  const status = err.statusCode ?? 500;
  if (status < 500) {
    const code: ErrorCode = status === 401 ? 'UNAUTHORIZED' : status === 404 ? 'NOT_FOUND' : 'INVALID_INPUT';
    return { status: env.clientErrorsAre400 && status !== 404 ? 400 : status, code, message: err.message };
  }
  if (isStoreUnavailable(err)) {
    return { status: 503, code: 'UNAVAILABLE', message: 'storage unavailable, retry shortly' };
  }
  return { status: 500, code: 'INTERNAL', message: 'internal error' };
}

/** The JSON pointer of the first invalid body field (`/skills/0/proficiency`), for envelopes that show one. */
function validationPointer(err: FastifyErrorLike): string | undefined {
  const v = err.validation?.[0];
  if (!v || (err.validationContext ?? 'body') !== 'body') return undefined;
  const params = v.params ?? {};
  const named = params.missingProperty ?? params.additionalProperty;
  return (v.instancePath ?? '') + (typeof named === 'string' ? `/${named}` : '');
}

/** Seconds a client should wait before retrying a storage outage's 503. */
const STORE_RETRY_SEC = 1;

/** Send `f` in the family's shape, with the headers every family sets (Retry-After on 429). */
export function sendFailure(reply: FastifyReply, env: FamilyEnvelope, f: Failure, retryAfterSec?: unknown) {
  if (typeof retryAfterSec === 'number') reply.header('Retry-After', String(retryAfterSec));
  env.headers?.(f, reply);
  return reply.code(f.status).send(env.body(f));
}

/** The one error handler skeleton: every failure in the family, whatever raised it, leaves in its envelope. */
export function installFamilyErrors(app: FastifyInstance, env: FamilyEnvelope): void {
  app.setErrorHandler((err: FastifyErrorLike, req, reply) => {
    const f = classify(err, env);
    if (f.code === 'UNAVAILABLE' && !isDomainError(err)) {
      req.log.warn({ err: err.message }, 'storage unavailable');
      return sendFailure(reply, env, f, STORE_RETRY_SEC);
    }
    if (f.status >= 500) req.log.error({ err }, 'unhandled error');
    return sendFailure(reply, env, f, isDomainError(err) ? err.details?.retryAfterSec : undefined);
  });
}

/** A path prefix a family owns: unknown routes, bad URLs and oversized requests under it answer in its shape. */
export interface FamilyPrefix {
  prefix: string;
  envelope: FamilyEnvelope;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The prefixes families claimed, longest first (see claimPrefix). */
    familyPrefixes: FamilyPrefix[];
  }
}

/** Claim `prefix` (a whole path segment or more) for a family's error shape. */
export function claimPrefix(app: FastifyInstance, prefix: string, envelope: FamilyEnvelope): void {
  app.familyPrefixes.push({ prefix, envelope });
  app.familyPrefixes.sort((a, b) => b.prefix.length - a.prefix.length);
}

/** The family whose prefix `url` falls under (segment-wise: `/api/agent` owns `/api/agent/x`, not `/api/agents`). */
export function envelopeFor(prefixes: FamilyPrefix[], url: string): FamilyEnvelope | undefined {
  const path = url.split('?')[0] ?? '';
  for (const { prefix, envelope } of prefixes) {
    if (path === prefix || path.startsWith(prefix + '/')) return envelope;
  }
  return undefined;
}

/** Clip what a client sent before it goes into a message: no control characters, bounded length. */
export function clip(text: string, max = 200): string {
  const clean = text.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > max ? clean.slice(0, max) + '…' : clean;
}

/** The answer for a request no route matched, in the shape of the family that owns the path. */
export function notFoundFailure(req: FastifyRequest): Failure {
  const path = clip(req.url.split('?')[0] ?? '');
  return { status: 404, code: 'NOT_FOUND', message: `no route ${clip(req.method, 20)} ${path}` };
}
