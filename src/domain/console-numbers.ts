import { isIP } from 'node:net';
import type { Clock } from '../clock.js';
import { conflict, invalid, notFound } from '../errors.js';
import { type Db, type Executor, countAll, inTransaction, isUniqueViolation } from '../store/db.js';
import type { SecretBox } from './secrets.js';
import { bumpRevision } from './tenants.js';

export interface NumberInput {
  number: string;
  targetType: 'queue' | 'agent';
  targetId: number;
  trunkId?: number | null;
}

export interface TrunkInput {
  name: string;
  host: string;
  port?: number;
  transport?: 'udp' | 'tcp';
  allowedIps?: string[];
  username?: string | null;
  password?: string | null;
}

const NUMBER_RE = /^\+?[0-9]{3,20}$/;
const HOST_RE =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** The tenant's numbers with what each routes to, and its trunks (passwords never leave the store). */
export async function listNumbersAndTrunks(db: Executor, tenantId: number) {
  const [numbers, trunks] = await Promise.all([
    db.selectFrom('numbers').selectAll().where('tenant_id', '=', tenantId).orderBy('number').execute(),
    db.selectFrom('trunks').selectAll().where('tenant_id', '=', tenantId).orderBy('id').execute(),
  ]);
  return {
    numbers: numbers.map((n) => ({
      id: n.id,
      number: n.number,
      targetType: n.target_type,
      targetId: n.target_id,
      trunkId: n.trunk_id,
      createdAt: n.created_at,
    })),
    trunks: trunks.map((t) => ({
      id: t.id,
      name: t.name,
      host: t.host,
      port: t.port,
      transport: t.transport,
      allowedIps: JSON.parse(t.allowed_ips) as string[],
      username: t.username,
      hasPassword: t.password_enc !== null,
      createdAt: t.created_at,
    })),
  };
}

async function requireTarget(db: Executor, tenantId: number, type: 'queue' | 'agent', id: number) {
  const row =
    type === 'queue'
      ? await db
          .selectFrom('inbound_queues')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .executeTakeFirst()
      : await db
          .selectFrom('agents')
          .select('id')
          .where('tenant_id', '=', tenantId)
          .where('id', '=', id)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
  if (!row) throw notFound(`${type} ${id}`);
}

async function requireTrunk(db: Executor, tenantId: number, id: number) {
  const t = await db
    .selectFrom('trunks')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  if (!t) throw notFound(`trunk ${id}`);
}

/** Route a number (DID/hotline) to a queue or an agent, optionally through one of the tenant's trunks. */
export async function addNumber(db: Db, clock: Clock, tenantId: number, input: NumberInput) {
  const number = input.number.replace(/[\s.-]/g, '');
  if (!NUMBER_RE.test(number)) throw invalid('the number must be 3 to 20 digits, optionally after "+"');
  return inTransaction(db, async (tx) => {
    await requireTarget(tx, tenantId, input.targetType, input.targetId);
    if (input.trunkId != null) await requireTrunk(tx, tenantId, input.trunkId);
    try {
      const row = await tx
        .insertInto('numbers')
        .values({
          tenant_id: tenantId,
          number,
          target_type: input.targetType,
          target_id: input.targetId,
          trunk_id: input.trunkId ?? null,
          created_at: clock.now(),
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      await bumpRevision(tx, tenantId);
      return { id: row.id, number };
    } catch (e) {
      // Numbers are unique across the platform: a number another tenant owns reads as "taken", nothing more.
      if (isUniqueViolation(e)) throw conflict(`number ${number} is already in use`);
      throw e;
    }
  });
}

export async function deleteNumber(db: Db, tenantId: number, id: number): Promise<void> {
  await inTransaction(db, async (tx) => {
    const r = await tx
      .deleteFrom('numbers')
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (Number(r.numDeletedRows) === 0) throw notFound(`number ${id}`);
    await bumpRevision(tx, tenantId);
  });
}

function checkTrunk(input: TrunkInput) {
  const name = input.name.trim();
  if (!name || name.length > 100) throw invalid('the trunk name must be 1 to 100 characters');
  const host = input.host.trim();
  if (!isIP(host) && !HOST_RE.test(host)) throw invalid(`"${input.host}" is not a host name or IP address`);
  const port = input.port ?? 5060;
  if (!Number.isInteger(port) || port < 1 || port > 65_535) throw invalid('the port must be from 1 to 65535');
  const ips = (input.allowedIps ?? []).map((s) => s.trim()).filter(Boolean);
  const bad = ips.find((ip) => !isIP(ip));
  if (bad) throw invalid(`allowed address "${bad}" is not an IP address`);
  if (ips.length > 50) throw invalid('at most 50 allowed addresses');
  return { name, host, port, ips };
}

/** Add a SIP trunk (the password sealed: digest auth towards the carrier needs it back). */
export async function addTrunk(db: Db, clock: Clock, box: SecretBox, tenantId: number, input: TrunkInput) {
  const t = checkTrunk(input);
  return inTransaction(db, async (tx) => {
    const row = await tx
      .insertInto('trunks')
      .values({
        tenant_id: tenantId,
        name: t.name,
        host: t.host,
        port: t.port,
        transport: input.transport ?? 'udp',
        allowed_ips: JSON.stringify(t.ips),
        username: input.username?.trim() || null,
        password_enc: input.password ? box.seal(input.password) : null,
        created_at: clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    await bumpRevision(tx, tenantId);
    return { id: row.id };
  });
}

/** Delete a trunk no number routes through. */
export async function deleteTrunk(db: Db, tenantId: number, id: number): Promise<void> {
  await inTransaction(db, async (tx) => {
    await requireTrunk(tx, tenantId, id);
    const used = await tx
      .selectFrom('numbers')
      .select(countAll().as('n'))
      .where('tenant_id', '=', tenantId)
      .where('trunk_id', '=', id)
      .executeTakeFirst();
    const n = Number(used?.n ?? 0);
    if (n > 0) throw conflict(`trunk ${id} carries ${n} number(s); move or delete them first`);
    await tx.deleteFrom('trunks').where('tenant_id', '=', tenantId).where('id', '=', id).execute();
    await bumpRevision(tx, tenantId);
  });
}
