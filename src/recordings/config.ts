/**
 * Where recordings are kept and how they are encoded, from the environment (read once by src/config.ts;
 * every name is documented in docs/recordings.md and docs/operations.md).
 */
import { FatalConfigError } from '../errors.js';

export interface S3Settings {
  bucket: string;
  /** An S3-compatible endpoint (MinIO, Ceph, Garage); unset: AWS S3 of `region`. */
  endpoint: string | undefined;
  region: string;
  /** Static credentials; unset: the AWS SDK's default chain (environment, profile, instance role). */
  accessKeyId: string | undefined;
  secretAccessKey: string | undefined;
  /** `https://endpoint/bucket/key` instead of `https://bucket.endpoint/key` (MinIO, Ceph and Garage want it). */
  forcePathStyle: boolean;
  /** Prepended to every object key. */
  prefix: string;
  /** Signed links answer 302 to a presigned S3 URL instead of streaming through tongdai. */
  presignedRedirect: boolean;
}

export interface RecordingsConfig {
  storage: 'local' | 's3';
  s3: S3Settings | null;
  /** Worker threads encoding at once (RECORDINGS_ENCODE_THREADS, default 1). */
  encodeThreads: number;
}

function flag(name: string, raw: string | undefined, fallback: boolean): boolean {
  if (raw === undefined || raw === '') return fallback;
  const s = raw.toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(s)) return true;
  if (['0', 'false', 'no', 'off'].includes(s)) return false;
  throw new FatalConfigError(`${name} must be true or false, got "${raw}"`);
}

/** Validate the RECORDINGS_* variables; S3 is chosen with RECORDINGS_STORAGE=s3 and needs a bucket. */
export function recordingsConfigFromEnv(env: NodeJS.ProcessEnv): RecordingsConfig {
  const storage = (env.RECORDINGS_STORAGE ?? 'local').toLowerCase() || 'local';
  if (storage !== 'local' && storage !== 's3')
    throw new FatalConfigError(`RECORDINGS_STORAGE must be local or s3, got "${env.RECORDINGS_STORAGE}"`);
  const threadsRaw = env.RECORDINGS_ENCODE_THREADS ?? '1';
  const encodeThreads = Number(threadsRaw);
  if (!Number.isInteger(encodeThreads) || encodeThreads < 1 || encodeThreads > 64)
    throw new FatalConfigError(
      `RECORDINGS_ENCODE_THREADS must be an integer between 1 and 64, got "${threadsRaw}"`,
    );
  if (storage === 'local') return Object.freeze({ storage, s3: null, encodeThreads });
  const bucket = env.RECORDINGS_S3_BUCKET ?? '';
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket))
    throw new FatalConfigError(
      `RECORDINGS_S3_BUCKET must be an S3 bucket name (3-63 lowercase letters, digits, dots, hyphens), got "${bucket}"`,
    );
  const endpoint = env.RECORDINGS_S3_ENDPOINT || undefined;
  if (endpoint !== undefined) {
    let u: URL;
    try {
      u = new URL(endpoint);
    } catch {
      throw new FatalConfigError(`RECORDINGS_S3_ENDPOINT is not a valid URL: "${endpoint}"`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new FatalConfigError(
        `RECORDINGS_S3_ENDPOINT must start with http:// or https://, got "${endpoint}"`,
      );
  }
  const accessKeyId = env.RECORDINGS_S3_ACCESS_KEY_ID || undefined;
  const secretAccessKey = env.RECORDINGS_S3_SECRET_ACCESS_KEY || undefined;
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined))
    throw new FatalConfigError(
      'RECORDINGS_S3_ACCESS_KEY_ID and RECORDINGS_S3_SECRET_ACCESS_KEY must be set together',
    );
  const prefix = env.RECORDINGS_S3_PREFIX ?? 'recordings/';
  if (prefix.length > 200 || prefix.startsWith('/'))
    throw new FatalConfigError('RECORDINGS_S3_PREFIX must be at most 200 characters and not start with /');
  const s3: S3Settings = {
    bucket,
    endpoint,
    region: env.RECORDINGS_S3_REGION || 'us-east-1',
    accessKeyId,
    secretAccessKey,
    forcePathStyle: flag('RECORDINGS_S3_FORCE_PATH_STYLE', env.RECORDINGS_S3_FORCE_PATH_STYLE, false),
    prefix,
    presignedRedirect: flag('RECORDINGS_S3_PRESIGNED_REDIRECT', env.RECORDINGS_S3_PRESIGNED_REDIRECT, false),
  };
  return Object.freeze({ storage, s3: Object.freeze(s3), encodeThreads });
}
