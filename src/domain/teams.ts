import type { Clock } from '../clock.js';
import { conflict, invalid, notFound } from '../errors.js';
import { type Executor, countAll, isUniqueViolation } from '../store/db.js';
import { chunks, storableIds } from './status-writer.js';
import { bumpRevision } from './tenants.js';

/** Teams: named groups of agents (an agent belongs to zero or more), used for bulk status updates and reports. */

export interface TeamView {
  id: number;
  name: string;
  memberCount: number;
  createdAt: number;
}

export interface TeamMemberView {
  agentId: number;
  extension: string;
  name: string;
  email: string;
}

const MAX_NAME = 100;

function checkTeamName(raw: string): string {
  const name = raw.trim();
  if (!name) throw invalid('team name must not be empty');
  if (name.length > MAX_NAME) throw invalid(`team name must be at most ${MAX_NAME} characters`);
  return name;
}

async function assertNameFree(db: Executor, tenantId: number, name: string, exceptId?: number) {
  // The table's constraint is case-sensitive; "Sales" and "sales" would confuse every picker, so refuse both.
  const rows = await db
    .selectFrom('teams')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const clash = rows.find((r) => r.name.toLowerCase() === name.toLowerCase() && r.id !== exceptId);
  if (clash) throw conflict(`team '${clash.name}' already exists`, 'team_exists');
}

async function memberCount(db: Executor, tenantId: number, teamId: number): Promise<number> {
  const r = await db
    .selectFrom('team_members')
    .innerJoin('agents', 'agents.id', 'team_members.agent_id')
    .select(countAll().as('n'))
    .where('team_members.tenant_id', '=', tenantId)
    .where('team_members.team_id', '=', teamId)
    .where('agents.deleted_at', 'is', null)
    .executeTakeFirst();
  return Number(r?.n ?? 0);
}

export async function createTeam(
  db: Executor,
  clock: Clock,
  tenantId: number,
  rawName: string,
): Promise<TeamView> {
  const name = checkTeamName(rawName);
  await assertNameFree(db, tenantId, name);
  try {
    const row = await db
      .insertInto('teams')
      .values({ tenant_id: tenantId, name, created_at: clock.now() })
      .returningAll()
      .executeTakeFirstOrThrow();
    await bumpRevision(db, tenantId);
    return { id: row.id, name: row.name, memberCount: 0, createdAt: row.created_at };
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`team '${name}' already exists`, 'team_exists');
    throw e;
  }
}

/** The tenant's team by id; another tenant's team is "not found". */
export async function getTeam(db: Executor, tenantId: number, teamId: number): Promise<TeamView> {
  const [id] = storableIds([teamId]);
  const row =
    id === undefined
      ? undefined
      : await db
          .selectFrom('teams')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
  if (!row) throw notFound(`team ${teamId}`);
  return {
    id: row.id,
    name: row.name,
    memberCount: await memberCount(db, tenantId, row.id),
    createdAt: row.created_at,
  };
}

/** A team by id (all digits) or by name (case-insensitive), for the CLI. */
export async function findTeam(db: Executor, tenantId: number, idOrName: string): Promise<TeamView> {
  if (/^\d+$/.test(idOrName)) return getTeam(db, tenantId, Number(idOrName));
  const rows = await db
    .selectFrom('teams')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const hit = rows.find((r) => r.name.toLowerCase() === idOrName.trim().toLowerCase());
  if (!hit) throw notFound(`team '${idOrName}'`);
  return getTeam(db, tenantId, hit.id);
}

export async function listTeams(db: Executor, tenantId: number): Promise<TeamView[]> {
  const rows = await db
    .selectFrom('teams')
    .leftJoin('team_members', 'team_members.team_id', 'teams.id')
    .leftJoin('agents', (j) =>
      j.onRef('agents.id', '=', 'team_members.agent_id').on('agents.deleted_at', 'is', null),
    )
    .select(['teams.id', 'teams.name', 'teams.created_at', (eb) => eb.fn.count<number>('agents.id').as('n')])
    .where('teams.tenant_id', '=', tenantId)
    .groupBy(['teams.id', 'teams.name', 'teams.created_at'])
    .orderBy('teams.id')
    .execute();
  return rows.map((r) => ({ id: r.id, name: r.name, memberCount: Number(r.n), createdAt: r.created_at }));
}

export async function renameTeam(
  db: Executor,
  tenantId: number,
  teamId: number,
  rawName: string,
): Promise<TeamView> {
  await getTeam(db, tenantId, teamId);
  const name = checkTeamName(rawName);
  await assertNameFree(db, tenantId, name, teamId);
  await db
    .updateTable('teams')
    .set({ name })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', teamId)
    .execute();
  await bumpRevision(db, tenantId);
  return getTeam(db, tenantId, teamId);
}

export async function deleteTeam(db: Executor, tenantId: number, teamId: number): Promise<void> {
  await getTeam(db, tenantId, teamId);
  await db
    .deleteFrom('team_members')
    .where('tenant_id', '=', tenantId)
    .where('team_id', '=', teamId)
    .execute();
  await db.deleteFrom('teams').where('tenant_id', '=', tenantId).where('id', '=', teamId).execute();
  await bumpRevision(db, tenantId);
}

/** Add agents to a team (already-members are fine). Every agent must be a live agent of the tenant. */
export async function addTeamMembers(
  db: Executor,
  tenantId: number,
  teamId: number,
  agentIds: readonly number[],
): Promise<{ added: number[] }> {
  await getTeam(db, tenantId, teamId);
  const wanted = [...new Set(agentIds)];
  const live = new Set<number>();
  for (const part of chunks(storableIds(wanted))) {
    const rows = await db
      .selectFrom('agents')
      .select('id')
      .where('tenant_id', '=', tenantId)
      .where('id', 'in', part)
      .where('deleted_at', 'is', null)
      .execute();
    for (const r of rows) live.add(r.id);
  }
  const missing = wanted.filter((id) => !live.has(id));
  if (missing.length > 0)
    throw notFound(`agent ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ', …' : ''}`);
  const existing = new Set(
    (
      await db
        .selectFrom('team_members')
        .select('agent_id')
        .where('tenant_id', '=', tenantId)
        .where('team_id', '=', teamId)
        .execute()
    ).map((r) => r.agent_id),
  );
  const added = wanted.filter((id) => !existing.has(id));
  for (const part of chunks(added)) {
    await db
      .insertInto('team_members')
      .values(part.map((agent_id) => ({ tenant_id: tenantId, team_id: teamId, agent_id })))
      .execute();
  }
  if (added.length > 0) await bumpRevision(db, tenantId);
  return { added };
}

export async function removeTeamMember(
  db: Executor,
  tenantId: number,
  teamId: number,
  agentId: number,
): Promise<void> {
  await getTeam(db, tenantId, teamId);
  const [id] = storableIds([agentId]);
  const res =
    id === undefined
      ? undefined
      : await db
          .deleteFrom('team_members')
          .where('tenant_id', '=', tenantId)
          .where('team_id', '=', teamId)
          .where('agent_id', '=', id)
          .executeTakeFirst();
  if (!res || Number(res.numDeletedRows) === 0) throw notFound(`agent ${agentId} in team ${teamId}`);
  await bumpRevision(db, tenantId);
}

export async function listTeamMembers(
  db: Executor,
  tenantId: number,
  teamId: number,
): Promise<TeamMemberView[]> {
  await getTeam(db, tenantId, teamId);
  const rows = await db
    .selectFrom('team_members')
    .innerJoin('agents', 'agents.id', 'team_members.agent_id')
    .select(['agents.id', 'agents.extension', 'agents.name', 'agents.email'])
    .where('team_members.tenant_id', '=', tenantId)
    .where('team_members.team_id', '=', teamId)
    .where('agents.deleted_at', 'is', null)
    .orderBy('agents.id')
    .execute();
  return rows.map((r) => ({ agentId: r.id, extension: r.extension, name: r.name, email: r.email }));
}

/**
 * The live agents of the tenant's teams among `teamIds` (by team order, then agent id), and which team ids are
 * unknown to this tenant. Another tenant's team is unknown.
 */
export async function expandTeams(
  db: Executor,
  tenantId: number,
  teamIds: readonly number[],
): Promise<{ agentIds: number[]; missingTeamIds: number[] }> {
  const wanted = [...new Set(teamIds)];
  const ids = storableIds(wanted);
  if (ids.length === 0) return { agentIds: [], missingTeamIds: wanted };
  const teams = await db
    .selectFrom('teams')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', ids)
    .execute();
  const found = new Set(teams.map((t) => t.id));
  const rows =
    found.size === 0
      ? []
      : await db
          .selectFrom('team_members')
          .innerJoin('agents', 'agents.id', 'team_members.agent_id')
          .select(['team_members.team_id', 'agents.id'])
          .where('team_members.tenant_id', '=', tenantId)
          .where('agents.tenant_id', '=', tenantId)
          .where('team_members.team_id', 'in', [...found])
          .where('agents.deleted_at', 'is', null)
          .orderBy('agents.id')
          .execute();
  const byTeam = new Map<number, number[]>();
  for (const r of rows) {
    const list = byTeam.get(r.team_id);
    if (list) list.push(r.id);
    else byTeam.set(r.team_id, [r.id]);
  }
  const agentIds = [...new Set(wanted.flatMap((t) => byTeam.get(t) ?? []))];
  return { agentIds, missingTeamIds: wanted.filter((t) => !found.has(t)) };
}

/** A live agent of the tenant by id (all digits) or email, for the CLI; another tenant's agent is "not found". */
export async function findAgentRef(db: Executor, tenantId: number, ref: string): Promise<{ id: number }> {
  const key = ref.trim();
  let q = db
    .selectFrom('agents')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null);
  if (/^\d+$/.test(key)) {
    const [id] = storableIds([Number(key)]);
    if (id === undefined) throw notFound(`agent ${ref}`);
    q = q.where('id', '=', id);
  } else if (key.includes('@')) {
    q = q.where('email', '=', key.toLowerCase());
  } else {
    throw invalid(`--agent must be an agent id or an email address, got "${ref}"`);
  }
  const row = await q.executeTakeFirst();
  if (!row) throw notFound(`agent ${ref}`);
  return row;
}
