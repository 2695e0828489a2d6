import type { Clock } from '../clock.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Executor } from '../store/db.js';
import { generateWebhookSecret } from './signing.js';

/**
 * The tenant's webhook signing secret, created on first use. Every webhook tongdai sends for the tenant
 * (call events, OmiCall transfer results) is signed with it; admins read it through the native API or CLI.
 */
export async function getWebhookSecret(
  db: Executor,
  clock: Clock,
  box: SecretBox,
  tenantId: number,
): Promise<string> {
  const row = await db
    .selectFrom('webhook_secrets')
    .select('secret_enc')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  if (row) return box.open(row.secret_enc);
  // Two first uses racing: the first insert wins and both read it back.
  await db
    .insertInto('webhook_secrets')
    .values({ tenant_id: tenantId, secret_enc: box.seal(generateWebhookSecret()), created_at: clock.now() })
    .onConflict((oc) => oc.column('tenant_id').doNothing())
    .execute();
  const created = await db
    .selectFrom('webhook_secrets')
    .select('secret_enc')
    .where('tenant_id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return box.open(created.secret_enc);
}

/** Replace the secret; deliveries after this are signed with the new one. */
export async function rotateWebhookSecret(
  db: Executor,
  clock: Clock,
  box: SecretBox,
  tenantId: number,
): Promise<string> {
  const secret = generateWebhookSecret();
  const sealed = box.seal(secret);
  await db
    .insertInto('webhook_secrets')
    .values({ tenant_id: tenantId, secret_enc: sealed, created_at: clock.now() })
    .onConflict((oc) => oc.column('tenant_id').doUpdateSet({ secret_enc: sealed, created_at: clock.now() }))
    .execute();
  return secret;
}
