import { randomBytes } from 'node:crypto';
import { DomainError, conflict, invalid, notFound } from '../errors.js';
import { type Executor, inTransaction } from '../store/db.js';
import type { Agent } from '../store/schema.js';
import { createAgent, generateSipPassword, getAgentById } from './agents.js';
import { type DirectoryDeps, lockDirectory } from './agent-lifecycle.js';
import { MAX_QUEUE_PRIORITY, MIN_QUEUE_PRIORITY } from './agent-settings.js';
import { type ConsoleRole, checkConsolePassword, revokeAgentSessions } from './console-accounts.js';
import { hashPassword } from './secrets.js';
import { bumpRevision } from './tenants.js';

/** A queue membership as the agents screen edits it. */
export interface Membership {
  queueId: number;
  priority: number;
}

export interface ConsoleInvite {
  name: string;
  email: string;
  phone?: string;
  role: ConsoleRole;
  /** The first console password; generated (and shown once) when absent. */
  password?: string;
  queues?: Membership[];
  recording?: boolean;
}

export interface ConsoleAgentEdit {
  name?: string;
  phone?: string | null;
  role?: ConsoleRole;
  recording?: boolean;
  /** The agent's whole list of inbound queue memberships (others are removed). */
  queues?: Membership[];
}

async function checkMemberships(db: Executor, tenantId: number, list: Membership[]): Promise<void> {
  const seen = new Set<number>();
  for (const m of list) {
    if (seen.has(m.queueId)) throw invalid(`queue ${m.queueId} is listed twice`);
    seen.add(m.queueId);
    if (!Number.isInteger(m.priority) || m.priority < MIN_QUEUE_PRIORITY || m.priority > MAX_QUEUE_PRIORITY)
      throw invalid(`priority must be an integer from ${MIN_QUEUE_PRIORITY} to ${MAX_QUEUE_PRIORITY}`);
  }
  if (seen.size === 0) return;
  const found = await db
    .selectFrom('inbound_queues')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...seen])
    .execute();
  const have = new Set(found.map((r) => r.id));
  const missing = [...seen].find((id) => !have.has(id));
  if (missing !== undefined) throw notFound(`queue ${missing}`);
}

async function replaceMemberships(db: Executor, tenantId: number, agentId: number, list: Membership[]) {
  await db
    .deleteFrom('queue_members')
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .execute();
  if (list.length === 0) return;
  await db
    .insertInto('queue_members')
    .values(
      list.map((m) => ({
        tenant_id: tenantId,
        queue_id: m.queueId,
        agent_id: agentId,
        priority: m.priority,
      })),
    )
    .execute();
}

/**
 * Invite an agent from the console: a console role and password (generated when not given, returned once), SIP
 * credentials (returned once), optional queue memberships, all in one transaction under the directory lock.
 */
export async function inviteConsoleAgent(
  d: DirectoryDeps,
  tenantId: number,
  input: ConsoleInvite,
  by: string,
): Promise<{ agent: Agent; sipPassword: string; password: string | null }> {
  const generated = input.password ? null : randomBytes(9).toString('base64url');
  const password = input.password ?? generated!;
  checkConsolePassword(password);
  const passwordHash = await hashPassword(password);
  const queues = input.queues ?? [];
  const out = await inTransaction(d.db, async (tx) => {
    await lockDirectory(tx, tenantId);
    await checkMemberships(tx, tenantId, queues);
    const { agent, sipPassword } = await createAgent(tx, d.clock, d.box, tenantId, {
      name: input.name,
      email: input.email,
      phone: input.phone?.trim() || null,
      passwordHash,
      createdBy: by,
    });
    await tx
      .updateTable('agents')
      .set({ console_role: input.role, recording_enabled: input.recording ? 1 : 0 })
      .where('id', '=', agent.id)
      .execute();
    await replaceMemberships(tx, tenantId, agent.id, queues);
    return { agent, sipPassword };
  });
  d.bus.publish(tenantId, 'agent.changed', { agentId: out.agent.id, at: d.clock.now() });
  return { ...out, password: generated };
}

/** Change an agent's name, phone, console role, recording flag and/or queue memberships. */
export async function editConsoleAgent(
  d: DirectoryDeps,
  tenantId: number,
  agentId: number,
  edit: ConsoleAgentEdit,
  by: string,
): Promise<void> {
  const name = edit.name?.trim();
  if (edit.name !== undefined && (!name || name.length > 200))
    throw invalid('name must be 1 to 200 characters', 'name_required');
  await inTransaction(d.db, async (tx) => {
    await lockDirectory(tx, tenantId);
    await getAgentById(tx, tenantId, agentId);
    if (edit.queues) await checkMemberships(tx, tenantId, edit.queues);
    await tx
      .updateTable('agents')
      .set({
        ...(name ? { name } : {}),
        ...(edit.phone !== undefined ? { phone: edit.phone?.trim() || null } : {}),
        ...(edit.role ? { console_role: edit.role } : {}),
        ...(edit.recording !== undefined ? { recording_enabled: edit.recording ? 1 : 0 } : {}),
        updated_at: d.clock.now(),
        updated_by: by,
      })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', agentId)
      .execute();
    if (edit.queues) await replaceMemberships(tx, tenantId, agentId, edit.queues);
  });
  d.bus.publish(tenantId, 'agent.changed', { agentId, at: d.clock.now() });
}

/**
 * Deactivate (or reactivate) an agent. Deactivation ends every console session of the agent and drops its SIP
 * registrations; the caller logs the agent out first (the status model owns that). An admin cannot deactivate
 * themselves (nobody might be left to undo it).
 */
export async function setAgentActive(
  d: DirectoryDeps,
  tenantId: number,
  agentId: number,
  active: boolean,
  actorId: number,
): Promise<{ revokedSessions: number }> {
  if (!active && agentId === actorId) throw conflict('you cannot deactivate your own account');
  const revoked = await inTransaction(d.db, async (tx) => {
    await lockDirectory(tx, tenantId);
    await getAgentById(tx, tenantId, agentId);
    await tx
      .updateTable('agents')
      .set({ is_active: active ? 1 : 0, updated_at: d.clock.now(), updated_by: `console:${actorId}` })
      .where('tenant_id', '=', tenantId)
      .where('id', '=', agentId)
      .execute();
    if (active) return 0;
    await tx
      .deleteFrom('sip_registrations')
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', agentId)
      .execute();
    return revokeAgentSessions(tx, tenantId, agentId);
  });
  d.bus.publish(tenantId, 'agent.changed', { agentId, at: d.clock.now() });
  return { revokedSessions: revoked };
}

/** A new SIP password for the agent (returned once; the old one stops working on the next registration). */
export async function resetSipPassword(d: DirectoryDeps, tenantId: number, agentId: number): Promise<string> {
  const sipPassword = generateSipPassword();
  await inTransaction(d.db, async (tx) => {
    const agent = await getAgentById(tx, tenantId, agentId);
    if (agent.is_active !== 1)
      throw new DomainError(
        'CONFLICT',
        'reactivate the agent before resetting its SIP password',
        'account_inactive',
      );
    await tx
      .updateTable('agents')
      .set({ sip_password_enc: d.box.seal(sipPassword), updated_at: d.clock.now() })
      .where('id', '=', agentId)
      .execute();
    await tx
      .deleteFrom('sip_registrations')
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', agentId)
      .execute();
    await bumpRevision(tx, tenantId);
  });
  d.bus.publish(tenantId, 'agent.changed', { agentId, at: d.clock.now() });
  return sipPassword;
}
