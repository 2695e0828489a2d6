import { invalid } from '../errors.js';
import type { Executor } from '../store/db.js';

/** One tile figure's colours: green at or better than `green`, amber up to `amber`, red beyond. */
export interface Threshold {
  green: number;
  amber: number;
  higherIsBetter: boolean;
}

export interface Thresholds {
  serviceLevelPct: Threshold;
  abandonRatePct: Threshold;
  oldestWaitSec: Threshold;
}

/** The defaults a tenant starts with (and returns to when it clears its own). */
export const DEFAULT_THRESHOLDS: Thresholds = {
  serviceLevelPct: { green: 80, amber: 60, higherIsBetter: true },
  abandonRatePct: { green: 5, amber: 10, higherIsBetter: false },
  oldestWaitSec: { green: 30, amber: 60, higherIsBetter: false },
};

const LIMITS: Record<keyof Thresholds, number> = {
  serviceLevelPct: 100,
  abandonRatePct: 100,
  oldestWaitSec: 86_400,
};

export type ThresholdInput = Partial<Record<keyof Thresholds, { green: number; amber: number }>>;

/** Merge and check: each value within its range, and amber on the worse side of green. */
export function checkThresholds(base: Thresholds, input: ThresholdInput): Thresholds {
  const out: Thresholds = structuredClone(base);
  for (const key of Object.keys(LIMITS) as (keyof Thresholds)[]) {
    const v = input[key];
    if (!v) continue;
    const max = LIMITS[key];
    for (const [k, n] of Object.entries(v)) {
      if (!Number.isFinite(n) || n < 0 || n > max) throw invalid(`${key}.${k} must be from 0 to ${max}`);
    }
    const worseOk = base[key].higherIsBetter ? v.amber <= v.green : v.amber >= v.green;
    if (!worseOk)
      throw invalid(
        `${key}: amber must be ${base[key].higherIsBetter ? 'at most' : 'at least'} green (${v.green})`,
      );
    out[key] = { ...out[key], green: v.green, amber: v.amber };
  }
  return out;
}

function parse(raw: string | null): ThresholdInput {
  if (!raw) return {};
  try {
    const v: unknown = JSON.parse(raw);
    return v && typeof v === 'object' ? (v as ThresholdInput) : {};
  } catch {
    return {};
  }
}

/** The tenant's wallboard thresholds (its own where set, the defaults elsewhere). */
export async function getThresholds(db: Executor, tenantId: number): Promise<Thresholds> {
  const t = await db
    .selectFrom('tenants')
    .select('console_thresholds')
    .where('id', '=', tenantId)
    .executeTakeFirst();
  try {
    return checkThresholds(DEFAULT_THRESHOLDS, parse(t?.console_thresholds ?? null));
  } catch {
    // A stored value the current rules refuse (edited by hand) falls back to the defaults.
    return DEFAULT_THRESHOLDS;
  }
}

/** Change some of the tenant's thresholds; the rest keep their current values. */
export async function setThresholds(
  db: Executor,
  tenantId: number,
  input: ThresholdInput,
): Promise<Thresholds> {
  const next = checkThresholds(await getThresholds(db, tenantId), input);
  const stored = Object.fromEntries(
    Object.entries(next).map(([k, v]: [string, Threshold]) => [k, { green: v.green, amber: v.amber }]),
  );
  await db
    .updateTable('tenants')
    .set({ console_thresholds: JSON.stringify(stored) })
    .where('id', '=', tenantId)
    .execute();
  return next;
}
