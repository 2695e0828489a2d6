import { createHmac, randomBytes } from 'node:crypto';
import { safeEqual } from '../domain/secrets.js';

// Standard Webhooks (https://www.standardwebhooks.com): the signed content is `${id}.${timestamp}.${body}`,
// the key is the base64 part of a `whsec_` secret, the signature header is a space-separated list of `v1,<b64>`.

const SECRET_PREFIX = 'whsec_';
/** How far a receiver should let a webhook-timestamp drift before refusing it (replay protection). */
export const TIMESTAMP_TOLERANCE_SEC = 5 * 60;

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(24).toString('base64');
}

function keyOf(secret: string): Buffer {
  const raw = secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret;
  return Buffer.from(raw, 'base64');
}

/** `v1,<base64 HMAC-SHA256>` over `${id}.${timestampSec}.${body}`. */
export function sign(secret: string, id: string, timestampSec: number, body: string): string {
  const mac = createHmac('sha256', keyOf(secret)).update(`${id}.${timestampSec}.${body}`).digest('base64');
  return `v1,${mac}`;
}

/** The three Standard Webhooks headers for one delivery attempt. */
export function signatureHeaders(
  secret: string,
  id: string,
  timestampSec: number,
  body: string,
): Record<string, string> {
  return {
    'webhook-id': id,
    'webhook-timestamp': String(timestampSec),
    'webhook-signature': sign(secret, id, timestampSec, body),
  };
}

/**
 * What a receiver does: true when one of the `v1` signatures matches and the timestamp is within tolerance.
 * Exported for tests and for integrators' reference.
 */
export function verify(
  secret: string,
  headers: { id: string; timestamp: string; signature: string },
  body: string,
  nowSec: number,
): boolean {
  const ts = Number(headers.timestamp);
  if (!Number.isInteger(ts) || Math.abs(nowSec - ts) > TIMESTAMP_TOLERANCE_SEC) return false;
  const expected = sign(secret, headers.id, ts, body);
  return headers.signature.split(' ').some((s) => safeEqual(s, expected));
}
