import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { createRole, listRoles } from '../domain/roles.js';
import type { SecretBox } from '../domain/secrets.js';
import { createServicePackage, listServicePackages } from '../domain/service-packages.js';
import { getTenant } from '../domain/tenants.js';
import { invalid } from '../errors.js';
import { type Db, inTransaction } from '../store/db.js';
import { getWebhookSecret, rotateWebhookSecret } from '../webhooks/secrets.js';
import { printResult } from './output.js';

/** What the directory commands need from the CLI's entry point (src/cli/main.ts). */
export interface DirectoryCommandDeps {
  /** Run `fn` against the configured store (and the secret box), then close it. */
  withDb<T>(fn: (db: Db, box: SecretBox) => Promise<T>): Promise<T>;
  json(): boolean | undefined;
  /** Parse and check `--tenant`. */
  tenantId(raw: string): number;
}

function seats(raw: string): number {
  const n = Number(raw);
  if (!/^\d+$/.test(raw) || n > 1_000_000)
    throw invalid(`--max-agents must be an integer from 0 to 1000000, got "${raw}"`);
  return n;
}

type InTenant = <T>(raw: string, fn: (db: Db, tenantId: number, box: SecretBox) => Promise<T>) => Promise<T>;

function roleCommands(program: Command, deps: DirectoryCommandDeps, inTenant: InTenant): void {
  const role = program.command('role').description("manage a tenant's roles (OmiCall role_name / role_id)");
  role
    .command('create')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--name <name>', 'role name, unique in the tenant')
    .option('--default', 'make it the role invites get when they name none')
    .action(async (o: { tenant: string; name: string; default?: boolean }) => {
      const r = await inTenant(o.tenant, (db, id) =>
        inTransaction(db, (tx) =>
          createRole(tx, systemClock, id, { name: o.name, isDefault: o.default ?? false }),
        ),
      );
      const out = { id: r.uid, name: r.name, is_default: r.is_default === 1 };
      printResult(
        deps.json(),
        out,
        `created role ${r.name} (${r.uid})${out.is_default ? ', the default' : ''}`,
      );
    });
  role
    .command('list')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (o: { tenant: string }) => {
      const rows = await inTenant(o.tenant, (db, id) => listRoles(db, id));
      const roles = rows.map((r) => ({ id: r.uid, name: r.name, is_default: r.is_default === 1 }));
      const human = roles.map((r) => `${r.id}\t${r.name}${r.is_default ? '\t(default)' : ''}`).join('\n');
      printResult(deps.json(), { roles }, human || 'no roles');
    });
}

function packageCommands(program: Command, deps: DirectoryCommandDeps, inTenant: InTenant): void {
  const pkg = program.command('package').description("manage a tenant's service packages (seat limits)");
  pkg
    .command('create')
    .requiredOption('--tenant <id>', 'tenant id')
    .requiredOption('--name <name>', 'package name, unique in the tenant')
    .requiredOption('--max-agents <n>', 'seats: live agents the package may hold')
    .action(async (o: { tenant: string; name: string; maxAgents: string }) => {
      const max = seats(o.maxAgents);
      const p = await inTenant(o.tenant, (db, id) =>
        createServicePackage(db, systemClock, id, { name: o.name, maxAgents: max }),
      );
      const out = { id: p.uid, name: p.name, max_agents: p.max_agents };
      printResult(deps.json(), out, `created service package ${p.name} (${p.uid}), ${p.max_agents} seats`);
    });
  pkg
    .command('list')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (o: { tenant: string }) => {
      const rows = await inTenant(o.tenant, (db, id) => listServicePackages(db, id));
      const packages = rows.map((p) => ({ id: p.uid, name: p.name, max_agents: p.max_agents, used: p.used }));
      const human = packages.map((p) => `${p.id}\t${p.name}\t${p.used}/${p.max_agents}`).join('\n');
      printResult(deps.json(), { service_packages: packages }, human || 'no service packages');
    });
}

function secretCommands(program: Command, deps: DirectoryCommandDeps, inTenant: InTenant): void {
  const secret = program
    .command('webhook-secret')
    .description("the tenant's webhook signing secret (Standard Webhooks)");
  secret
    .command('show')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (o: { tenant: string }) => {
      const s = await inTenant(o.tenant, (db, id, box) => getWebhookSecret(db, systemClock, box, id));
      printResult(deps.json(), { secret: s }, s);
    });
  secret
    .command('rotate')
    .requiredOption('--tenant <id>', 'tenant id')
    .action(async (o: { tenant: string }) => {
      const s = await inTenant(o.tenant, (db, id, box) => rotateWebhookSecret(db, systemClock, box, id));
      printResult(deps.json(), { secret: s }, s);
    });
}

/** `tongdai role …`, `tongdai package …` and `tongdai webhook-secret …`: a tenant's directory administration. */
export function registerDirectoryCommands(program: Command, deps: DirectoryCommandDeps): void {
  // Check the tenant first, so a typo reports "tenant … not found" rather than an empty list.
  const inTenant: InTenant = <T>(raw: string, fn: (db: Db, tenantId: number, box: SecretBox) => Promise<T>) =>
    deps.withDb(async (db, box) => {
      const id = deps.tenantId(raw);
      await getTenant(db, id);
      return fn(db, id, box);
    });
  roleCommands(program, deps, inTenant);
  packageCommands(program, deps, inTenant);
  secretCommands(program, deps, inTenant);
}
