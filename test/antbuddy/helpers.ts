import { createHash, randomBytes } from 'node:crypto';

export const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** The documented header pair: sha256(appId + appSecret). */
export function appHeaders(appId: string, secret: string): Record<string, string> {
  return { 'x-auth-app-id': appId, 'x-auth-app-hash': sha256(appId + secret) };
}

export const nonce = () => randomBytes(9).toString('base64url');

/** A query string with `hash` = sha256(parts... + secret), plus any extra params. */
export function signedQuery(params: Record<string, string>, parts: string[], secret: string): string {
  return new URLSearchParams({ ...params, hash: sha256(parts.join('') + secret) }).toString();
}

export async function authToken(url: string, appId: string, secret: string): Promise<string> {
  const res = await fetch(`${url}/oapi/v1/voice/auth_token`, {
    method: 'POST',
    headers: { ...appHeaders(appId, secret), 'content-type': 'application/json' },
  });
  if (res.status !== 200) throw new Error(`auth_token: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { value: string }).value;
}
