import type { Clock } from '../clock.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Db, Executor } from '../store/db.js';
import { postJson } from './http-client.js';
import { type EnqueueOptions, enqueue } from './outbox.js';
import { getWebhookSecret } from './secrets.js';
import { signatureHeaders } from './signing.js';
import { type JobHandler, PermanentJobError } from './worker.js';

/** The outbox kind of one signed webhook POST. */
export const WEBHOOK_DELIVERY = 'webhook.deliver';

export interface WebhookDelivery {
  /** The Standard Webhooks message id: the same on every attempt, so receivers can drop duplicates. */
  messageId: string;
  url: string;
  /** Caller-chosen extra headers (never overriding the signature or content headers). */
  headers: Record<string, string>;
  /** The exact JSON text sent and signed. */
  body: string;
  /** Sign with this `webhook_endpoints` row's secret instead of the tenant's webhook secret. */
  endpointId?: number;
}

/** Headers a caller may not set: the signature, framing and hop-by-hop headers belong to tongdai. */
export const RESERVED_HEADERS = new Set([
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
  'content-length',
  'transfer-encoding',
  'host',
  'connection',
  'expect',
  'upgrade',
  'te',
  'trailer',
  'keep-alive',
  'proxy-authorization',
]);

/** Queue a signed webhook in the caller's transaction. */
export function enqueueWebhook(
  tx: Executor,
  clock: Clock,
  tenantId: number,
  delivery: WebhookDelivery,
  opts: EnqueueOptions = {},
): Promise<number> {
  return enqueue(tx, clock, tenantId, WEBHOOK_DELIVERY, delivery, opts);
}

export interface DeliveryDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  allowPrivate: boolean;
  timeoutMs?: number;
}

async function signingSecret(
  d: DeliveryDeps,
  tenantId: number,
  endpointId: number | undefined,
): Promise<string> {
  if (endpointId === undefined) return getWebhookSecret(d.db, d.clock, d.box, tenantId);
  const ep = await d.db
    .selectFrom('webhook_endpoints')
    .select('secret_enc')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', endpointId)
    .executeTakeFirst();
  if (!ep) throw new PermanentJobError(`webhook endpoint ${endpointId} no longer exists`);
  return d.box.open(ep.secret_enc);
}

/** The handler of `webhook.deliver`: sign, POST, record the attempt; any non-2xx answer is retried. */
export function webhookDeliveryHandler(d: DeliveryDeps): JobHandler {
  return async (job, jc) => {
    const p = job.payload as WebhookDelivery | null;
    // A payload no retry can fix fails at once instead of spending the retry budget.
    if (!p || typeof p.url !== 'string' || typeof p.body !== 'string' || typeof p.messageId !== 'string') {
      throw new PermanentJobError('malformed webhook job payload');
    }
    const secret = await signingSecret(d, job.tenantId, p.endpointId);
    const ts = Math.floor(d.clock.now() / 1000);
    const headers = { ...p.headers, ...signatureHeaders(secret, p.messageId, ts, p.body) };
    const res = await postJson(
      p.url,
      headers,
      p.body,
      { allowPrivate: d.allowPrivate, timeoutMs: d.timeoutMs ?? 10_000, signal: jc.signal },
      () => Date.now(),
    );
    const ok = res.status !== null && res.status >= 200 && res.status < 300;
    const error = ok ? null : (res.error ?? `receiver answered HTTP ${res.status}`);
    await d.db
      .insertInto('delivery_attempts')
      .values({
        tenant_id: job.tenantId,
        outbox_id: job.id,
        attempt: job.attempt,
        status_code: res.status,
        error,
        duration_ms: res.durationMs,
        created_at: d.clock.now(),
      })
      .execute();
    if (!ok) throw new Error(error ?? 'delivery failed');
  };
}
