import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import { hex32 } from '../ids.js';
import { seedDocumentRoles } from './roles.js';
import { sql } from 'kysely';
import type { Executor } from '../store/db.js';
import type { Tenant } from '../store/schema.js';

/** Numeric tenant ids look like a date-based account number (the AloHub document shows 20260310). */
const FIRST_TENANT_ID = 20260310;

export interface CreateTenantInput {
  name: string;
}

export async function createTenant(db: Executor, clock: Clock, input: CreateTenantInput): Promise<Tenant> {
  const name = input.name.trim();
  if (!name) throw invalid('tenant name must not be empty');
  if (name.length > 200) throw invalid('tenant name must be at most 200 characters');
  const max = await db
    .selectFrom('tenants')
    .select((eb) => eb.fn.max('id').as('max'))
    .executeTakeFirst();
  const id = Math.max(Number(max?.max ?? 0) + 1, FIRST_TENANT_ID);
  const accountId = hex32();
  const tenant = await db
    .insertInto('tenants')
    .values({
      id,
      name,
      account_id: accountId,
      sip_domain: `${accountId.slice(0, 12)}.tongdai.local`,
      rate_limit_tenant: null,
      rate_limit_route: null,
      created_at: clock.now(),
    })
    .returningAll()
    .executeTakeFirstOrThrow();
  // The OmiCall document's role names exist for every tenant (docs/api/omicall.md).
  await seedDocumentRoles(db, clock, id);
  return tenant;
}

export async function getTenant(db: Executor, tenantId: number): Promise<Tenant> {
  const t = await db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
  if (!t) throw notFound(`tenant ${tenantId}`);
  return t;
}

export function findTenantByAccountId(db: Executor, accountId: string): Promise<Tenant | undefined> {
  return db.selectFrom('tenants').selectAll().where('account_id', '=', accountId).executeTakeFirst();
}

export function listTenants(db: Executor): Promise<Tenant[]> {
  return db.selectFrom('tenants').selectAll().orderBy('id').execute();
}

/** Mark the tenant's directory data as changed; call inside the transaction that changes it. */
export async function bumpRevision(db: Executor, tenantId: number): Promise<void> {
  await db
    .updateTable('tenants')
    .set({ revision: sql`revision + 1` })
    .where('id', '=', tenantId)
    .execute();
}

export async function getRevision(db: Executor, tenantId: number): Promise<number> {
  const row = await db.selectFrom('tenants').select('revision').where('id', '=', tenantId).executeTakeFirst();
  return row?.revision ?? -1;
}

export interface TenantLimits {
  maxConcurrentCalls?: number;
  maxCallsPerSecond?: number;
  allowInternational?: boolean;
  allowPremium?: boolean;
  rateLimitTenant?: number | null;
  rateLimitRoute?: number | null;
  recordingRetentionDays?: number;
  /** The format new recordings are stored in (docs/recordings.md). */
  recordingFormat?: 'mp3' | 'wav';
}

export async function updateTenantLimits(db: Executor, tenantId: number, l: TenantLimits): Promise<Tenant> {
  await getTenant(db, tenantId);
  const set: Record<string, number | string | null> = {};
  if (l.maxConcurrentCalls !== undefined) set.max_concurrent_calls = l.maxConcurrentCalls;
  if (l.maxCallsPerSecond !== undefined) set.max_calls_per_second = l.maxCallsPerSecond;
  if (l.allowInternational !== undefined) set.allow_international = l.allowInternational ? 1 : 0;
  if (l.allowPremium !== undefined) set.allow_premium = l.allowPremium ? 1 : 0;
  if (l.rateLimitTenant !== undefined) set.rate_limit_tenant = l.rateLimitTenant;
  if (l.rateLimitRoute !== undefined) set.rate_limit_route = l.rateLimitRoute;
  if (l.recordingRetentionDays !== undefined) set.recording_retention_days = l.recordingRetentionDays;
  if (l.recordingFormat !== undefined) set.recording_format = l.recordingFormat;
  if (Object.keys(set).length > 0)
    await db.updateTable('tenants').set(set).where('id', '=', tenantId).execute();
  return getTenant(db, tenantId);
}
