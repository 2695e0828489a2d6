import { createHmac, hkdfSync } from 'node:crypto';
import { isAbsolute, resolve } from 'node:path';
import type { Clock } from '../clock.js';
import { notFound } from '../errors.js';
import type { Executor } from '../store/db.js';
import type { Recording } from '../store/schema.js';
import { loadSecretKey, safeEqual } from './secrets.js';

/** How long a signed recording URL stays valid unless the caller asks otherwise. */
export const RECORDING_LINK_TTL_MS = 10 * 60_000;

export interface SignedLink {
  tenantId: number;
  name: string;
  /** Unix seconds after which the link is refused. */
  expires: number;
  signature: string;
}

export type LinkCheck = 'ok' | 'expired' | 'invalid';

/**
 * Short-lived, tenant-bound links to recordings (S3 presigned-URL style). The HMAC key is derived from the
 * instance's master secret, so links survive restarts and every node sharing the secret accepts them.
 */
export class RecordingLinks {
  private readonly key: Buffer;
  constructor(
    masterKey: Buffer,
    private readonly clock: Clock,
    private readonly ttlMs = RECORDING_LINK_TTL_MS,
  ) {
    this.key = Buffer.from(hkdfSync('sha256', masterKey, Buffer.alloc(0), 'tongdai recording links v1', 32));
  }

  private mac(tenantId: number, name: string, expires: number): string {
    return createHmac('sha256', this.key).update(`${tenantId}\n${name}\n${expires}`).digest('base64url');
  }

  sign(tenantId: number, name: string): SignedLink {
    const expires = Math.floor((this.clock.now() + this.ttlMs) / 1000);
    return { tenantId, name, expires, signature: this.mac(tenantId, name, expires) };
  }

  /** Signature first (constant time), then expiry: a tampered link never learns whether it expired. */
  check(tenantId: number, name: string, expires: number, signature: string): LinkCheck {
    if (!Number.isSafeInteger(tenantId) || !Number.isSafeInteger(expires)) return 'invalid';
    if (!safeEqual(this.mac(tenantId, name, expires), signature)) return 'invalid';
    return expires * 1000 < this.clock.now() ? 'expired' : 'ok';
  }
}

/** A recording's signed link as the native API shows it: `/recordings/{name}?tenant&expires&signature`. */
export function signedRecordingLink(
  links: RecordingLinks,
  tenantId: number,
  name: string,
): { name: string; url: string; expires: number } {
  const l = links.sign(tenantId, name);
  const qs = new URLSearchParams({
    tenant: String(l.tenantId),
    expires: String(l.expires),
    signature: l.signature,
  });
  return { name, url: `/recordings/${encodeURIComponent(name)}?${qs}`, expires: l.expires };
}

/** The tenant's live recording with this file name; another tenant's recording is "not found". */
export async function findRecording(db: Executor, tenantId: number, name: string): Promise<Recording> {
  const r = await db
    .selectFrom('recordings')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name', '=', name)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!r) throw notFound(`recording ${name}`);
  return r;
}

/** Where a recording's file lives: paths the media engine stores relative are under the data directory. */
export function recordingFilePath(dataDir: string, rec: Pick<Recording, 'path'>): string {
  return isAbsolute(rec.path) ? rec.path : resolve(dataDir, rec.path);
}

/** Register a recording file for a call (the media engine's writer and tests use it). */
export async function insertRecording(
  db: Executor,
  tenantId: number,
  r: { callId: string; name: string; path: string; sizeBytes: number; durationMs: number; at: number },
): Promise<Recording> {
  return db
    .insertInto('recordings')
    .values({
      tenant_id: tenantId,
      call_id: r.callId,
      name: r.name,
      path: r.path,
      size_bytes: r.sizeBytes,
      duration_ms: r.durationMs,
      created_at: r.at,
      completed_at: r.at,
      deleted_at: null,
      format: r.name.toLowerCase().endsWith('.mp3') ? 'mp3' : 'wav',
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** The instance's link signer: keyed from the same master secret that seals credentials. */
export function recordingLinksFor(config: { secretKey: string | undefined; dataDir: string }, clock: Clock) {
  return new RecordingLinks(loadSecretKey(config.secretKey, config.dataDir), clock);
}
