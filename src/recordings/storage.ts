/**
 * The object-storage backend for recordings (AWS S3, MinIO, Ceph, Garage) over @aws-sdk/client-s3. The data
 * directory backend needs no class: a local recording is the file at its row's `path`. Every method throws
 * `StorageError` with what the service said, so the pipeline can log one clear line and retry.
 */
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { S3Settings } from './config.js';
import { presignGet } from './presign.js';

export class StorageError extends Error {
  override name = 'StorageError';
  constructor(
    message: string,
    /** The object does not exist (as opposed to the service being unreachable or refusing). */
    readonly missing = false,
  ) {
    super(message);
  }
}

export interface ObjectRead {
  body: Readable;
  /** Size of the whole object. */
  size: number;
}

function describe(e: unknown): { message: string; missing: boolean } {
  const err = e as {
    name?: string;
    message?: string;
    code?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = err.$metadata?.httpStatusCode;
  const missing = err.name === 'NoSuchKey' || err.name === 'NotFound' || status === 404;
  const what = [err.name, err.code, status ? `HTTP ${status}` : '', err.message]
    .filter((x) => x && x !== 'UnknownError')
    .join(': ');
  return { message: what || String(e), missing };
}

export class S3Storage {
  private readonly client: S3Client;

  constructor(readonly settings: S3Settings) {
    this.client = new S3Client({
      region: settings.region,
      ...(settings.endpoint ? { endpoint: settings.endpoint } : {}),
      forcePathStyle: settings.forcePathStyle,
      ...(settings.accessKeyId && settings.secretAccessKey
        ? { credentials: { accessKeyId: settings.accessKeyId, secretAccessKey: settings.secretAccessKey } }
        : {}),
      // Checksums only where the API requires them: the default streams uploads as aws-chunked bodies with a
      // trailing CRC, which several S3-compatible servers store verbatim (the size check above catches it).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      // The outbox retries with its own backoff; the SDK's own retries would only hide an outage for longer.
      maxAttempts: 2,
    });
  }

  /** The object key of a recording: the configured prefix, the tenant, the day and the file name. */
  keyFor(tenantId: number, day: string, name: string): string {
    return `${this.settings.prefix}${tenantId}/${day}/${name}`;
  }

  private async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      const d = describe(e);
      throw new StorageError(`object storage ${what} failed: ${d.message}`, d.missing);
    }
  }

  /** Upload a file, then check the stored size matches it. */
  async putFile(key: string, path: string, contentType: string, signal?: AbortSignal): Promise<number> {
    const size = (await stat(path)).size;
    await this.call(`upload of ${key}`, () =>
      this.client.send(
        new PutObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          Body: createReadStream(path),
          ContentLength: size,
          ContentType: contentType,
        }),
        signal ? { abortSignal: signal } : {},
      ),
    );
    const stored = await this.size(key);
    if (stored !== size)
      throw new StorageError(`object ${key} holds ${stored} bytes after uploading ${size}`);
    return size;
  }

  async size(key: string): Promise<number> {
    const head = await this.call(`lookup of ${key}`, () =>
      this.client.send(new HeadObjectCommand({ Bucket: this.settings.bucket, Key: key })),
    );
    return head.ContentLength ?? 0;
  }

  /** Read the object, or an inclusive byte range of it. */
  async read(key: string, range?: { start: number; end: number }): Promise<ObjectRead> {
    const out = await this.call(`download of ${key}`, () =>
      this.client.send(
        new GetObjectCommand({
          Bucket: this.settings.bucket,
          Key: key,
          ...(range ? { Range: `bytes=${range.start}-${range.end}` } : {}),
        }),
      ),
    );
    const total = /\/(\d+)$/.exec(out.ContentRange ?? '')?.[1];
    return { body: out.Body as Readable, size: total ? Number(total) : (out.ContentLength ?? 0) };
  }

  /** Delete the object; deleting one that is already gone succeeds. */
  async remove(key: string): Promise<void> {
    await this.call(`deletion of ${key}`, () =>
      this.client.send(new DeleteObjectCommand({ Bucket: this.settings.bucket, Key: key })),
    );
  }

  /** A presigned GET URL valid for `expiresSec` from `now`. */
  async presign(key: string, expiresSec: number, now: number): Promise<string> {
    const creds = await this.client.config.credentials();
    return presignGet({
      url: this.objectUrl(key),
      region: this.settings.region,
      accessKeyId: creds.accessKeyId,
      secretAccessKey: creds.secretAccessKey,
      sessionToken: creds.sessionToken,
      expiresSec: Math.max(1, Math.min(604_800, Math.round(expiresSec))),
      now,
    });
  }

  private objectUrl(key: string): URL {
    const s = this.settings;
    const base = new URL(s.endpoint ?? `https://s3.${s.region}.amazonaws.com`);
    const path = key.split('/').map(encodeURIComponent).join('/');
    if (s.forcePathStyle) return new URL(`${base.origin}/${s.bucket}/${path}`);
    return new URL(`${base.protocol}//${s.bucket}.${base.host}/${path}`);
  }

  close(): void {
    this.client.destroy();
  }
}
