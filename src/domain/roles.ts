import type { Clock } from '../clock.js';
import { conflict, invalid, notFound } from '../errors.js';
import { hex24 } from '../ids.js';
import { type Executor, isUniqueViolation } from '../store/db.js';
import type { RoleTable } from '../store/schema.js';
import type { Selectable } from 'kysely';
import { bumpRevision } from './tenants.js';

export type Role = Selectable<RoleTable>;

export interface CreateRoleInput {
  name: string;
  /** The role invites get when they name none; at most one per tenant. */
  isDefault?: boolean;
}

/** Create a tenant role (24-hex `uid`, the id OmiCall clients see). Names are unique per tenant. */
export async function createRole(
  db: Executor,
  clock: Clock,
  tenantId: number,
  input: CreateRoleInput,
): Promise<Role> {
  const name = input.name.trim();
  if (!name) throw invalid('role name must not be empty', 'role_name_invalid');
  if (name.length > 100) throw invalid('role name must be at most 100 characters', 'role_name_invalid');
  if (await findRoleByName(db, tenantId, name))
    throw conflict(`a role named "${name}" already exists`, 'role_exists');
  if (input.isDefault) {
    await db.updateTable('roles').set({ is_default: 0 }).where('tenant_id', '=', tenantId).execute();
  }
  try {
    const role = await db
      .insertInto('roles')
      .values({
        tenant_id: tenantId,
        uid: hex24(),
        name,
        is_default: input.isDefault ? 1 : 0,
        created_at: clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await bumpRevision(db, tenantId);
    return role;
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`a role named "${name}" already exists`, 'role_exists');
    throw e;
  }
}

export function listRoles(db: Executor, tenantId: number): Promise<Role[]> {
  return db.selectFrom('roles').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute();
}

/** By exact name first, then case-insensitively (done here: SQL lower() does not fold Vietnamese letters). */
export async function findRoleByName(
  db: Executor,
  tenantId: number,
  name: string,
): Promise<Role | undefined> {
  const wanted = name.trim();
  const roles = await listRoles(db, tenantId);
  return (
    roles.find((r) => r.name === wanted) ??
    roles.find((r) => r.name.toLocaleLowerCase() === wanted.toLocaleLowerCase())
  );
}

export async function getRoleByUid(db: Executor, tenantId: number, uid: string): Promise<Role> {
  const role = await db
    .selectFrom('roles')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('uid', '=', uid)
    .executeTakeFirst();
  if (!role) throw notFound(`role ${uid}`, 'role_not_found');
  return role;
}

export function getDefaultRole(db: Executor, tenantId: number): Promise<Role | undefined> {
  return db
    .selectFrom('roles')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('is_default', '=', 1)
    .orderBy('id')
    .executeTakeFirst();
}

/**
 * The role names the OmiCall document lists for invites (`role_name`), "Sale" being the default. Every tenant has
 * them (seeded at creation, and by migration 0006_wire for tenants created before), so an integration that names
 * one of them works on a fresh tenant.
 */
export const DOCUMENT_ROLES = [
  'Sale',
  'Trưởng nhóm sale',
  'Trưởng phòng Kinh Doanh',
  'Kế toán',
  'Giám đốc',
] as const;

/**
 * Add the document's roles the tenant lacks (a role of the same name, compared case-insensitively, counts) and make
 * "Sale" the default when the tenant has no default role. Existing roles are never changed. Run inside the
 * transaction that creates the tenant.
 */
export async function seedDocumentRoles(db: Executor, clock: Clock, tenantId: number): Promise<void> {
  const existing = await listRoles(db, tenantId);
  const have = new Set(existing.map((r) => r.name.toLocaleLowerCase()));
  const hasDefault = existing.some((r) => r.is_default === 1);
  const missing = DOCUMENT_ROLES.filter((n) => !have.has(n.toLocaleLowerCase()));
  if (missing.length === 0 && hasDefault) return;
  const now = clock.now();
  if (missing.length > 0) {
    await db
      .insertInto('roles')
      .values(
        missing.map((name) => ({
          tenant_id: tenantId,
          uid: hex24(),
          name,
          is_default: !hasDefault && name === 'Sale' ? 1 : 0,
          created_at: now,
        })),
      )
      .execute();
  }
  if (!hasDefault && !missing.includes('Sale')) {
    // The tenant has a "Sale" of its own (any case) but no default: the document's default is Sale.
    const sale = existing.find((r) => r.name.toLocaleLowerCase() === 'sale')!;
    await db.updateTable('roles').set({ is_default: 1 }).where('id', '=', sale.id).execute();
  }
  await bumpRevision(db, tenantId);
}
