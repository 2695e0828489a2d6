import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { getTenant } from '../domain/tenants.js';
import {
  addTeamMembers,
  createTeam,
  findAgentRef,
  findTeam,
  listTeamMembers,
  listTeams,
  removeTeamMember,
} from '../domain/teams.js';
import { type Db, inTransaction } from '../store/db.js';
import { printResult } from './output.js';

/** What the team commands need from the CLI's entry point (src/cli/main.ts). */
export interface TeamCommandDeps {
  /** Run `fn` against the configured store, then close it. */
  withDb<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  json(): boolean | undefined;
  /** Parse and check `--tenant`. */
  tenantId(raw: string): number;
}

interface TeamOpts {
  tenant: string;
  team: string;
  agent: string;
}

type InTenant = <T>(raw: string, fn: (db: Db, tenantId: number) => Promise<T>) => Promise<T>;

/** `tongdai team create | list | add-member | remove-member | members`. */
export function registerTeamCommands(program: Command, deps: TeamCommandDeps): void {
  const team = program.command('team').description("manage a tenant's teams (groups of agents)");
  // Every command first checks the tenant, so a typo reports "tenant … not found" rather than an empty answer.
  const inTenant: InTenant = (raw, fn) =>
    deps.withDb(async (db) => {
      const id = deps.tenantId(raw);
      await getTenant(db, id);
      return fn(db, id);
    });
  registerTeamCrud(team, deps, inTenant);
  registerMembership(team, deps, inTenant);
}

function registerTeamCrud(team: Command, deps: TeamCommandDeps, inTenant: InTenant) {
  team
    .command('create')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--name <name>', 'team name (unique in the tenant, case-insensitively)')
    .action(async (o: { tenant: string; name: string }) => {
      const t = await inTenant(o.tenant, (db, id) =>
        inTransaction(db, (tx) => createTeam(tx, systemClock, id, o.name)),
      );
      printResult(deps.json(), { team_id: t.id, name: t.name }, `created team ${t.id} (${t.name})`);
    });

  team
    .command('list')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (o: { tenant: string }) => {
      const teams = await inTenant(o.tenant, async (db, id) => {
        const list = await listTeams(db, id);
        const out = [];
        for (const t of list) {
          const members = await listTeamMembers(db, id, t.id);
          out.push({ team_id: t.id, name: t.name, agent_ids: members.map((m) => m.agentId) });
        }
        return out;
      });
      const human = teams.map((t) => `${t.team_id}\t${t.name}\t${t.agent_ids.length} agents`).join('\n');
      printResult(deps.json(), { teams }, human || 'no teams');
    });
}

function registerMembership(team: Command, deps: TeamCommandDeps, inTenant: InTenant) {
  team
    .command('add-member')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--team <team>', 'team id or name')
    .requiredOption('--agent <agent>', 'agent id or email')
    .action(async (o: TeamOpts) => {
      const r = await inTenant(o.tenant, (db, id) =>
        inTransaction(db, async (tx) => {
          const t = await findTeam(tx, id, o.team);
          const a = await findAgentRef(tx, id, o.agent);
          const { added } = await addTeamMembers(tx, id, t.id, [a.id]);
          return { team_id: t.id, agent_id: a.id, added: added.length > 0 };
        }),
      );
      const human = r.added
        ? `added agent ${r.agent_id} to team ${r.team_id}`
        : `agent ${r.agent_id} was already in team ${r.team_id}`;
      printResult(deps.json(), r, human);
    });

  team
    .command('remove-member')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--team <team>', 'team id or name')
    .requiredOption('--agent <agent>', 'agent id or email')
    .action(async (o: TeamOpts) => {
      const r = await inTenant(o.tenant, (db, id) =>
        inTransaction(db, async (tx) => {
          const t = await findTeam(tx, id, o.team);
          const a = await findAgentRef(tx, id, o.agent);
          await removeTeamMember(tx, id, t.id, a.id);
          return { team_id: t.id, agent_id: a.id, removed: true };
        }),
      );
      printResult(deps.json(), r, `removed agent ${r.agent_id} from team ${r.team_id}`);
    });

  team
    .command('members')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--team <team>', 'team id or name')
    .action(async (o: { tenant: string; team: string }) => {
      const r = await inTenant(o.tenant, async (db, id) => {
        const t = await findTeam(db, id, o.team);
        const members = await listTeamMembers(db, id, t.id);
        return {
          team_id: t.id,
          name: t.name,
          members: members.map((m) => ({
            agent_id: m.agentId,
            extension: m.extension,
            name: m.name,
            email: m.email,
          })),
        };
      });
      const human = r.members.map((m) => `${m.agent_id}\t${m.extension}\t${m.name}\t${m.email}`).join('\n');
      printResult(deps.json(), r, human || `team ${r.team_id} has no agents`);
    });
}
