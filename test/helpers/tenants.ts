/** The suite's one other-tenant builder: a second tenant with every kind of credential, for isolation tests. */
import { randomBytes } from 'node:crypto';
import { SCOPES, type Scope } from '../../src/domain/credentials.js';
import { seedDefaultStatuses } from '../../src/domain/statuses.js';
import { createTenant } from '../../src/domain/tenants.js';
import type { TestServer } from './harness.js';

export interface OtherTenant {
  tenant: Awaited<ReturnType<typeof createTenant>>;
  tenantId: number;
  /** An API key with `scopes` (default: every scope). */
  apiKey: string;
  bearer: string;
  appId: string;
  appSecret: string;
}

/**
 * A fresh tenant on `s` with an API key, a bearer token and an app; `statuses` seeds the default statuses
 * (agents can then log in). Family fixtures add their own rows (agents, queues) on top of it.
 */
export async function otherTenant(
  s: TestServer,
  opts: { scopes?: Scope[]; statuses?: boolean; name?: string } = {},
): Promise<OtherTenant> {
  const { db, clock, credentials } = s.t.ctx;
  const tenant = await createTenant(db, clock, {
    name: opts.name ?? `other ${randomBytes(3).toString('hex')}`,
  });
  if (opts.statuses) await seedDefaultStatuses(db, clock, tenant.id);
  const app = await credentials.createApp(tenant.id);
  return {
    tenant,
    tenantId: tenant.id,
    apiKey: (await credentials.createApiKey(tenant.id, opts.scopes ?? [...SCOPES], 'other')).key,
    bearer: (await credentials.createToken(tenant.id, 'bearer')).token,
    appId: app.appId,
    appSecret: app.appSecret,
  };
}
