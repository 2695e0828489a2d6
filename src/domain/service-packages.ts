import type { Selectable } from 'kysely';
import type { Clock } from '../clock.js';
import { DomainError, conflict, invalid, notFound } from '../errors.js';
import { hex24 } from '../ids.js';
import { type Executor, countAll, isUniqueViolation } from '../store/db.js';
import type { ServicePackageTable } from '../store/schema.js';
import { bumpRevision } from './tenants.js';

export type ServicePackage = Selectable<ServicePackageTable>;

export interface CreateServicePackageInput {
  name: string;
  /** Seats: how many live agents the package may hold. */
  maxAgents: number;
}

export async function createServicePackage(
  db: Executor,
  clock: Clock,
  tenantId: number,
  input: CreateServicePackageInput,
): Promise<ServicePackage> {
  const name = input.name.trim();
  if (!name) throw invalid('service package name must not be empty', 'service_package_name_invalid');
  if (name.length > 100)
    throw invalid('service package name must be at most 100 characters', 'service_package_name_invalid');
  if (!Number.isInteger(input.maxAgents) || input.maxAgents < 0 || input.maxAgents > 1_000_000) {
    throw invalid('max_agents must be an integer from 0 to 1000000', 'max_agents_invalid');
  }
  try {
    const pkg = await db
      .insertInto('service_packages')
      .values({
        tenant_id: tenantId,
        uid: hex24(),
        name,
        max_agents: input.maxAgents,
        created_at: clock.now(),
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    await bumpRevision(db, tenantId);
    return pkg;
  } catch (e) {
    if (isUniqueViolation(e))
      throw conflict(`a service package named "${name}" already exists`, 'service_package_exists');
    throw e;
  }
}

/** Packages with the number of live agents each holds. */
export async function listServicePackages(
  db: Executor,
  tenantId: number,
): Promise<(ServicePackage & { used: number })[]> {
  const pkgs = await db
    .selectFrom('service_packages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy('id')
    .execute();
  const counts = await db
    .selectFrom('agents')
    .select(['service_package_id', countAll().as('n')])
    .where('tenant_id', '=', tenantId)
    .where('deleted_at', 'is', null)
    .where('service_package_id', 'is not', null)
    .groupBy('service_package_id')
    .execute();
  const used = new Map(counts.map((c) => [c.service_package_id, Number(c.n)]));
  return pkgs.map((p) => ({ ...p, used: used.get(p.id) ?? 0 }));
}

export async function getServicePackageByUid(
  db: Executor,
  tenantId: number,
  uid: string,
): Promise<ServicePackage> {
  const pkg = await db
    .selectFrom('service_packages')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('uid', '=', uid)
    .executeTakeFirst();
  if (!pkg) throw notFound(`service package ${uid}`, 'service_package_not_found');
  return pkg;
}

/**
 * Throw `limit_agent` when the package has no free seat. Race-safe only inside a transaction that first took
 * the tenant's directory lock (see lockDirectory), so two invites cannot both take the last seat.
 */
export async function assertSeatFree(db: Executor, tenantId: number, pkg: ServicePackage): Promise<void> {
  const row = await db
    .selectFrom('agents')
    .select(countAll().as('n'))
    .where('tenant_id', '=', tenantId)
    .where('service_package_id', '=', pkg.id)
    .where('deleted_at', 'is', null)
    .executeTakeFirstOrThrow();
  if (Number(row.n) >= pkg.max_agents) {
    throw new DomainError(
      'LIMIT_EXCEEDED',
      `service package "${pkg.name}" is full (${pkg.max_agents} of ${pkg.max_agents} agents)`,
      'agent_limit',
    );
  }
}
