import type { Executor } from '../store/db.js';
import type { Agent, InboundQueue, Tenant } from '../store/schema.js';
import { type SkillSetup, skillSetupOf } from './skills.js';

/**
 * The reads the call engine routes with: trunks, numbers, extensions, caller ids, the tenant's limits, and the
 * ACD's view of a tenant (queues, members, caller lists). src/calls reaches them through a CallStore
 * (src/domain/call-store.ts), never through SQL of its own.
 */

/** What the call engine knows of a tenant: its id, SIP domain and call limits. */
export type CallTenant = Pick<
  Tenant,
  | 'id'
  | 'sip_domain'
  | 'max_concurrent_calls'
  | 'max_calls_per_second'
  | 'allow_international'
  | 'allow_premium'
>;

/** What the call engine knows of an agent. */
export type CallAgent = Pick<Agent, 'id' | 'tenant_id' | 'extension' | 'name' | 'callout_queue_id'>;

/** A trunk row as stored (its password still sealed). */
export interface TrunkRow {
  id: number;
  tenant_id: number;
  host: string;
  port: number;
  transport: string;
  allowed_ips: string;
  username?: string | null;
  password_enc?: string | null;
  /** Digest credentials tongdai answers the trunk's challenges with (from username / password_enc). */
  credentials?: { username: string; password: string };
}

/** A DID's row: the queue, agent or IVR flow it points to. */
export interface NumberTarget {
  number: string;
  targetType: 'queue' | 'agent' | 'ivr';
  targetId: number;
}

export function listTrunks(db: Executor): Promise<TrunkRow[]> {
  return db.selectFrom('trunks').selectAll().execute();
}

/** The tenant's first trunk (the one calls out use). */
export function firstTrunkOf(db: Executor, tenantId: number): Promise<TrunkRow | undefined> {
  return db
    .selectFrom('trunks')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .executeTakeFirst();
}

/** The first of `variants` (spellings of one DID) the tenant owns. */
export async function numberTarget(
  db: Executor,
  tenantId: number,
  variants: string[],
): Promise<NumberTarget | undefined> {
  const n = await db
    .selectFrom('numbers')
    .select(['number', 'target_type', 'target_id'])
    .where('tenant_id', '=', tenantId)
    .where('number', 'in', variants)
    .executeTakeFirst();
  if (!n) return undefined;
  return {
    number: n.number,
    targetType: n.target_type === 'queue' || n.target_type === 'ivr' ? n.target_type : 'agent',
    targetId: n.target_id,
  };
}

export function findCallTenant(db: Executor, tenantId: number): Promise<Tenant | undefined> {
  return db.selectFrom('tenants').selectAll().where('id', '=', tenantId).executeTakeFirst();
}

/** A live (not deleted) agent of the tenant by extension. */
export function liveAgentByExtension(
  db: Executor,
  tenantId: number,
  extension: string,
): Promise<Agent | undefined> {
  return db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('extension', '=', extension)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** A live agent of the tenant by id. */
export function liveAgentById(db: Executor, tenantId: number, id: number): Promise<Agent | undefined> {
  return db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

/** The caller ids of an outbound (callout) queue, in order; empty when it has none or they are unreadable. */
export async function calloutCallerIds(db: Executor, tenantId: number, queueId: number): Promise<string[]> {
  const q = await db
    .selectFrom('outbound_queues')
    .select('caller_ids')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', queueId)
    .executeTakeFirst();
  try {
    const ids: unknown = q ? JSON.parse(q.caller_ids) : [];
    return Array.isArray(ids) ? ids.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    return [];
  }
}

/** The ACD's view of one tenant: its queues with their members, its VIP and blacklist numbers, its skills. */
export interface AcdSetup {
  queues: { queue: InboundQueue; members: { agentId: number; priority: number }[] }[];
  vip: string[];
  blacklist: string[];
  skills: SkillSetup;
}

export async function acdSetupOf(db: Executor, tenantId: number): Promise<AcdSetup> {
  const [queues, members, lists, skills] = await Promise.all([
    db.selectFrom('inbound_queues').selectAll().where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('queue_members').selectAll().where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('caller_lists').selectAll().where('tenant_id', '=', tenantId).execute(),
    skillSetupOf(db, tenantId),
  ]);
  return {
    queues: queues.map((queue) => ({
      queue,
      members: members
        .filter((m) => m.queue_id === queue.id)
        .map((m) => ({ agentId: m.agent_id, priority: m.priority })),
    })),
    vip: lists.filter((l) => l.list === 'vip').map((l) => l.number),
    blacklist: lists.filter((l) => l.list === 'blacklist').map((l) => l.number),
    skills,
  };
}

/** The hold-music file name a queue is configured with (null: the default). */
export async function queueMohName(db: Executor, tenantId: number, queueId: number): Promise<string | null> {
  const q = await db
    .selectFrom('inbound_queues')
    .select('moh_file')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', queueId)
    .executeTakeFirst();
  return q?.moh_file ?? null;
}

/** The tenant's first not-ready custom status (where an agent who missed an offer is parked). */
export async function firstNotReadyStatus(db: Executor, tenantId: number): Promise<string | null> {
  const s = await db
    .selectFrom('statuses')
    .select('name')
    .where('tenant_id', '=', tenantId)
    .where('is_ready', '=', 0)
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .executeTakeFirst();
  return s?.name ?? null;
}
