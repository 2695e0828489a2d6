import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { invalid } from '../errors.js';
import {
  createSkill,
  deleteSkill,
  findSkill,
  getAgentSkills,
  getQueueSkills,
  listSkills,
  setAgentSkills,
  setQueueSkills,
} from '../domain/skills.js';
import { findAgentRef } from '../domain/teams.js';
import { getTenant } from '../domain/tenants.js';
import { type Db, type Executor, inTransaction } from '../store/db.js';
import { printResult } from './output.js';

/** What the skill commands need from the CLI's entry point (src/cli/main.ts). */
export interface SkillCommandDeps {
  /** Run `fn` against the configured store, then close it. */
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  json(): boolean | undefined;
  /** Parse and check `--tenant`. */
  tenantId(raw: string): number;
}

type InTenant = <T>(raw: string, fn: (db: Db, tenantId: number) => Promise<T>) => Promise<T>;

/** `tongdai skill create | list | delete | set-agent | set-queue` (docs/api/native-skills.md). */
export function registerSkillCommands(program: Command, deps: SkillCommandDeps): void {
  const skill = program
    .command('skill')
    .description("manage a tenant's skills, agents' proficiencies, queue requirements");
  const inTenant: InTenant = (raw, fn) =>
    deps.withDb(async (db) => {
      const id = deps.tenantId(raw);
      await getTenant(db, id);
      return fn(db, id);
    });

  skill
    .command('create')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--name <name>', 'skill name (unique in the tenant, case-insensitively)')
    .option('--description <text>', 'what the skill means')
    .action(async (o: { tenant: string; name: string; description?: string }) => {
      const s = await inTenant(o.tenant, (db, id) =>
        inTransaction(db, (tx) =>
          createSkill(tx, systemClock, id, {
            name: o.name,
            ...(o.description ? { description: o.description } : {}),
          }),
        ),
      );
      printResult(deps.json(), { skill_id: s.id, name: s.name }, `created skill ${s.id} (${s.name})`);
    });

  skill
    .command('list')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (o: { tenant: string }) => {
      const skills = await inTenant(o.tenant, (db, id) => listSkills(db, id));
      const out = skills.map((s) => ({ skill_id: s.id, name: s.name, description: s.description }));
      printResult(
        deps.json(),
        { skills: out },
        out.map((s) => `${s.skill_id}\t${s.name}`).join('\n') || 'no skills',
      );
    });

  skill
    .command('delete')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--skill <id|name>', 'the skill')
    .action(async (o: { tenant: string; skill: string }) => {
      const s = await inTenant(o.tenant, (db, id) =>
        inTransaction(db, async (tx) => {
          const found = await findSkill(tx, id, o.skill);
          await deleteSkill(tx, id, found.id);
          return found;
        }),
      );
      printResult(deps.json(), { skill_id: s.id, deleted: true }, `deleted skill ${s.id} (${s.name})`);
    });

  skill
    .command('set-agent')
    .description("replace an agent's skills")
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--agent <id|email>', 'the agent')
    .requiredOption('--skills <list>', 'comma-separated skill:proficiency (skill by id or name), "" for none')
    .action(async (o: { tenant: string; agent: string; skills: string }) => {
      const skills = await inTenant(o.tenant, (db, id) =>
        inTransaction(db, async (tx) => {
          const agent = await findAgentRef(tx, id, o.agent);
          const list = await parsePairs(tx, id, o.skills);
          await setAgentSkills(tx, id, agent.id, list);
          return getAgentSkills(tx, id, agent.id);
        }),
      );
      const human = skills.map((s) => `${s.name}:${s.proficiency}`).join(', ') || 'no skills';
      printResult(deps.json(), { skills }, human);
    });

  skill
    .command('set-queue')
    .description("replace an inbound queue's skill requirements")
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--queue <id>', 'inbound queue id')
    .requiredOption(
      '--requirements <json>',
      'JSON list: [{"skill_id": 3, "min_proficiency": 4, "relax": [{"after_sec": 30, "min_proficiency": 0}]}]',
    )
    .action(async (o: { tenant: string; queue: string; requirements: string }) => {
      let list: unknown;
      try {
        list = JSON.parse(o.requirements);
      } catch {
        throw invalid('--requirements must be a JSON list');
      }
      const reqs = await inTenant(o.tenant, (db, id) =>
        inTransaction(db, async (tx) => {
          await setQueueSkills(tx, id, queueIdOf(o.queue), list);
          return getQueueSkills(tx, id, queueIdOf(o.queue));
        }),
      );
      const human = reqs.map((r) => `${r.name} ≥ ${r.min_proficiency}`).join(', ') || 'no requirements';
      printResult(deps.json(), { requirements: reqs }, human);
    });
}

function queueIdOf(raw: string): number {
  if (!/^\d+$/.test(raw)) throw invalid(`--queue must be a queue id, got "${raw}"`);
  return Number(raw);
}

/** `Billing:4,7:2` → [{skill_id, proficiency}]; an unknown skill name is reported by name. */
async function parsePairs(db: Executor, tenantId: number, raw: string) {
  const out: { skill_id: number; proficiency: number }[] = [];
  for (const part of raw
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const at = part.lastIndexOf(':');
    if (at <= 0) throw invalid(`--skills: "${part}" is not skill:proficiency`);
    const skill = await findSkill(db, tenantId, part.slice(0, at).trim());
    out.push({ skill_id: skill.id, proficiency: Number(part.slice(at + 1)) });
  }
  return out;
}
