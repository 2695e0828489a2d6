import type { Clock } from '../clock.js';
import { DomainError, conflict, notFound } from '../errors.js';
import { type Executor, isUniqueViolation } from '../store/db.js';
import type { Skill } from '../store/schema.js';
import type { Flow } from '../ivr/schema.js';
import { FlowInvalid, flowSkillRefs } from '../ivr/validate.js';
import { getAgentById } from './agents.js';
import { getInboundQueue } from './queues.js';
import { storableIds } from './status-writer.js';
import { bumpRevision } from './tenants.js';

/**
 * Skills (docs/acd.md, Skills): a tenant's named skills, each agent's proficiency (1–5) in some of them, and the
 * skills a queue requires with the steps that relax each requirement as the caller waits. Every change bumps the
 * tenant's revision, so the ACD reloads them with the next call.
 *
 * Agent skill lists and queue requirement lists are JSON documents with snake_case fields (the native API's and
 * the CLI's); an invalid one is refused whole with the JSON pointer of the first problem in `path`
 * (`/skills/1/proficiency`), like an IVR flow.
 */

export const MIN_PROFICIENCY = 1;
export const MAX_PROFICIENCY = 5;
const MAX_NAME = 60;
const MAX_DESCRIPTION = 500;
const MAX_ITEMS = 50;
const MAX_STEPS = 5;
/** A day: longer than any queue's sensible wait. */
const MAX_AFTER_SEC = 86_400;

export interface SkillView {
  id: number;
  name: string;
  description: string;
  createdAt: number;
  updatedAt: number;
}

export interface AgentSkillInput {
  skill_id: number;
  proficiency: number;
}

export interface RelaxStepInput {
  after_sec: number;
  min_proficiency: number;
}

export interface SkillRequirementInput {
  skill_id: number;
  min_proficiency: number;
  relax?: RelaxStepInput[];
}

/** An agent's skill with its name. */
export interface AgentSkillView extends AgentSkillInput {
  name: string;
}

/** A queue's requirement with the skill's name; `relax` always present (possibly empty). */
export interface SkillRequirementView extends SkillRequirementInput {
  name: string;
  relax: RelaxStepInput[];
}

/** One invalid value of a list: 400 with the JSON pointer of the field. */
export function invalidAt(path: string, problem: string): DomainError {
  return new DomainError('INVALID_INPUT', `${path}: ${problem}`, 'invalid_input', { path });
}

const view = (s: Skill): SkillView => ({
  id: s.id,
  name: s.name,
  description: s.description,
  createdAt: s.created_at,
  updatedAt: s.updated_at,
});

function checkName(raw: string): string {
  const name = raw.trim();
  if (!name) throw invalidAt('/name', 'must not be empty');
  if (name.length > MAX_NAME) throw invalidAt('/name', `must be at most ${MAX_NAME} characters`);
  return name;
}

function checkDescription(raw: string | undefined): string {
  const d = (raw ?? '').trim();
  if (d.length > MAX_DESCRIPTION)
    throw invalidAt('/description', `must be at most ${MAX_DESCRIPTION} characters`);
  return d;
}

async function assertNameFree(db: Executor, tenantId: number, name: string, exceptId?: number) {
  // Case-insensitive, as for teams: "Billing" and "billing" would confuse every picker.
  const rows = await db
    .selectFrom('skills')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .execute();
  const clash = rows.find((r) => r.name.toLowerCase() === name.toLowerCase() && r.id !== exceptId);
  if (clash) throw conflict(`skill '${clash.name}' already exists`);
}

export async function listSkills(db: Executor, tenantId: number): Promise<SkillView[]> {
  const rows = await db
    .selectFrom('skills')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .orderBy('id')
    .execute();
  return rows.map(view);
}

/** The tenant's skill; another tenant's is "not found". */
export async function getSkill(db: Executor, tenantId: number, skillId: number): Promise<SkillView> {
  const [id] = storableIds([skillId]);
  const row =
    id === undefined
      ? undefined
      : await db
          .selectFrom('skills')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst();
  if (!row) throw notFound(`skill ${skillId}`);
  return view(row);
}

/** A skill by id (all digits) or by name (case-insensitive), for the CLI. */
export async function findSkill(db: Executor, tenantId: number, idOrName: string): Promise<SkillView> {
  if (/^\d+$/.test(idOrName)) return getSkill(db, tenantId, Number(idOrName));
  const hit = (await listSkills(db, tenantId)).find(
    (s) => s.name.toLowerCase() === idOrName.trim().toLowerCase(),
  );
  if (!hit) throw notFound(`skill '${idOrName}'`);
  return hit;
}

export async function createSkill(
  db: Executor,
  clock: Clock,
  tenantId: number,
  input: { name: string; description?: string },
): Promise<SkillView> {
  const name = checkName(input.name);
  const description = checkDescription(input.description);
  await assertNameFree(db, tenantId, name);
  const now = clock.now();
  try {
    const row = await db
      .insertInto('skills')
      .values({ tenant_id: tenantId, name, description, created_at: now, updated_at: now })
      .returningAll()
      .executeTakeFirstOrThrow();
    await bumpRevision(db, tenantId);
    return view(row);
  } catch (e) {
    if (isUniqueViolation(e)) throw conflict(`skill '${name}' already exists`);
    throw e;
  }
}

export async function updateSkill(
  db: Executor,
  clock: Clock,
  tenantId: number,
  skillId: number,
  input: { name?: string; description?: string },
): Promise<SkillView> {
  const current = await getSkill(db, tenantId, skillId);
  const name = input.name === undefined ? current.name : checkName(input.name);
  const description =
    input.description === undefined ? current.description : checkDescription(input.description);
  if (name !== current.name) await assertNameFree(db, tenantId, name, current.id);
  await db
    .updateTable('skills')
    .set({ name, description, updated_at: clock.now() })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', current.id)
    .execute();
  await bumpRevision(db, tenantId);
  return getSkill(db, tenantId, current.id);
}

/** Deletes the skill: agents no longer hold it and queues no longer require it. */
export async function deleteSkill(db: Executor, tenantId: number, skillId: number): Promise<void> {
  const s = await getSkill(db, tenantId, skillId);
  await db
    .deleteFrom('agent_skills')
    .where('tenant_id', '=', tenantId)
    .where('skill_id', '=', s.id)
    .execute();
  await db
    .deleteFrom('queue_skills')
    .where('tenant_id', '=', tenantId)
    .where('skill_id', '=', s.id)
    .execute();
  await db.deleteFrom('skills').where('tenant_id', '=', tenantId).where('id', '=', s.id).execute();
  await bumpRevision(db, tenantId);
}

/** The tenant's skills by id (to check references and to name them). */
async function skillNames(db: Executor, tenantId: number): Promise<Map<number, string>> {
  const rows = await db
    .selectFrom('skills')
    .select(['id', 'name'])
    .where('tenant_id', '=', tenantId)
    .execute();
  return new Map(rows.map((r) => [r.id, r.name]));
}

const isInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v);

function checkLevel(v: unknown, path: string, min: number, max: number): number {
  if (!isInt(v) || v < min || v > max) throw invalidAt(path, `must be an integer from ${min} to ${max}`);
  return v;
}

/** Checks one list's skill references: each a skill of the tenant, none twice. */
function checkSkillRef(v: unknown, path: string, known: Map<number, string>, seen: Set<number>): number {
  if (!isInt(v) || !known.has(v)) throw invalidAt(path, `no skill ${JSON.stringify(v)} in this tenant`);
  if (seen.has(v)) throw invalidAt(path, `skill ${v} is listed twice`);
  seen.add(v);
  return v;
}

/** Validates an agent's skill list against the tenant's skills (pointers under `base`, e.g. `/skills`). */
export function checkAgentSkills(
  list: unknown,
  known: Map<number, string>,
  base = '/skills',
): AgentSkillInput[] {
  if (!Array.isArray(list)) throw invalidAt(base, 'must be a list');
  if (list.length > MAX_ITEMS) throw invalidAt(base, `must have at most ${MAX_ITEMS} skills`);
  const seen = new Set<number>();
  return list.map((item: unknown, i) => {
    const p = `${base}/${i}`;
    if (typeof item !== 'object' || item === null) throw invalidAt(p, 'must be an object');
    const o = item as Record<string, unknown>;
    return {
      skill_id: checkSkillRef(o.skill_id, `${p}/skill_id`, known, seen),
      proficiency: checkLevel(o.proficiency, `${p}/proficiency`, MIN_PROFICIENCY, MAX_PROFICIENCY),
    };
  });
}

/**
 * Validates requirements: each names a skill of the tenant once, a minimum 1–5, and relax steps with growing
 * `after_sec` (1 s to a day) whose minimums fall (0 drops the requirement; nothing may follow a drop).
 */
export function checkRequirements(
  list: unknown,
  known: Map<number, string>,
  base = '/requirements',
): SkillRequirementInput[] {
  if (!Array.isArray(list)) throw invalidAt(base, 'must be a list');
  if (list.length > MAX_ITEMS) throw invalidAt(base, `must have at most ${MAX_ITEMS} requirements`);
  const seen = new Set<number>();
  return list.map((item: unknown, i) => {
    const p = `${base}/${i}`;
    if (typeof item !== 'object' || item === null) throw invalidAt(p, 'must be an object');
    const o = item as Record<string, unknown>;
    const skill_id = checkSkillRef(o.skill_id, `${p}/skill_id`, known, seen);
    const min_proficiency = checkLevel(
      o.min_proficiency,
      `${p}/min_proficiency`,
      MIN_PROFICIENCY,
      MAX_PROFICIENCY,
    );
    return { skill_id, min_proficiency, relax: checkSteps(o.relax ?? [], `${p}/relax`, min_proficiency) };
  });
}

function checkSteps(steps: unknown, base: string, initial: number): RelaxStepInput[] {
  if (!Array.isArray(steps)) throw invalidAt(base, 'must be a list');
  if (steps.length > MAX_STEPS) throw invalidAt(base, `must have at most ${MAX_STEPS} steps`);
  let after = 0;
  let level = initial;
  return steps.map((step: unknown, i) => {
    const p = `${base}/${i}`;
    if (typeof step !== 'object' || step === null) throw invalidAt(p, 'must be an object');
    const o = step as Record<string, unknown>;
    if (level === 0) throw invalidAt(p, 'the requirement is already dropped by the step before');
    const a = checkLevel(o.after_sec, `${p}/after_sec`, 1, MAX_AFTER_SEC);
    if (a <= after) throw invalidAt(`${p}/after_sec`, `must be later than the step before (${after} s)`);
    const m = checkLevel(o.min_proficiency, `${p}/min_proficiency`, 0, MAX_PROFICIENCY - 1);
    if (m >= level)
      throw invalidAt(`${p}/min_proficiency`, `must be lower than the minimum before (${level})`);
    after = a;
    level = m;
    return { after_sec: a, min_proficiency: m };
  });
}

/** The tenant's live agent, or 404 (an id no column can hold is simply not found). */
async function ensureAgent(db: Executor, tenantId: number, agentId: number): Promise<void> {
  if (storableIds([agentId]).length === 0) throw notFound(`agent ${agentId}`);
  await getAgentById(db, tenantId, agentId);
}

async function ensureQueue(db: Executor, tenantId: number, queueId: number): Promise<void> {
  if (storableIds([queueId]).length === 0) throw notFound(`queue ${queueId}`);
  await getInboundQueue(db, tenantId, queueId);
}

/** The agent's skills with names, by skill name. */
export async function getAgentSkills(
  db: Executor,
  tenantId: number,
  agentId: number,
): Promise<AgentSkillView[]> {
  await ensureAgent(db, tenantId, agentId);
  const rows = await db
    .selectFrom('agent_skills')
    .innerJoin('skills', 'skills.id', 'agent_skills.skill_id')
    .select(['agent_skills.skill_id', 'agent_skills.proficiency', 'skills.name'])
    .where('agent_skills.tenant_id', '=', tenantId)
    .where('agent_skills.agent_id', '=', agentId)
    .orderBy('skills.name')
    .execute();
  return rows.map((r) => ({ skill_id: r.skill_id, proficiency: r.proficiency, name: r.name }));
}

/** Replaces the agent's whole skill list (an unknown agent is 404; an invalid list is refused whole). */
export async function setAgentSkills(
  db: Executor,
  tenantId: number,
  agentId: number,
  list: unknown,
): Promise<AgentSkillView[]> {
  await ensureAgent(db, tenantId, agentId);
  const skills = checkAgentSkills(list, await skillNames(db, tenantId));
  await db
    .deleteFrom('agent_skills')
    .where('tenant_id', '=', tenantId)
    .where('agent_id', '=', agentId)
    .execute();
  if (skills.length > 0) {
    await db
      .insertInto('agent_skills')
      .values(skills.map((s) => ({ tenant_id: tenantId, agent_id: agentId, ...s })))
      .execute();
  }
  await bumpRevision(db, tenantId);
  return getAgentSkills(db, tenantId, agentId);
}

/** The queue's requirements with names, by skill name. */
export async function getQueueSkills(
  db: Executor,
  tenantId: number,
  queueId: number,
): Promise<SkillRequirementView[]> {
  await ensureQueue(db, tenantId, queueId);
  const rows = await db
    .selectFrom('queue_skills')
    .innerJoin('skills', 'skills.id', 'queue_skills.skill_id')
    .select(['queue_skills.skill_id', 'queue_skills.min_proficiency', 'queue_skills.relax', 'skills.name'])
    .where('queue_skills.tenant_id', '=', tenantId)
    .where('queue_skills.queue_id', '=', queueId)
    .orderBy('skills.name')
    .execute();
  return rows.map((r) => ({
    skill_id: r.skill_id,
    min_proficiency: r.min_proficiency,
    relax: parseSteps(r.relax),
    name: r.name,
  }));
}

/** Replaces the queue's whole requirement list. */
export async function setQueueSkills(
  db: Executor,
  tenantId: number,
  queueId: number,
  list: unknown,
): Promise<SkillRequirementView[]> {
  await ensureQueue(db, tenantId, queueId);
  const reqs = checkRequirements(list, await skillNames(db, tenantId));
  await db
    .deleteFrom('queue_skills')
    .where('tenant_id', '=', tenantId)
    .where('queue_id', '=', queueId)
    .execute();
  if (reqs.length > 0) {
    await db
      .insertInto('queue_skills')
      .values(
        reqs.map((r) => ({
          tenant_id: tenantId,
          queue_id: queueId,
          skill_id: r.skill_id,
          min_proficiency: r.min_proficiency,
          relax: JSON.stringify(r.relax ?? []),
        })),
      )
      .execute();
  }
  await bumpRevision(db, tenantId);
  return getQueueSkills(db, tenantId, queueId);
}

/** The stored relax steps (written by setQueueSkills); anything unreadable relaxes nothing. */
export function parseSteps(json: string): RelaxStepInput[] {
  try {
    const v: unknown = JSON.parse(json);
    if (!Array.isArray(v)) return [];
    return v.filter(
      (s): s is RelaxStepInput =>
        typeof s === 'object' && s !== null && isInt(s.after_sec) && isInt(s.min_proficiency),
    );
  } catch {
    return [];
  }
}

/** Every skill a flow's queue branches require is one of the tenant's (FlowInvalid at the first that is not). */
export async function checkFlowSkills(db: Executor, tenantId: number, flow: Flow): Promise<void> {
  const refs = flowSkillRefs(flow);
  if (refs.length === 0) return;
  const known = await skillNames(db, tenantId);
  const bad = refs.find((r) => !known.has(r.skillId));
  if (bad) throw new FlowInvalid(bad.path, `no skill ${bad.skillId} in this tenant`);
}

/** The ACD's view of a tenant's skills: each agent's proficiencies and each queue's requirements. */
export interface SkillSetup {
  agents: Map<number, { skillId: number; proficiency: number }[]>;
  queues: Map<
    number,
    { skillId: number; minProficiency: number; relax: { afterSec: number; minProficiency: number }[] }[]
  >;
  /** Every skill id of the tenant (a branch requirement naming a deleted skill is ignored). */
  skillIds: Set<number>;
}

export async function skillSetupOf(db: Executor, tenantId: number): Promise<SkillSetup> {
  const [skills, agentRows, queueRows] = await Promise.all([
    db.selectFrom('skills').select('id').where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('agent_skills').selectAll().where('tenant_id', '=', tenantId).execute(),
    db.selectFrom('queue_skills').selectAll().where('tenant_id', '=', tenantId).execute(),
  ]);
  const agents: SkillSetup['agents'] = new Map();
  for (const r of agentRows) {
    const list = agents.get(r.agent_id) ?? [];
    list.push({ skillId: r.skill_id, proficiency: r.proficiency });
    agents.set(r.agent_id, list);
  }
  const queues: SkillSetup['queues'] = new Map();
  for (const r of queueRows) {
    const list = queues.get(r.queue_id) ?? [];
    list.push({
      skillId: r.skill_id,
      minProficiency: r.min_proficiency,
      relax: parseSteps(r.relax).map((s) => ({ afterSec: s.after_sec, minProficiency: s.min_proficiency })),
    });
    queues.set(r.queue_id, list);
  }
  return { agents, queues, skillIds: new Set(skills.map((s) => s.id)) };
}
