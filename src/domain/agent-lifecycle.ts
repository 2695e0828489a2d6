import type { Clock } from '../clock.js';
import { DomainError, invalid, notFound } from '../errors.js';
import { type Db, type Executor, type Tx, inTransaction } from '../store/db.js';
import type { Agent } from '../store/schema.js';
import { createAgent, generateSipPassword, isValidEmail, normalizeEmail } from './agents.js';
import type { EventBus } from './events.js';
import { type Role, findRoleByName, getDefaultRole, getRoleByUid } from './roles.js';
import { type SecretBox, hashPassword } from './secrets.js';
import { type ServicePackage, assertSeatFree, getServicePackageByUid } from './service-packages.js';
import { systemTransition } from './status-rules.js';
import { applyDecisions, runWithRetry } from './status-writer.js';
import { bumpRevision } from './tenants.js';

export interface DirectoryDeps {
  db: Db;
  clock: Clock;
  box: SecretBox;
  bus: EventBus;
}

/** The two password rules of the OmiCall document: `invite` and `invite_with_package_v2` differ. */
export type PasswordRule = 'strict' | 'v2';

/** Strict: ≥ 8 characters with upper, lower, digit and special. v2: ≥ 8 with an uppercase letter and a digit. */
export function checkPassword(password: string, rule: PasswordRule): string | null {
  if (password.length < 8) return 'the password must be at least 8 characters';
  if (password.length > 128) return 'the password must be at most 128 characters';
  if (!/[A-Z]/.test(password)) return 'the password needs an uppercase letter';
  if (!/[0-9]/.test(password)) return 'the password needs a digit';
  if (rule === 'strict') {
    if (!/[a-z]/.test(password)) return 'the password needs a lowercase letter';
    if (!/[^A-Za-z0-9]/.test(password)) return 'the password needs a special character';
  }
  return null;
}

/**
 * Serialise directory writes of one tenant: the revision bump takes the tenant row's write lock (PostgreSQL)
 * or the database write lock (SQLite) until the transaction ends, so seat counts and uniqueness checks that
 * follow cannot race another invite.
 */
export const lockDirectory = (tx: Executor, tenantId: number) => bumpRevision(tx, tenantId);

export interface InviteInput {
  fullName?: string;
  email?: string;
  password?: string;
  passwordRule: PasswordRule;
  /** Role by name; the tenant's default role when absent or empty. */
  roleName?: string;
  servicePackageUid?: string;
  ownerEmail?: string;
  externalUuid?: string;
  phone?: string;
  attributes?: Record<string, unknown>;
  createdBy: string;
}

function requireFields(input: InviteInput): { name: string; email: string } {
  const name = input.fullName?.trim() ?? '';
  if (!name) throw invalid('full_name is required', 'name_required');
  if (name.length > 200) throw invalid('full_name must be at most 200 characters', 'name_required');
  const email = normalizeEmail(input.email ?? '');
  if (!isValidEmail(email))
    throw invalid(`"${input.email ?? ''}" is not a valid email address`, 'email_invalid');
  if (input.password !== undefined && input.password !== '') {
    const why = checkPassword(input.password, input.passwordRule);
    if (why) throw invalid(why, 'password_invalid');
  }
  return { name, email };
}

async function resolveRole(tx: Executor, tenantId: number, roleName: string | undefined): Promise<Role> {
  const wanted = roleName?.trim();
  const role = wanted ? await findRoleByName(tx, tenantId, wanted) : await getDefaultRole(tx, tenantId);
  if (!role) {
    throw invalid(
      wanted
        ? `role "${wanted}" does not exist in this tenant (leave role_name empty for the default role)`
        : 'role_name is required: this tenant has no default role',
      'role_required',
    );
  }
  return role;
}

async function resolveOwner(
  tx: Executor,
  tenantId: number,
  ownerEmail: string | undefined,
): Promise<string | null> {
  const raw = ownerEmail?.trim();
  if (!raw) return null;
  const owner = await findAgentByEmail(tx, tenantId, raw);
  if (!owner)
    throw new DomainError(
      'INVALID_INPUT',
      `owner_email ${raw} is not an agent of this tenant`,
      'owner_invalid',
    );
  return owner.email;
}

/**
 * Invite (create) an agent: validate, resolve role/package/owner, take a seat, hash the password, allocate an
 * extension and SIP credentials, all in one transaction under the tenant's directory lock.
 */
export async function inviteAgent(
  d: DirectoryDeps,
  tenantId: number,
  input: InviteInput,
): Promise<{ agent: Agent; sipPassword: string; role: Role; pkg: ServicePackage | null }> {
  const { name, email } = requireFields(input);
  const passwordHash = input.password ? await hashPassword(input.password) : null;
  const uuid = input.externalUuid?.trim() || null;
  const result = await inTransaction(d.db, async (tx) => {
    await lockDirectory(tx, tenantId);
    if (await findAgentByEmail(tx, tenantId, email)) {
      throw new DomainError('CONFLICT', `an agent with email ${email} already exists`, 'agent_exists');
    }
    if (uuid && (await findAgentByExternalUuid(tx, tenantId, uuid))) {
      throw new DomainError('CONFLICT', `an agent with uuid ${uuid} already exists`, 'agent_uuid_exists');
    }
    const role = await resolveRole(tx, tenantId, input.roleName);
    const pkg = input.servicePackageUid
      ? await getServicePackageByUid(tx, tenantId, input.servicePackageUid)
      : null;
    if (pkg) await assertSeatFree(tx, tenantId, pkg);
    const ownerEmail = await resolveOwner(tx, tenantId, input.ownerEmail);
    const created = await createAgent(tx, d.clock, d.box, tenantId, {
      name,
      email,
      phone: input.phone?.trim() || null,
      passwordHash,
      roleId: role.id,
      servicePackageId: pkg?.id ?? null,
      ownerEmail,
      attributes: input.attributes ?? {},
      createdBy: input.createdBy,
    });
    if (uuid)
      await tx
        .updateTable('agents')
        .set({ external_uuid: uuid })
        .where('id', '=', created.agent.id)
        .execute();
    return { ...created, agent: { ...created.agent, external_uuid: uuid }, role, pkg };
  });
  d.bus.publish(tenantId, 'agent.changed', { agentId: result.agent.id, at: d.clock.now() });
  return result;
}

export function findAgentByEmail(db: Executor, tenantId: number, email: string): Promise<Agent | undefined> {
  return db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('email', '=', normalizeEmail(email))
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

function findAgentByExternalUuid(db: Executor, tenantId: number, uuid: string): Promise<Agent | undefined> {
  return db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('external_uuid', '=', uuid)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

const SHORT_UID = /^[0-9a-f]{24}$/;

/**
 * A live agent by its public id: the 32-hex `uid`, or its first 24 characters (the ObjectId-shaped id OmiCall
 * clients see). Another tenant's agent is "not found"; so is a short id two agents share (never seen: 96 random
 * bits), rather than picking one.
 */
export async function getAgentByUid(db: Executor, tenantId: number, uid: string): Promise<Agent> {
  const id = uid.trim().toLowerCase();
  const base = db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null);
  // A range over the uid index: `like 'prefix%'` would not use it on PostgreSQL.
  const rows = SHORT_UID.test(id)
    ? await base.where('uid', '>=', id).where('uid', '<', `${id}g`).limit(2).execute()
    : await base.where('uid', '=', id).execute();
  const a = rows.length === 1 ? rows[0] : undefined;
  if (!a) throw notFound(`agent ${uid}`, 'agent_not_found');
  return a;
}

export async function requireAgentByEmail(db: Executor, tenantId: number, email: string): Promise<Agent> {
  const a = await findAgentByEmail(db, tenantId, email);
  if (!a) throw notFound(`agent ${normalizeEmail(email)}`, 'agent_not_found');
  return a;
}

/** Cut an agent off from the phone system: new SIP password nobody knows, registrations dropped. */
export async function revokeSipAccess(
  tx: Tx,
  box: SecretBox,
  tenantId: number,
  agentId: number,
): Promise<void> {
  await tx
    .updateTable('agents')
    .set({ sip_password_enc: box.seal(generateSipPassword(24)) })
    .where('id', '=', agentId)
    .execute();
  await tx
    .deleteFrom('sip_registrations')
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .execute();
}

/**
 * Soft-delete: the agent leaves every queue, goes offline and loses its SIP access; its calls, recordings and
 * status history stay (they reference the row, which is kept with deleted_at set).
 */
export async function deleteAgent(
  d: DirectoryDeps,
  tenantId: number,
  email: string,
  by: string,
): Promise<Agent> {
  // Retried whole if a concurrent status change wins the race for the agent's row (as status changes are).
  const { a, events } = await runWithRetry(d.db, async (tx) => {
    await lockDirectory(tx, tenantId);
    const a = await requireAgentByEmail(tx, tenantId, email);
    const now = d.clock.now();
    await revokeSipAccess(tx, d.box, tenantId, a.id);
    await tx
      .deleteFrom('queue_members')
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', a.id)
      .execute();
    // Logged out like any other logout, whatever it was doing: the status writer's history row and event.
    const { events } = await applyDecisions(
      tx,
      d.clock,
      tenantId,
      [a],
      (cur) => systemTransition(cur, 'Offline'),
      by,
      'agent deleted',
    );
    await tx
      .updateTable('agents')
      .set({ deleted_at: now, is_active: 0, updated_at: now, updated_by: by })
      .where('id', '=', a.id)
      .execute();
    return { a, events };
  });
  // Only after the commit, as the status service does.
  for (const e of events) d.bus.publish(tenantId, 'agent.status_changed', e);
  d.bus.publish(tenantId, 'agent.changed', { agentId: a.id, at: d.clock.now() });
  return a;
}

export async function setAgentRole(
  d: DirectoryDeps,
  tenantId: number,
  agentUid: string,
  roleUid: string,
  by: string,
) {
  const out = await inTransaction(d.db, async (tx) => {
    await lockDirectory(tx, tenantId);
    const agent = await getAgentByUid(tx, tenantId, agentUid);
    const role = await getRoleByUid(tx, tenantId, roleUid);
    const now = d.clock.now();
    await tx
      .updateTable('agents')
      .set({ role_id: role.id, updated_at: now, updated_by: by })
      .where('id', '=', agent.id)
      .execute();
    return { agent: { ...agent, role_id: role.id, updated_at: now }, role };
  });
  d.bus.publish(tenantId, 'agent.changed', { agentId: out.agent.id, at: d.clock.now() });
  return out;
}

/** Put the agent in a package (taking a seat), or take it out when `pkgUid` is absent. */
export async function setAgentServicePackage(
  d: DirectoryDeps,
  tenantId: number,
  agentUid: string,
  pkgUid: string | undefined,
  by: string,
): Promise<void> {
  const agentId = await inTransaction(d.db, async (tx) => {
    await lockDirectory(tx, tenantId);
    const agent = await getAgentByUid(tx, tenantId, agentUid);
    const pkg = pkgUid ? await getServicePackageByUid(tx, tenantId, pkgUid) : null;
    if (pkg && agent.service_package_id === pkg.id) return agent.id;
    if (pkg) await assertSeatFree(tx, tenantId, pkg);
    await tx
      .updateTable('agents')
      .set({ service_package_id: pkg?.id ?? null, updated_at: d.clock.now(), updated_by: by })
      .where('id', '=', agent.id)
      .execute();
    return agent.id;
  });
  d.bus.publish(tenantId, 'agent.changed', { agentId, at: d.clock.now() });
}
