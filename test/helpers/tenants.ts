/** The suite's one other-tenant builder: a second tenant with every kind of credential, for isolation tests. */
import { randomBytes } from 'node:crypto';
import type { Clock } from '../../src/clock.js';
import { type CreateAgentInput, createAgent } from '../../src/domain/agents.js';
import { type ConsoleRole, setConsolePassword } from '../../src/domain/console-accounts.js';
import { SCOPES, type Scope } from '../../src/domain/credentials.js';
import { seedDefaultStatuses } from '../../src/domain/statuses.js';
import { createTenant } from '../../src/domain/tenants.js';
import { inTransaction } from '../../src/store/db.js';
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

export interface OtherConsoleUser {
  tenantId: number;
  email: string;
  extension: string;
}

/**
 * A second tenant ("Other BPO", default statuses) with one agent who can sign in to the console with
 * `password` as `role`: the console and browser-phone tests' foreign user.
 */
export async function otherConsoleUser(
  s: TestServer,
  clock: Clock,
  agent: Omit<CreateAgentInput, 'createdBy'>,
  password: string,
  role: ConsoleRole,
): Promise<OtherConsoleUser> {
  const { db, box } = s.t.ctx;
  const other = await inTransaction(db, async (tx) => {
    const t = await createTenant(tx, clock, { name: 'Other BPO' });
    await seedDefaultStatuses(tx, clock, t.id);
    const created = await createAgent(tx, clock, box, t.id, { ...agent, createdBy: 'test' });
    return { tenantId: t.id, email: created.agent.email, extension: created.agent.extension };
  });
  await setConsolePassword(db, clock, other.tenantId, other.email, password, role);
  return other;
}
