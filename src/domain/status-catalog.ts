import type { Clock } from '../clock.js';
import { DomainError, conflict, invalid, notFound } from '../errors.js';
import { type Executor, countAll, isUniqueViolation } from '../store/db.js';
import type { Status } from '../store/schema.js';
import { SYSTEM_STATUSES } from './statuses.js';
import { systemStatusOf } from './status-rules.js';
import { bumpRevision } from './tenants.js';

/** A tenant's custom statuses (Available, Lunch, …): names unique case-insensitively, never a system name. */

const MAX_NAME = 50;

export interface StatusEntry {
  id: number | null;
  name: string;
  kind: 'custom' | 'system';
  isReady: boolean;
  position: number;
}

/** A valid custom status name (trimmed), or an INVALID_INPUT error saying what is wrong. */
export function checkStatusName(raw: string): string {
  const name = raw.trim();
  if (!name) throw invalid('status name must not be empty');
  if (name.length > MAX_NAME) throw invalid(`status name must be at most ${MAX_NAME} characters`);
  if (/[\u0000-\u001f\u007f]/.test(name)) throw invalid('status name must not contain control characters');
  const sys = systemStatusOf(name);
  if (sys) throw conflict(`'${name}' is the name of the system status '${sys}'`, 'system_status_name');
  return name;
}

/** The tenant's live custom statuses in display order. */
export function listCustomStatuses(db: Executor, tenantId: number): Promise<Status[]> {
  return db
    .selectFrom('statuses')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .orderBy('id')
    .execute();
}

/** Custom statuses first (display order), then the platform's system statuses. */
export async function listAllStatuses(db: Executor, tenantId: number): Promise<StatusEntry[]> {
  const custom = await listCustomStatuses(db, tenantId);
  return [
    ...custom.map((s) => ({
      id: s.id,
      name: s.name,
      kind: 'custom' as const,
      isReady: s.is_ready === 1,
      position: s.position,
    })),
    ...SYSTEM_STATUSES.map((name, i) => ({
      id: null,
      name,
      kind: 'system' as const,
      isReady: false,
      position: 1000 + i,
    })),
  ];
}

/** The live custom status named `name` (case-insensitive), if any. */
export function findCustomStatus(db: Executor, tenantId: number, name: string): Promise<Status | undefined> {
  return db
    .selectFrom('statuses')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('name_key', '=', name.trim().toLowerCase())
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
}

export async function getCustomStatus(db: Executor, tenantId: number, id: number): Promise<Status> {
  const s = await db
    .selectFrom('statuses')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  if (!s) throw notFound(`status ${id}`);
  return s;
}

/** The status an agent gets on login: the first ready custom status in display order. */
export function firstReadyStatus(db: Executor, tenantId: number): Promise<Status | undefined> {
  return db
    .selectFrom('statuses')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('is_ready', '=', 1)
    .where('deleted_at', 'is', null)
    .orderBy('position')
    .orderBy('id')
    .limit(1)
    .executeTakeFirst();
}

async function nameTaken(db: Executor, tenantId: number, name: string, exceptId?: number) {
  const s = await findCustomStatus(db, tenantId, name);
  if (s && s.id !== exceptId) throw conflict(`status '${s.name}' already exists`, 'status_exists');
}

export async function createCustomStatus(
  db: Executor,
  clock: Clock,
  tenantId: number,
  input: { name: string; isReady?: boolean },
): Promise<Status> {
  const name = checkStatusName(input.name);
  await nameTaken(db, tenantId, name);
  const max = await db
    .selectFrom('statuses')
    .select((eb) => eb.fn.max('position').as('max'))
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  try {
    const row = await db
      .insertInto('statuses')
      .values({
        tenant_id: tenantId,
        name,
        name_key: name.toLowerCase(),
        is_ready: input.isReady ? 1 : 0,
        position: max?.max == null ? 0 : Number(max.max) + 1,
        created_at: clock.now(),
        deleted_at: null,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await bumpRevision(db, tenantId);
    return row;
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`status '${name}' already exists`, 'status_exists');
    throw e;
  }
}

async function readyCountExcept(db: Executor, tenantId: number, id: number): Promise<number> {
  const r = await db
    .selectFrom('statuses')
    .select(countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('is_ready', '=', 1)
    .where('deleted_at', 'is', null)
    .where('id', '!=', id)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

const lastReady = (name: string) =>
  new DomainError(
    'CONFLICT',
    `status '${name}' is the tenant's last ready status; agents could not log in without one`,
    'last_ready_status',
  );

/** Rename a custom status and/or change whether it takes calls; agents in it follow the new name. */
export async function updateCustomStatus(
  db: Executor,
  tenantId: number,
  id: number,
  input: { name?: string; isReady?: boolean },
): Promise<Status> {
  const cur = await getCustomStatus(db, tenantId, id);
  const name = input.name === undefined ? cur.name : checkStatusName(input.name);
  if (name !== cur.name) await nameTaken(db, tenantId, name, id);
  if (input.isReady === false && cur.is_ready === 1 && (await readyCountExcept(db, tenantId, id)) === 0)
    throw lastReady(cur.name);
  const isReady = input.isReady === undefined ? cur.is_ready : input.isReady ? 1 : 0;
  await db
    .updateTable('statuses')
    .set({ name, name_key: name.toLowerCase(), is_ready: isReady })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
  if (name !== cur.name) {
    // Agents in a system status keep status_id and pick up the new name when they return to it.
    await db
      .updateTable('agents')
      .set({ status: name })
      .where('tenant_id', '=', tenantId)
      .where('status_id', '=', id)
      .where('status', '=', cur.name)
      .execute();
  }
  await bumpRevision(db, tenantId);
  return getCustomStatus(db, tenantId, id);
}

/** Delete a custom status nobody is in (or will return to after a call), and never the last ready one. */
export async function deleteCustomStatus(db: Executor, clock: Clock, tenantId: number, id: number) {
  const cur = await getCustomStatus(db, tenantId, id);
  const inUse = await db
    .selectFrom('agents')
    .select(countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('status_id', '=', id)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  const n = Number(inUse?.n ?? 0);
  if (n > 0)
    throw conflict(
      `status '${cur.name}' is in use by ${n} agent${n === 1 ? '' : 's'}; move them to another status first`,
      'status_in_use',
    );
  if (cur.is_ready === 1 && (await readyCountExcept(db, tenantId, id)) === 0) throw lastReady(cur.name);
  await db
    .updateTable('statuses')
    .set({ deleted_at: clock.now() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .execute();
  await bumpRevision(db, tenantId);
}
