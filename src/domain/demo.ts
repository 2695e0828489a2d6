import type { Clock } from '../clock.js';
import { randomBytes } from 'node:crypto';
import { hex24 } from '../ids.js';
import { DEFAULT_MOH_NAME, seedDefaultMoh } from '../media/library.js';
import { type Db, inTransaction } from '../store/db.js';
import { createAgent, sipPasswordOf } from './agents.js';
import { type CredentialService, SCOPES } from './credentials.js';
import { createInboundQueue, createOutboundQueue, replaceAgentQueues } from './queues.js';
import type { SecretBox } from './secrets.js';
import { seedDefaultStatuses } from './statuses.js';
import { setConsolePassword } from './console-accounts.js';
import { bumpRevision, createTenant } from './tenants.js';

export const DEMO_TENANT_NAME = 'tongdai demo';
export const DEMO_HOTLINE = '02873019555';
/** The demo's console login: the team lead, who also takes queue calls. */
export const DEMO_SUPERVISOR_EMAIL = 'lan@demo.tongdai.local';

const DEMO_AGENTS = [
  { name: 'Nguyễn Thị Lan', email: 'lan@demo.tongdai.local', phone: '0901000001' },
  { name: 'Trần Văn Minh', email: 'minh@demo.tongdai.local', phone: '0901000002' },
  { name: 'Lê Hoàng Anh', email: 'anh@demo.tongdai.local', phone: '0901000003' },
];

/** The JSON `tongdai demo --json` prints (and the `npm start` banner logs). */
export interface DemoInfo {
  tenant_id: number;
  account_id: string;
  api_key: string;
  app_id: string;
  app_secret: string;
  bearer_token: string;
  http_url: string;
  sip_domain: string;
  sip_port: number;
  hotline: string;
  trunk: string;
  agents: { agent_id: number; extension: string; email: string; sip_password: string }[];
  console_url: string;
  console_email: string;
  console_password: string;
}

export interface DemoDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  credentials: CredentialService;
  httpUrl: string;
  sipPort: number;
  publicIp: string;
  demoTrunkPort: number;
}

/** Create the demo tenant's directory (agents, queues, hotline, trunk) unless it exists; returns its id. */
export async function ensureDemoTenant(d: DemoDeps): Promise<{ tenantId: number; created: boolean }> {
  const existing = await d.db
    .selectFrom('tenants')
    .select('id')
    .where('name', '=', DEMO_TENANT_NAME)
    .executeTakeFirst();
  if (existing) return { tenantId: existing.id, created: false };
  const tenantId = await inTransaction(d.db, async (tx) => {
    const now = d.clock.now();
    const tenant = await createTenant(tx, d.clock, { name: DEMO_TENANT_NAME });
    await tx.updateTable('tenants').set({ console_locale: 'vi' }).where('id', '=', tenant.id).execute();
    await seedDefaultStatuses(tx, d.clock, tenant.id);
    await tx
      .insertInto('roles')
      // "Sale" (the default) and the document's other roles come with every tenant (createTenant).
      .values({ tenant_id: tenant.id, uid: hex24(), name: 'Supervisor', is_default: 0, created_at: now })
      .execute();
    await tx
      .insertInto('service_packages')
      .values({ tenant_id: tenant.id, uid: hex24(), name: 'Standard', max_agents: 50, created_at: now })
      .execute();
    const outbound = await createOutboundQueue(tx, d.clock, tenant.id, 'Main line', [DEMO_HOTLINE]);
    const queue = await createInboundQueue(tx, d.clock, tenant.id, {
      name: 'Support',
      agentSelector: 'longest-idle',
      maxWaitSec: 120,
      announcePosition: 1,
      mohFile: DEFAULT_MOH_NAME,
    });
    await seedDefaultMoh(tx, d.clock, tenant.id);
    for (const a of DEMO_AGENTS) {
      const { agent } = await createAgent(tx, d.clock, d.box, tenant.id, { ...a, createdBy: 'demo' });
      await tx
        .updateTable('agents')
        .set({ callout_queue_id: outbound.id })
        .where('id', '=', agent.id)
        .execute();
      await replaceAgentQueues(tx, tenant.id, agent.id, [queue.id], 1);
    }
    const trunk = await tx
      .insertInto('trunks')
      .values({
        tenant_id: tenant.id,
        name: 'Demo carrier (loopback)',
        host: '127.0.0.1',
        port: d.demoTrunkPort,
        allowed_ips: JSON.stringify(['127.0.0.1', '::1', '::ffff:127.0.0.1']),
        username: null,
        password_enc: null,
        created_at: now,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await tx
      .insertInto('numbers')
      .values({
        tenant_id: tenant.id,
        number: DEMO_HOTLINE,
        target_type: 'queue',
        target_id: queue.id,
        trunk_id: trunk.id,
        created_at: now,
      })
      .execute();
    await bumpRevision(tx, tenant.id);
    return tenant.id;
  });
  return { tenantId, created: true };
}

/** Issue fresh credentials for the demo tenant (keys are shown once, so every call issues new ones). */
export async function demoCredentials(d: DemoDeps, tenantId: number): Promise<DemoInfo> {
  const tenant = await d.db
    .selectFrom('tenants')
    .selectAll()
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  const key = await d.credentials.createApiKey(tenantId, [...SCOPES], 'demo');
  // Like the keys, the console password is fresh each time (and the previous one's sessions end). An admin may
  // have deleted or moved the demo supervisor since: then there is no console login to print.
  let consoleEmail = '';
  let consolePassword = '';
  const supervisor = await d.db
    .selectFrom('agents')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('email', '=', DEMO_SUPERVISOR_EMAIL)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (supervisor) {
    consoleEmail = DEMO_SUPERVISOR_EMAIL;
    consolePassword = randomBytes(9).toString('base64url');
    await setConsolePassword(d.db, d.clock, tenantId, consoleEmail, consolePassword, 'supervisor');
  }
  const app = await d.credentials.createApp(tenantId);
  const bearer = await d.credentials.createToken(tenantId, 'bearer');
  const agents = await d.db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('id')
    .execute();
  const trunk = await d.db
    .selectFrom('trunks')
    .select(['host', 'port'])
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return {
    tenant_id: tenantId,
    account_id: tenant.account_id,
    api_key: key.key,
    app_id: app.appId,
    app_secret: app.appSecret,
    bearer_token: bearer.token,
    http_url: d.httpUrl,
    sip_domain: tenant.sip_domain,
    sip_port: d.sipPort,
    hotline: DEMO_HOTLINE,
    trunk: trunk ? `${trunk.host}:${trunk.port}` : '',
    agents: agents.map((a) => ({
      agent_id: a.id,
      extension: a.extension,
      email: a.email,
      sip_password: sipPasswordOf(d.box, a),
    })),
    console_url: `${d.httpUrl}/`,
    console_email: consoleEmail,
    console_password: consolePassword,
  };
}
