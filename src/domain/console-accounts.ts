import { createHash, randomBytes } from 'node:crypto';
import type { Clock } from '../clock.js';
import { DomainError, invalid } from '../errors.js';
import type { Executor } from '../store/db.js';
import type { Agent } from '../store/schema.js';
import { normalizeEmail } from './agents.js';
import { hashPassword, safeEqual, verifyPassword } from './secrets.js';

/** Console roles, most powerful first. Each role may do everything the ones after it may. */
export const CONSOLE_ROLES = ['admin', 'supervisor', 'agent'] as const;
export type ConsoleRole = (typeof CONSOLE_ROLES)[number];

export const SESSION_TTL_MS = 12 * 3600_000;
export const MAX_LOGIN_FAILURES = 5;
export const LOCKOUT_MS = 15 * 60_000;
export const MIN_PASSWORD_LENGTH = 8;

// A hash of a random password: unknown emails cost one scrypt too, so timing does not reveal which emails exist.
const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));

export function isConsoleRole(v: string): v is ConsoleRole {
  return (CONSOLE_ROLES as readonly string[]).includes(v);
}

/** Whether `role` includes the rights of `needed`. */
export function roleAllows(role: ConsoleRole, needed: ConsoleRole): boolean {
  return CONSOLE_ROLES.indexOf(role) <= CONSOLE_ROLES.indexOf(needed);
}

/**
 * OmiCall roles are free-form names per tenant ("Sale", "Supervisor", "Quản trị"…). Without an explicit console
 * role, the name decides: admin/owner/quản trị → admin; supervisor/manager/leader/giám sát/quản lý/trưởng → supervisor;
 * anything else (or no role) → agent. Least privilege is the default.
 */
export function roleFromOmicallName(name: string | null | undefined): ConsoleRole {
  const n = (name ?? '').toLocaleLowerCase('vi');
  if (/admin|owner|quản trị|chủ/.test(n)) return 'admin';
  if (/supervis|manager|leader|lead\b|giám sát|quản lý|trưởng/.test(n)) return 'supervisor';
  return 'agent';
}

/** The agent's effective console role. */
export async function consoleRoleOf(
  db: Executor,
  agent: Pick<Agent, 'tenant_id' | 'console_role' | 'role_id'>,
): Promise<ConsoleRole> {
  if (agent.console_role && isConsoleRole(agent.console_role)) return agent.console_role;
  if (agent.role_id === null) return 'agent';
  const role = await db
    .selectFrom('roles')
    .select('name')
    .where('tenant_id', '=', agent.tenant_id)
    .where('id', '=', agent.role_id)
    .executeTakeFirst();
  return roleFromOmicallName(role?.name);
}

export interface ConsoleUser {
  tenantId: number;
  agentId: number;
  email: string;
  name: string;
  extension: string;
  role: ConsoleRole;
}

export interface IssuedSession {
  token: string;
  csrf: string;
  expiresAt: number;
  user: ConsoleUser;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

function loginAgents(db: Executor, email: string, tenantId: number | undefined) {
  let q = db
    .selectFrom('agents')
    .selectAll()
    .where('email', '=', normalizeEmail(email))
    .where('deleted_at', 'is', null)
    .where('password_hash', 'is not', null);
  if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
  return q.orderBy('id').execute();
}

function lockedError(until: number, now: number): DomainError {
  const minutes = Math.max(1, Math.ceil((until - now) / 60_000));
  return new DomainError(
    'RATE_LIMITED',
    `Too many failed sign-ins: this account is locked for ${minutes} more minute(s).`,
    'account_locked',
    { retryAfterSec: Math.ceil((until - now) / 1000) },
  );
}

const badLogin = () => new DomainError('UNAUTHORIZED', 'Wrong email or password.', 'bad_credentials');

/**
 * Check an email and password and open a session. Failures count per account; the fifth in a row locks it
 * for 15 minutes (a correct password does not unlock it early). An email used by several tenants needs `tenantId`.
 */
export async function signIn(
  db: Executor,
  clock: Clock,
  input: { email: string; password: string; tenantId?: number },
): Promise<IssuedSession> {
  const now = clock.now();
  const candidates = await loginAgents(db, input.email, input.tenantId);
  if (candidates.length > 1) {
    throw invalid(
      'This email belongs to several workspaces: enter the workspace (tenant) id.',
      'tenant_needed',
    );
  }
  const agent = candidates[0];
  if (!agent || !agent.password_hash) {
    await verifyPassword(input.password, await DUMMY_HASH);
    throw badLogin();
  }
  if (agent.locked_until !== null && agent.locked_until > now) throw lockedError(agent.locked_until, now);
  const ok = await verifyPassword(input.password, agent.password_hash);
  if (!ok) {
    const failures = agent.login_failures + 1;
    const lock = failures >= MAX_LOGIN_FAILURES ? now + LOCKOUT_MS : null;
    await db
      .updateTable('agents')
      .set({ login_failures: lock ? 0 : failures, locked_until: lock })
      .where('id', '=', agent.id)
      .execute();
    if (lock) throw lockedError(lock, now);
    throw badLogin();
  }
  if (agent.is_active !== 1) {
    throw new DomainError('FORBIDDEN', 'This account is deactivated.', 'account_inactive');
  }
  await db
    .updateTable('agents')
    .set({ login_failures: 0, locked_until: null })
    .where('id', '=', agent.id)
    .execute();
  const token = randomBytes(32).toString('base64url');
  const csrf = randomBytes(24).toString('base64url');
  const expiresAt = now + SESSION_TTL_MS;
  await db
    .insertInto('console_sessions')
    .values({
      id: sha256(token),
      tenant_id: agent.tenant_id,
      agent_id: agent.id,
      csrf,
      created_at: now,
      expires_at: expiresAt,
    })
    .execute();
  return { token, csrf, expiresAt, user: await userOf(db, agent) };
}

async function userOf(db: Executor, agent: Agent): Promise<ConsoleUser> {
  return {
    tenantId: agent.tenant_id,
    agentId: agent.id,
    email: agent.email,
    name: agent.name,
    extension: agent.extension,
    role: await consoleRoleOf(db, agent),
  };
}

export interface SessionView {
  user: ConsoleUser;
  csrf: string;
  /** The stored id (hash), for sign-out. */
  id: string;
}

/** The live session behind a cookie token: expired, revoked or of a deactivated/deleted agent reads as none. */
export async function resolveSession(db: Executor, clock: Clock, token: string): Promise<SessionView | null> {
  if (!token || token.length > 100) return null;
  const id = sha256(token);
  const s = await db.selectFrom('console_sessions').selectAll().where('id', '=', id).executeTakeFirst();
  if (!s || s.expires_at <= clock.now()) return null;
  const agent = await db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', s.tenant_id)
    .where('id', '=', s.agent_id)
    .where('deleted_at', 'is', null)
    .where('is_active', '=', 1)
    .executeTakeFirst();
  if (!agent) return null;
  return { id, csrf: s.csrf, user: await userOf(db, agent) };
}

/** Whether a request's CSRF token is the session's (constant time). */
export function csrfMatches(session: SessionView, presented: string | undefined): boolean {
  return typeof presented === 'string' && presented.length > 0 && safeEqual(session.csrf, presented);
}

export async function signOut(db: Executor, sessionId: string): Promise<void> {
  await db.deleteFrom('console_sessions').where('id', '=', sessionId).execute();
}

/** End every session of an agent (password change, deactivation, force logout from the console). */
export async function revokeAgentSessions(db: Executor, tenantId: number, agentId: number): Promise<number> {
  const r = await db
    .deleteFrom('console_sessions')
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .executeTakeFirst();
  return Number(r.numDeletedRows);
}

export function checkConsolePassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH)
    throw invalid(`the password must have at least ${MIN_PASSWORD_LENGTH} characters`, 'password_weak');
  if (password.length > 200) throw invalid('the password must have at most 200 characters', 'password_weak');
}

/** Set an agent's console password (and role when given); every open session of the agent ends. */
export async function setConsolePassword(
  db: Executor,
  clock: Clock,
  tenantId: number,
  email: string,
  password: string,
  role?: ConsoleRole,
): Promise<{ agentId: number; revokedSessions: number }> {
  checkConsolePassword(password);
  const agent = await db
    .selectFrom('agents')
    .select(['id'])
    .where('tenant_id', '=', tenantId)
    .where('email', '=', normalizeEmail(email))
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!agent) throw new DomainError('NOT_FOUND', `no agent with email ${email} in tenant ${tenantId}`);
  await db
    .updateTable('agents')
    .set({
      password_hash: await hashPassword(password),
      login_failures: 0,
      locked_until: null,
      updated_at: clock.now(),
      ...(role ? { console_role: role } : {}),
    })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', agent.id)
    .execute();
  return { agentId: agent.id, revokedSessions: await revokeAgentSessions(db, tenantId, agent.id) };
}

/**
 * Set (or, with null, clear) an agent's explicit role: it decides console rights and who may monitor calls
 * (docs/monitoring.md). Cleared, the OmiCall role name decides again. The agent's console sessions end, so no
 * session keeps rights it lost. Returns the effective role.
 */
export async function setConsoleRole(
  db: Executor,
  clock: Clock,
  tenantId: number,
  agentId: number,
  role: ConsoleRole | null,
): Promise<ConsoleRole> {
  const agent = await db
    .selectFrom('agents')
    .select(['id', 'tenant_id', 'role_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', agentId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!agent) throw new DomainError('NOT_FOUND', `agent ${agentId} not found`, 'agent_not_found');
  await db
    .updateTable('agents')
    .set({ console_role: role, updated_at: clock.now() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', agentId)
    .execute();
  await revokeAgentSessions(db, tenantId, agentId);
  return consoleRoleOf(db, { ...agent, console_role: role });
}
