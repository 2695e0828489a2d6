import { createHmac } from 'node:crypto';

/**
 * Short-lived SIP credentials for the console's browser phone (docs/webrtc.md). The browser never types or stores
 * a SIP password: the console, for a signed-in agent, hands out a digest username `<extension>~<expiry>` and a
 * password that is an HMAC of the tenant, the agent and the expiry under a key derived from the secret key. The
 * registrar recomputes the password from the username alone, so nothing is stored, every node verifies, and a
 * credential is worthless once expired, for another agent, or in another tenant.
 */
export const WEB_CREDENTIALS_TTL_MS = 3_600_000;

export function webCredentialsKey(secretKey: Buffer): Buffer {
  return createHmac('sha256', secretKey).update('tongdai webrtc sip credentials').digest();
}

export function webPassword(key: Buffer, tenantId: number, agentId: number, expiresAt: number): string {
  return createHmac('sha256', key)
    .update(`${tenantId}|${agentId}|${expiresAt}`)
    .digest('base64url')
    .slice(0, 32);
}

export interface WebCredentials {
  username: string;
  password: string;
  expiresAt: number;
}

export function issueWebCredentials(
  key: Buffer,
  who: { tenantId: number; agentId: number; extension: string },
  now: number,
  ttlMs = WEB_CREDENTIALS_TTL_MS,
): WebCredentials {
  // Whole seconds: the username carries the expiry in base 36.
  const expiresAt = Math.floor((now + ttlMs) / 1000) * 1000;
  return {
    username: `${who.extension}~${(expiresAt / 1000).toString(36)}`,
    password: webPassword(key, who.tenantId, who.agentId, expiresAt),
    expiresAt,
  };
}

/** The expiry a web username names for `extension`, or null when it is not one of ours. */
export function webUsernameExpiry(username: string, extension: string): number | null {
  const prefix = `${extension}~`;
  if (!username.startsWith(prefix)) return null;
  const tail = username.slice(prefix.length);
  if (!/^[0-9a-z]{1,10}$/.test(tail)) return null;
  return parseInt(tail, 36) * 1000;
}
