import { createAgent } from '../../src/domain/agents.js';
import type { Scope } from '../../src/domain/credentials.js';
import { createInboundQueue, createOutboundQueue, replaceAgentQueues } from '../../src/domain/queues.js';
import { getRevision } from '../../src/domain/tenants.js';
import { seedDefaultMoh } from '../../src/media/library.js';
import type { TestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';

/** Ids the seed documents' examples use, created in the demo tenant (20260310, the seeds' own tenant id). */
export const SEED = {
  tenantId: 20260310,
  agent: '082018',
  callinQueue: 1001226,
  otherCallinQueue: 1000886,
  calloutQueue: 13876,
  moh: 'waiting.wav',
} as const;

/** Register a music-on-hold file for the tenant (the media upload API is another family's; tests need only the row). */
export async function addMediaFile(
  s: TestServer,
  tenantId: number,
  name: string,
  kind = 'moh',
): Promise<void> {
  await s.t.ctx.db
    .insertInto('media_files')
    .values({
      tenant_id: tenantId,
      name,
      kind,
      path: `/media/${tenantId}/${name}`,
      size_bytes: 1024,
      duration_ms: 1000,
      created_at: s.clock.now(),
    })
    .execute();
}

/** Give the demo tenant the agent, queues and MOH file the seed examples name, with the seeds' ids. */
export async function seedDocumentFixtures(s: TestServer): Promise<void> {
  const { db, box } = s.t.ctx;
  const tenantId = s.demo.tenant_id;
  const now = s.clock.now();
  const { agent } = await createAgent(db, s.clock, box, tenantId, {
    name: 'AloHub Admin',
    email: 'admin@alohub.example',
    extension: SEED.agent,
    username: 'AloHub.admin',
  });
  const queue = (id: number, name: string) => ({
    id,
    tenant_id: tenantId,
    name,
    max_wait_sec: 120,
    moh_file: SEED.moh,
    created_at: now,
    updated_at: now,
  });
  await db
    .insertInto('inbound_queues')
    .values([queue(SEED.callinQueue, 'test'), queue(SEED.otherCallinQueue, 'sales')])
    .execute();
  await db
    .insertInto('outbound_queues')
    .values({ id: SEED.calloutQueue, tenant_id: tenantId, name: 'AloHub', created_at: now })
    .execute();
  await replaceAgentQueues(db, tenantId, agent.id, [SEED.callinQueue], 1);
  // The seeds' "waiting.wav" is the generated hold music every demo tenant has; make sure of it.
  await seedDefaultMoh(db, s.clock, tenantId);
}

export interface OtherTenant {
  tenantId: number;
  key: string;
  agentExtension: string;
  inboundQueueId: number;
  outboundQueueId: number;
}

/** The shared other tenant (test/helpers/tenants.ts) with its own agent, queues, MOH file and an agent+queue key. */
export async function createOtherTenant(s: TestServer): Promise<OtherTenant> {
  const { db, box } = s.t.ctx;
  const o = await otherTenant(s, { scopes: ['agent', 'queue'], statuses: true, name: 'Other tenant' });
  const t = o.tenant;
  const { agent } = await createAgent(db, s.clock, box, t.id, {
    name: 'Other agent',
    email: 'other@other.example',
    extension: '7777',
  });
  const inbound = await createInboundQueue(db, s.clock, t.id, { name: 'Other queue' });
  const outbound = await createOutboundQueue(db, s.clock, t.id, 'Other line', []);
  await replaceAgentQueues(db, t.id, agent.id, [inbound.id], 1);
  await addMediaFile(s, t.id, 'other-moh.wav');
  return {
    tenantId: t.id,
    key: o.apiKey,
    agentExtension: agent.extension,
    inboundQueueId: inbound.id,
    outboundQueueId: outbound.id,
  };
}

export async function keyWithScopes(s: TestServer, scopes: Scope[]): Promise<string> {
  return (await s.t.ctx.credentials.createApiKey(s.demo.tenant_id, scopes, scopes.join('+'))).key;
}

export const revisionOf = (s: TestServer, tenantId = s.demo.tenant_id) => getRevision(s.t.ctx.db, tenantId);

/** The AloHub error envelope, exactly: three string fields, `success: "0"`. */
export function isErrorEnvelope(body: any, code: string): boolean {
  return (
    body !== null &&
    typeof body === 'object' &&
    Object.keys(body).sort().join(',') === 'error_code,error_message,success' &&
    body.success === '0' &&
    body.error_code === code &&
    typeof body.error_message === 'string' &&
    body.error_message.length > 0
  );
}
