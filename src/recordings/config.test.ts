import assert from 'node:assert/strict';
import { test } from 'node:test';
import { recordingsConfigFromEnv } from './config.js';

test('local storage by default; S3 needs a bucket and validates every variable with a precise message', () => {
  assert.deepEqual(recordingsConfigFromEnv({}), { storage: 'local', s3: null, encodeThreads: 1 });
  const s3 = recordingsConfigFromEnv({
    RECORDINGS_STORAGE: 's3',
    RECORDINGS_S3_BUCKET: 'calls.example',
    RECORDINGS_S3_ENDPOINT: 'http://minio:9000',
    RECORDINGS_S3_FORCE_PATH_STYLE: 'true',
    RECORDINGS_S3_ACCESS_KEY_ID: 'k',
    RECORDINGS_S3_SECRET_ACCESS_KEY: 's',
    RECORDINGS_ENCODE_THREADS: '2',
  });
  assert.equal(s3.storage, 's3');
  assert.equal(s3.encodeThreads, 2);
  assert.deepEqual(s3.s3, {
    bucket: 'calls.example',
    endpoint: 'http://minio:9000',
    region: 'us-east-1',
    accessKeyId: 'k',
    secretAccessKey: 's',
    forcePathStyle: true,
    prefix: 'recordings/',
    presignedRedirect: false,
  });
  const bad: [Record<string, string>, RegExp][] = [
    [{ RECORDINGS_STORAGE: 'ftp' }, /RECORDINGS_STORAGE must be local or s3, got "ftp"/],
    [{ RECORDINGS_STORAGE: 's3' }, /RECORDINGS_S3_BUCKET must be an S3 bucket name/],
    [{ RECORDINGS_STORAGE: 's3', RECORDINGS_S3_BUCKET: 'Bad_Bucket' }, /got "Bad_Bucket"/],
    [
      { RECORDINGS_STORAGE: 's3', RECORDINGS_S3_BUCKET: 'b-1', RECORDINGS_S3_ENDPOINT: 'minio:9000' },
      /RECORDINGS_S3_ENDPOINT must start with http:\/\/ or https:\/\//,
    ],
    [
      { RECORDINGS_STORAGE: 's3', RECORDINGS_S3_BUCKET: 'b-1', RECORDINGS_S3_ACCESS_KEY_ID: 'k' },
      /must be set together/,
    ],
    [
      { RECORDINGS_STORAGE: 's3', RECORDINGS_S3_BUCKET: 'b-1', RECORDINGS_S3_FORCE_PATH_STYLE: 'maybe' },
      /RECORDINGS_S3_FORCE_PATH_STYLE must be true or false/,
    ],
    [{ RECORDINGS_ENCODE_THREADS: '0' }, /RECORDINGS_ENCODE_THREADS must be an integer between 1 and 64/],
  ];
  for (const [env, msg] of bad) assert.throws(() => recordingsConfigFromEnv(env), msg);
});
