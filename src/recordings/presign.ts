/**
 * AWS Signature V4 query-string presigning of a GET (what @aws-sdk/s3-request-presigner does, in 40 lines
 * and no extra dependency): the URL carries the credential scope, expiry and signature, so a browser fetches
 * the object from the storage service directly until it expires.
 */
import { createHash, createHmac } from 'node:crypto';

export interface PresignInput {
  /** The object's URL (virtual-hosted or path style), without a query. */
  url: URL;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string | undefined;
  expiresSec: number;
  now: number;
}

const rfc3986 = (s: string) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

const hmac = (key: Buffer | string, data: string) => createHmac('sha256', key).update(data).digest();

export function presignGet(p: PresignInput): string {
  const stamp = new Date(p.now).toISOString().replace(/[-:]|\.\d{3}/g, '');
  const day = stamp.slice(0, 8);
  const scope = `${day}/${p.region}/s3/aws4_request`;
  const params: [string, string][] = [
    ['X-Amz-Algorithm', 'AWS4-HMAC-SHA256'],
    ['X-Amz-Credential', `${p.accessKeyId}/${scope}`],
    ['X-Amz-Date', stamp],
    ['X-Amz-Expires', String(p.expiresSec)],
    ['X-Amz-SignedHeaders', 'host'],
  ];
  if (p.sessionToken) params.push(['X-Amz-Security-Token', p.sessionToken]);
  const query = params
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const path = p.url.pathname
    .split('/')
    .map((seg) => rfc3986(decodeURIComponent(seg)))
    .join('/');
  const canonical = ['GET', path, query, `host:${p.url.host}`, '', 'host', 'UNSIGNED-PAYLOAD'].join('\n');
  const toSign = [
    'AWS4-HMAC-SHA256',
    stamp,
    scope,
    createHash('sha256').update(canonical).digest('hex'),
  ].join('\n');
  const key = hmac(hmac(hmac(hmac(`AWS4${p.secretAccessKey}`, day), p.region), 's3'), 'aws4_request');
  const signature = createHmac('sha256', key).update(toSign).digest('hex');
  return `${p.url.origin}${path}?${query}&X-Amz-Signature=${signature}`;
}
