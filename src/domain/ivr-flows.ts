/**
 * IVR flows of a tenant, stored with versions (docs/ivr.md): a flow row names its current version, versions are
 * immutable JSON documents. An invalid document is refused by validateFlow (FlowInvalid, with the JSON pointer)
 * before anything is written. Numbers point to a flow with target_type `ivr`.
 */
import type { Clock } from '../clock.js';
import { conflict, invalid, notFound } from '../errors.js';
import type { Flow } from '../ivr/schema.js';
import { validateFlow } from '../ivr/validate.js';
import { checkFlowSkills } from './skills.js';
import { type Db, type Executor, inTransaction, isUniqueViolation } from '../store/db.js';
import { bumpRevision } from './tenants.js';

/** A flow as the API shows it: its current (or a requested) version's document, and the numbers using it. */
export interface IvrFlowView {
  id: number;
  name: string;
  version: number;
  currentVersion: number;
  flow: unknown;
  numbers: string[];
  createdAt: number;
  updatedAt: number;
}

/** The version of a flow a call runs: validated, defaults filled in. */
export interface RunnableFlow {
  flowId: number;
  version: number;
  flow: Flow;
}

const NUMBER_RE = /^\+?[0-9]{3,20}$/;

function flowName(raw: string): string {
  const name = raw.trim();
  if (name.length < 1 || name.length > 100) throw invalid('name must be 1 to 100 characters');
  return name;
}

async function numbersOf(db: Executor, tenantId: number, flowId: number): Promise<string[]> {
  const rows = await db
    .selectFrom('numbers')
    .select('number')
    .where('tenant_id', '=', tenantId)
    .where('target_type', '=', 'ivr')
    .where('target_id', '=', flowId)
    .orderBy('number')
    .execute();
  return rows.map((r) => r.number);
}

async function flowRow(db: Executor, tenantId: number, id: number) {
  const row = await db
    .selectFrom('ivr_flows')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!row) throw notFound(`IVR flow ${id}`);
  return row;
}

async function insertVersion(
  tx: Executor,
  clock: Clock,
  tenantId: number,
  flowId: number,
  v: number,
  doc: unknown,
) {
  await tx
    .insertInto('ivr_flow_versions')
    .values({
      tenant_id: tenantId,
      flow_id: flowId,
      version: v,
      document: JSON.stringify(doc),
      created_at: clock.now(),
    })
    .execute();
}

const nameTaken = (name: string) => conflict(`an IVR flow named "${name}" already exists`);

/** Create a flow (version 1) from a document; nothing is saved when it is invalid. */
export async function createIvrFlow(
  db: Db,
  clock: Clock,
  tenantId: number,
  input: { name: string; flow: unknown },
): Promise<IvrFlowView> {
  const name = flowName(input.name);
  await checkFlowSkills(db, tenantId, validateFlow(input.flow));
  const id = await inTransaction(db, async (tx) => {
    try {
      const now = clock.now();
      const row = await tx
        .insertInto('ivr_flows')
        .values({ tenant_id: tenantId, name, current_version: 1, created_at: now, updated_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      await insertVersion(tx, clock, tenantId, row.id, 1, input.flow);
      return row.id;
    } catch (e) {
      if (isUniqueViolation(e)) throw nameTaken(name);
      throw e;
    }
  });
  return getIvrFlow(db, tenantId, id);
}

/** A new version of a flow (and/or a new name); calls already in the flow keep the version they started with. */
export async function updateIvrFlow(
  db: Db,
  clock: Clock,
  tenantId: number,
  id: number,
  input: { name?: string; flow?: unknown },
): Promise<IvrFlowView> {
  const name = input.name === undefined ? undefined : flowName(input.name);
  if (input.flow !== undefined) await checkFlowSkills(db, tenantId, validateFlow(input.flow));
  await inTransaction(db, async (tx) => {
    const row = await flowRow(tx, tenantId, id);
    const version = input.flow === undefined ? row.current_version : row.current_version + 1;
    if (input.flow !== undefined) await insertVersion(tx, clock, tenantId, id, version, input.flow);
    try {
      await tx
        .updateTable('ivr_flows')
        .set({ name: name ?? row.name, current_version: version, updated_at: clock.now() })
        .where('tenant_id', '=', tenantId)
        .where('id', '=', id)
        .execute();
    } catch (e) {
      if (isUniqueViolation(e) && name) throw nameTaken(name);
      throw e;
    }
  });
  return getIvrFlow(db, tenantId, id);
}

/** One flow with its current version's document, or `version` when given (NOT_FOUND when it has none such). */
export async function getIvrFlow(
  db: Executor,
  tenantId: number,
  id: number,
  version?: number,
): Promise<IvrFlowView> {
  const row = await flowRow(db, tenantId, id);
  const v = version ?? row.current_version;
  const doc = await db
    .selectFrom('ivr_flow_versions')
    .select('document')
    .where('tenant_id', '=', tenantId)
    .where('flow_id', '=', id)
    .where('version', '=', v)
    .executeTakeFirst();
  if (!doc) throw notFound(`version ${v} of IVR flow ${id}`);
  return {
    id,
    name: row.name,
    version: v,
    currentVersion: row.current_version,
    flow: JSON.parse(doc.document) as unknown,
    numbers: await numbersOf(db, tenantId, id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** A flow's stored versions, newest first (NOT_FOUND for another tenant's flow). */
export async function listIvrFlowVersions(
  db: Executor,
  tenantId: number,
  id: number,
): Promise<{ version: number; createdAt: number }[]> {
  const row = await flowRow(db, tenantId, id);
  const rows = await db
    .selectFrom('ivr_flow_versions')
    .select(['version', 'created_at'])
    .where('tenant_id', '=', tenantId)
    .where('flow_id', '=', row.id)
    .orderBy('version', 'desc')
    .execute();
  return rows.map((r) => ({ version: r.version, createdAt: r.created_at }));
}

/** The tenant's flows (current versions), by name. */
export async function listIvrFlows(db: Executor, tenantId: number): Promise<IvrFlowView[]> {
  const rows = await db
    .selectFrom('ivr_flows')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .orderBy('name')
    .execute();
  const out: IvrFlowView[] = [];
  for (const r of rows) out.push(await getIvrFlow(db, tenantId, r.id));
  return out;
}

/** Delete a flow and its versions; refused (CONFLICT) while a number still points to it. */
export async function deleteIvrFlow(db: Db, tenantId: number, id: number): Promise<void> {
  await inTransaction(db, async (tx) => {
    await flowRow(tx, tenantId, id);
    const used = await numbersOf(tx, tenantId, id);
    if (used.length > 0) {
      throw conflict(`IVR flow ${id} is used by ${used.join(', ')}: point those numbers elsewhere first`);
    }
    await tx
      .deleteFrom('ivr_flow_versions')
      .where('tenant_id', '=', tenantId)
      .where('flow_id', '=', id)
      .execute();
    await tx.deleteFrom('ivr_flows').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
  });
}

/** Point one of the tenant's numbers to a flow: its calls enter the flow from the next call on. */
export async function assignNumberToFlow(
  db: Db,
  tenantId: number,
  rawNumber: string,
  flowId: number,
): Promise<{ number: string; flowId: number }> {
  const number = rawNumber.replace(/[\s.-]/g, '');
  if (!NUMBER_RE.test(number)) throw invalid('the number must be 3 to 20 digits, optionally after "+"');
  return inTransaction(db, async (tx) => {
    await flowRow(tx, tenantId, flowId);
    const r = await tx
      .updateTable('numbers')
      .set({ target_type: 'ivr', target_id: flowId })
      .where('tenant_id', '=', tenantId)
      .where('number', '=', number)
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) throw notFound(`number ${number}`);
    await bumpRevision(tx, tenantId);
    return { number, flowId };
  });
}

/** The current version of a flow, ready to run (undefined: the flow was deleted since the number was read). */
export async function runnableFlow(
  db: Executor,
  tenantId: number,
  flowId: number,
): Promise<RunnableFlow | undefined> {
  const row = await db
    .selectFrom('ivr_flows as f')
    .innerJoin('ivr_flow_versions as v', (j) =>
      j
        .onRef('v.flow_id', '=', 'f.id')
        .onRef('v.version', '=', 'f.current_version')
        .onRef('v.tenant_id', '=', 'f.tenant_id'),
    )
    .select(['f.id', 'v.version', 'v.document'])
    .where('f.tenant_id', '=', tenantId)
    .where('f.id', '=', flowId)
    .executeTakeFirst();
  if (!row) return undefined;
  return { flowId: row.id, version: row.version, flow: validateFlow(JSON.parse(row.document)) };
}

/** What a flow may route to in a tenant right now (the stepper asks synchronously; read before each step). */
export async function ivrDirectory(
  db: Executor,
  tenantId: number,
): Promise<{ queueIds: number[]; agentIds: number[]; extensions: string[] }> {
  const [queues, agents] = await Promise.all([
    db.selectFrom('inbound_queues').select('id').where('tenant_id', '=', tenantId).execute(),
    db
      .selectFrom('agents')
      .select(['id', 'extension'])
      .where('tenant_id', '=', tenantId)
      .where('deleted_at', 'is', null)
      .execute(),
  ]);
  return {
    queueIds: queues.map((q) => q.id),
    agentIds: agents.map((a) => a.id),
    extensions: agents.map((a) => a.extension),
  };
}
