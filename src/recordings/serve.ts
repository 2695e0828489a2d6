/**
 * Opening a recording for download, from wherever its row says it is: the local data directory (this node's,
 * or a shared one) or object storage, whole or by byte range; or, when configured, a presigned S3 URL to
 * redirect to. Recordings not stored yet answer "not ready" (the local MP3 of a pending upload is served by
 * the node that holds it).
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { DomainError } from '../errors.js';
import type { Recording } from '../store/schema.js';
import { localPath } from './files.js';
import { CONTENT_TYPES, isRecordingFormat } from './rows.js';
import type { S3Storage } from './storage.js';

export type ByteRange = { start: number; end: number };

export type Opened =
  | { kind: 'redirect'; url: string }
  | {
      kind: 'stream';
      size: number;
      contentType: string;
      /** The bytes, whole (no range) or the inclusive range. */
      open(range: ByteRange | null): Promise<Readable>;
    };

export function contentTypeOf(rec: Pick<Recording, 'format' | 'name'>): string {
  if (isRecordingFormat(rec.format) && rec.name.toLowerCase().endsWith(`.${rec.format}`))
    return CONTENT_TYPES[rec.format];
  const ext = /\.([a-z0-9]+)$/i.exec(rec.name)?.[1]?.toLowerCase();
  if (ext === 'mp3') return 'audio/mpeg';
  if (ext === 'wav') return 'audio/wav';
  if (ext === 'ogg') return 'audio/ogg';
  return 'application/octet-stream';
}

export async function openRecording(
  rec: Recording,
  d: { dataDir: string; s3: S3Storage | null; linkExpiresMs: number; now: number },
): Promise<Opened> {
  if (rec.state === 'failed')
    throw new DomainError(
      'NOT_FOUND',
      `recording ${rec.name} could not be kept: ${rec.state_detail ?? 'failed'}`,
    );
  if (rec.state === 'recording' || rec.state === 'encoding')
    throw new DomainError(
      'NOT_FOUND',
      `recording ${rec.name} is not ready yet (${rec.state}); try again shortly`,
    );
  const contentType = contentTypeOf(rec);
  if (rec.storage === 's3' && rec.storage_key) {
    const s3 = d.s3;
    const key = rec.storage_key;
    if (!s3)
      throw new DomainError(
        'UNAVAILABLE',
        `recording ${rec.name} is in object storage, which this node is not configured for`,
      );
    if (s3.settings.presignedRedirect) {
      const url = await s3.presign(key, Math.max(60, (d.linkExpiresMs - d.now) / 1000), d.now);
      return { kind: 'redirect', url };
    }
    const size = rec.size_bytes > 0 ? rec.size_bytes : await s3.size(key).catch(storageDown(rec));
    return {
      kind: 'stream',
      size,
      contentType,
      open: (range) =>
        s3
          .read(key, range ?? undefined)
          .then((r) => r.body)
          .catch(storageDown(rec)),
    };
  }
  const file = localPath(d.dataDir, rec.path);
  const size = await stat(file).then(
    (s) => s.size,
    () => {
      throw new DomainError(
        'NOT_FOUND',
        rec.state === 'pending'
          ? `recording ${rec.name} is waiting for upload on node ${rec.node_id ?? 'unknown'}; try again shortly`
          : `recording ${rec.name} has no file yet`,
      );
    },
  );
  return {
    kind: 'stream',
    size,
    contentType,
    open: (range) => Promise.resolve(createReadStream(file, range ?? {})),
  };
}

function storageDown(rec: Recording) {
  return (e: unknown): never => {
    throw new DomainError(
      'UNAVAILABLE',
      `recording ${rec.name} cannot be read from object storage right now: ${e instanceof Error ? e.message : String(e)}`,
    );
  };
}
