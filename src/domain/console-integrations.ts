import { randomUUID } from 'node:crypto';
import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import { type Db, type Executor, inTransaction } from '../store/db.js';
import { WEBHOOK_DELIVERY, enqueueWebhook } from '../webhooks/deliver.js';
import { generateWebhookSecret } from '../webhooks/signing.js';
import { assertDeliverableUrl } from '../webhooks/ssrf.js';
import type { SecretBox } from './secrets.js';

// ---- credentials: lists and revocation by id, always within the tenant -----------------------------------

/** The tenant's API keys, app credentials and bearer tokens, without any secret (those are shown once). */
export async function listCredentials(db: Executor, tenantId: number, now: number) {
  const [keys, apps, tokens] = await Promise.all([
    db
      .selectFrom('api_keys')
      .select(['id', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy('id', 'desc')
      .execute(),
    db
      .selectFrom('app_credentials')
      .select(['id', 'app_id', 'created_at', 'revoked_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy('id', 'desc')
      .execute(),
    db
      .selectFrom('access_tokens')
      .select(['id', 'kind', 'created_at', 'expires_at', 'revoked_at'])
      .where('tenant_id', '=', tenantId)
      .where('kind', '=', 'bearer')
      // Expired tokens more than a day old are history nobody needs on this screen.
      .where('expires_at', '>', now - 86_400_000)
      .orderBy('id', 'desc')
      .limit(200)
      .execute(),
  ]);
  return { keys, apps, tokens };
}

type Revocable = 'api_keys' | 'app_credentials' | 'access_tokens';

/** Revoke one credential of the tenant by id; another tenant's id (or an unknown one) is NOT_FOUND. */
export async function revokeCredential(db: Db, clock: Clock, tenantId: number, table: Revocable, id: number) {
  await inTransaction(db, async (tx) => {
    const row = await tx
      .selectFrom(table)
      .select(['id', 'revoked_at'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!row) throw notFound(`credential ${id}`);
    if (row.revoked_at !== null) return;
    const now = clock.now();
    await tx.updateTable(table).set({ revoked_at: now }).where('id', '=', id).execute();
    // An app's websocket tokens go with it.
    if (table === 'app_credentials')
      await tx
        .updateTable('access_tokens')
        .set({ revoked_at: now })
        .where('tenant_id', '=', tenantId)
        .where('app_credential_id', '=', id)
        .where('revoked_at', 'is', null)
        .execute();
  });
}

// ---- webhook endpoints ----------------------------------------------------------------------------------

const EVENT_RE = /^(\*|[a-z]+(\.[a-z_]+)*(\.\*)?)$/;

export async function listWebhookEndpoints(db: Executor, tenantId: number) {
  const rows = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'url', 'events', 'active', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  return rows.map((r) => ({ ...r, events: r.events.split(',') }));
}

/** Add an endpoint with its own signing secret (returned once). The URL must be deliverable (SSRF guard). */
export async function createWebhookEndpoint(
  db: Db,
  clock: Clock,
  box: SecretBox,
  tenantId: number,
  input: { url: string; events: string[] },
  allowPrivate: boolean,
): Promise<{ id: number; secret: string }> {
  if (input.url.length > 2000)
    throw invalid('the URL must be at most 2000 characters', 'callback_url_invalid');
  await assertDeliverableUrl(input.url, allowPrivate);
  const events = input.events.map((e) => e.trim()).filter(Boolean);
  if (events.length === 0) throw invalid('choose at least one event (or "*")');
  const bad = events.find((e) => !EVENT_RE.test(e));
  if (bad) throw invalid(`"${bad}" is not an event type (e.g. call.ended, call.*, *)`);
  const secret = generateWebhookSecret();
  const row = await db
    .insertInto('webhook_endpoints')
    .values({
      tenant_id: tenantId,
      url: input.url,
      secret_enc: box.seal(secret),
      events: events.join(','),
      created_at: clock.now(),
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { id: row.id, secret };
}

export async function deleteWebhookEndpoint(db: Db, tenantId: number, id: number): Promise<void> {
  const r = await db
    .deleteFrom('webhook_endpoints')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (Number(r.numDeletedRows) === 0) throw notFound(`webhook endpoint ${id}`);
}

async function requireEndpoint(db: Executor, tenantId: number, id: number) {
  const ep = await db
    .selectFrom('webhook_endpoints')
    .select(['id', 'url'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!ep) throw notFound(`webhook endpoint ${id}`);
  return ep;
}

/** Queue a signed `ping` to the endpoint (the outbox delivers it like any webhook, with retries). */
export async function pingWebhookEndpoint(db: Db, clock: Clock, tenantId: number, id: number) {
  return inTransaction(db, async (tx) => {
    const ep = await requireEndpoint(tx, tenantId, id);
    const messageId = `msg_${randomUUID()}`;
    const body = JSON.stringify({ type: 'ping', tenant_id: tenantId, endpoint_id: id, at: clock.now() });
    const jobId = await enqueueWebhook(tx, clock, tenantId, {
      messageId,
      url: ep.url,
      headers: {},
      body,
      endpointId: id,
    });
    return { messageId, jobId };
  });
}

/** The endpoint's recent deliveries (newest first): each message's state and its attempts. */
export async function recentDeliveries(db: Executor, tenantId: number, id: number, limit = 20) {
  await requireEndpoint(db, tenantId, id);
  // The payload is JSON text on both dialects: filter in SQL by kind and tenant, by endpoint here.
  const jobs = await db
    .selectFrom('outbox')
    .select(['id', 'payload', 'status', 'attempts', 'last_error', 'created_at', 'updated_at'])
    .where('tenant_id', '=', tenantId)
    .where('kind', '=', WEBHOOK_DELIVERY)
    .orderBy('id', 'desc')
    .limit(500)
    .execute();
  const mine = jobs
    .map((j) => ({
      j,
      p: JSON.parse(j.payload) as { endpointId?: number; messageId?: string; body?: string },
    }))
    .filter((x) => x.p.endpointId === id)
    .slice(0, limit);
  const ids = mine.map((x) => x.j.id);
  const attempts = ids.length
    ? await db
        .selectFrom('delivery_attempts')
        .select(['outbox_id', 'attempt', 'status_code', 'error', 'duration_ms', 'created_at'])
        .where('tenant_id', '=', tenantId)
        .where('outbox_id', 'in', ids)
        .orderBy('id')
        .execute()
    : [];
  return mine.map(({ j, p }) => {
    let type = '';
    try {
      type = String((JSON.parse(p.body ?? '{}') as { type?: unknown }).type ?? '');
    } catch {
      // an unreadable body still lists
    }
    return {
      id: j.id,
      messageId: p.messageId ?? null,
      type,
      status: j.status,
      attempts: attempts
        .filter((a) => a.outbox_id === j.id)
        .map((a) => ({
          attempt: a.attempt,
          statusCode: a.status_code,
          error: a.error,
          durationMs: a.duration_ms,
          at: a.created_at,
        })),
      lastError: j.last_error,
      createdAt: j.created_at,
    };
  });
}
