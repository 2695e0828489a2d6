import type { Db } from '../store/db.js';
import type { SipBlockTable } from '../store/schema.js';

export type SipBlock = SipBlockTable;
export type BlockReason = 'scanner' | 'auth-failures';

/** Blocks still in force at `now`, newest first. */
export function listBlocks(db: Db, now: number): Promise<SipBlock[]> {
  return db
    .selectFrom('sip_blocks')
    .selectAll()
    .where('until', '>', now)
    .orderBy('blocked_at', 'desc')
    .execute();
}

/** Record (or extend) the block of one address. */
export async function saveBlock(db: Db, b: SipBlock): Promise<void> {
  await db
    .insertInto('sip_blocks')
    .values(b)
    .onConflict((oc) =>
      oc.column('address').doUpdateSet({
        reason: b.reason,
        user_agent: b.user_agent,
        blocked_at: b.blocked_at,
        until: b.until,
      }),
    )
    .execute();
}

/** Lift the block of `address`, or every block when it is omitted; returns how many were lifted. */
export async function liftBlocks(db: Db, address?: string): Promise<number> {
  let q = db.deleteFrom('sip_blocks');
  if (address !== undefined) q = q.where('address', '=', address);
  const res = await q.executeTakeFirst();
  return Number(res.numDeletedRows);
}

/** Forget blocks that ended before `now`. */
export async function purgeExpiredBlocks(db: Db, now: number): Promise<void> {
  await db.deleteFrom('sip_blocks').where('until', '<=', now).execute();
}

/** Every address some trunk may send from (IPv4-mapped IPv6 written as plain IPv4). */
export async function trunkAddresses(db: Db): Promise<Set<string>> {
  const rows = await db.selectFrom('trunks').select('allowed_ips').execute();
  const out = new Set<string>();
  for (const r of rows) {
    try {
      for (const a of JSON.parse(r.allowed_ips) as unknown[]) if (typeof a === 'string') out.add(plainIp(a));
    } catch {
      // A malformed allowed_ips protects nothing; routing ignores it the same way.
    }
  }
  return out;
}

export function plainIp(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
