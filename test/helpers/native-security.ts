/**
 * The native family's security-file checks, shared by the files that test a set of native routes (teams, roles
 * and packages; IVR flows): each route refused with the family's error shape and code for each credential given.
 */
import assert from 'node:assert/strict';
import type { TestServer } from './harness.js';

/** A route to attack: method, path and (for writes) a body that would otherwise be accepted. */
export type NativeRoute = [method: string, path: string, body?: unknown];

/** Call a route with an API key (undefined: none). */
export type AsKey = (
  key: string | undefined,
  method: string,
  path: string,
  body?: unknown,
) => Promise<{ status: number; body: any }>;

/** The native error envelope, `{"error": {"code", "message", …}}` and nothing beside it, with this code. */
export const isNativeError = (body: any, code: string) =>
  body !== null &&
  typeof body === 'object' &&
  Object.keys(body).join() === 'error' &&
  body.error.code === code &&
  typeof body.error.message === 'string';

/** Every route answers `status` with the native error `code`, for each of `keys`. */
export async function assertNativeRefusals(
  as: AsKey,
  routes: NativeRoute[],
  keys: (string | undefined)[],
  status: number,
  code: string,
): Promise<void> {
  for (const [method, path, body] of routes) {
    for (const key of keys) {
      const r = await as(key, method, path, body);
      assert.equal(
        r.status,
        status,
        `${method} ${path} with ${key ?? 'no key'}: ${r.status} ${JSON.stringify(r.body)}`,
      );
      assert.ok(isNativeError(r.body, code), `${method} ${path}: ${JSON.stringify(r.body)}`);
    }
  }
}

/** No key, a malformed one and a revoked one (made here, in the demo tenant): 401 UNAUTHORIZED on every route. */
export async function assertUnauthenticated(s: TestServer, as: AsKey, routes: NativeRoute[]): Promise<void> {
  const revoked = await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['admin'], 'to revoke');
  await s.t.ctx.credentials.revokeApiKey(revoked.key);
  await assertNativeRefusals(as, routes, [undefined, 'td_live_not-a-key', revoked.key], 401, 'UNAUTHORIZED');
}

/** A key of the demo tenant with only the `call` scope: 403 INSUFFICIENT_SCOPE on every route. */
export async function assertOutOfScope(s: TestServer, as: AsKey, routes: NativeRoute[]): Promise<void> {
  const callOnly = (await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, ['call'], 'call only')).key;
  await assertNativeRefusals(as, routes, [callOnly], 403, 'INSUFFICIENT_SCOPE');
}
