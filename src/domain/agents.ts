import { randomInt } from 'node:crypto';
import type { Clock } from '../clock.js';
import { conflict, invalid, notFound } from '../errors.js';
import { hex32 } from '../ids.js';
import { type Executor, isUniqueViolation } from '../store/db.js';
import type { Agent } from '../store/schema.js';
import type { SecretBox } from './secrets.js';
import { bumpRevision } from './tenants.js';

const FIRST_EXTENSION = 1001;
const EMAIL_RE = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const SIP_PASSWORD_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789';

export interface CreateAgentInput {
  name: string;
  email: string;
  phone?: string | null;
  /** Extension number; allocated (next free from 1001) when absent. Leading zeros are kept. */
  extension?: string;
  passwordHash?: string | null;
  roleId?: number | null;
  servicePackageId?: number | null;
  ownerEmail?: string | null;
  username?: string | null;
  gender?: string | null;
  attributes?: Record<string, unknown>;
  createdBy?: string;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function isValidEmail(email: string): boolean {
  return email.length <= 254 && EMAIL_RE.test(email);
}

export function generateSipPassword(length = 12): string {
  let s = '';
  for (let i = 0; i < length; i++) s += SIP_PASSWORD_ALPHABET[randomInt(SIP_PASSWORD_ALPHABET.length)];
  return s;
}

async function nextExtension(db: Executor, tenantId: number): Promise<string> {
  const rows = await db
    .selectFrom('agents')
    .select('extension')
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .execute();
  let max = FIRST_EXTENSION - 1;
  for (const r of rows) {
    if (/^\d{1,9}$/.test(r.extension)) max = Math.max(max, Number(r.extension));
  }
  return String(max + 1);
}

/**
 * Create an agent with SIP credentials (the password sealed, because digest auth needs it back).
 * Returns the agent and its SIP password in clear, to be shown once.
 */
export async function createAgent(
  db: Executor,
  clock: Clock,
  box: SecretBox,
  tenantId: number,
  input: CreateAgentInput,
): Promise<{ agent: Agent; sipPassword: string }> {
  const name = input.name.trim();
  if (!name) throw invalid('name is required', 'name_required');
  const email = normalizeEmail(input.email);
  if (!isValidEmail(email)) throw invalid(`"${input.email}" is not a valid email address`, 'email_invalid');
  if (input.extension !== undefined && !/^\d{2,10}$/.test(input.extension)) {
    throw invalid('extension must be 2 to 10 digits', 'extension_invalid');
  }
  const sipPassword = generateSipPassword();
  const now = clock.now();
  for (let attempt = 0; attempt < 5; attempt++) {
    const existing = await db
      .selectFrom('agents')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('email', '=', email)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (existing) throw conflict(`an agent with email ${email} already exists`, 'agent_exists');
    const extension = input.extension ?? (await nextExtension(db, tenantId));
    try {
      const agent = await db
        .insertInto('agents')
        .values({
          tenant_id: tenantId,
          uid: hex32(),
          extension,
          name,
          email,
          phone: input.phone ?? null,
          username: input.username ?? email.split('@')[0] ?? null,
          gender: input.gender ?? null,
          role_id: input.roleId ?? null,
          service_package_id: input.servicePackageId ?? null,
          owner_email: input.ownerEmail ?? null,
          attributes: JSON.stringify(input.attributes ?? {}),
          password_hash: input.passwordHash ?? null,
          sip_password_enc: box.seal(sipPassword),
          callout_queue_id: null,
          status_id: null,
          status_changed_at: now,
          created_by: input.createdBy ?? null,
          updated_by: input.createdBy ?? null,
          created_at: now,
          updated_at: now,
          deleted_at: null,
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await bumpRevision(db, tenantId);
      return { agent, sipPassword };
    } catch (e) {
      if (!isUniqueViolation(e)) throw e;
      if (input.extension !== undefined)
        throw conflict(`extension ${input.extension} is taken`, 'extension_exists');
      // Another writer took the same extension or email at the same moment: look again.
    }
  }
  throw conflict('could not allocate an extension, try again', 'extension_unavailable');
}

/** A live (not deleted) agent of the tenant by extension; another tenant's agent is "not found". */
export async function getAgentByExtension(db: Executor, tenantId: number, extension: string): Promise<Agent> {
  const a = await db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('extension', '=', extension)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!a) throw notFound(`agent ${extension}`);
  return a;
}

export async function getAgentById(db: Executor, tenantId: number, id: number): Promise<Agent> {
  const a = await db
    .selectFrom('agents')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!a) throw notFound(`agent ${id}`);
  return a;
}

export function sipPasswordOf(box: SecretBox, agent: Pick<Agent, 'sip_password_enc'>): string {
  return box.open(agent.sip_password_enc);
}
