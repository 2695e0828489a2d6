// Skills-based routing: which agents a call's requirements admit at this moment of its wait, and how well
// they match. A call compiles its requirements once, at entry (the queue's list plus the branch's), into
// absolute step times; the current minimums are cached until the next step is due, so a check is one
// Map lookup per required skill.
import type { AgentRec } from './model.js';
import type { AgentSkill, SkillRequirement } from './types.js';

/** The highest proficiency; the best possible score of a call is this times its number of skills. */
export const MAX_PROFICIENCY = 5;

/** One requirement of a call as a schedule: from `at[i]` (ms) on, the minimum is `min[i]`. */
interface Schedule {
  skillId: number;
  at: number[];
  min: number[];
}

/** A call's requirements, compiled at entry. */
export interface CallSkills {
  reqs: Schedule[];
  /** The minimum of each requirement now (0 = dropped), valid until `until` (ms). */
  mins: number[];
  until: number;
  /** Every required skill at the highest proficiency: nobody can score more. */
  maxScore: number;
}

const clampLevel = (n: number) =>
  Number.isFinite(n) ? Math.max(0, Math.min(MAX_PROFICIENCY, Math.trunc(n))) : 0;

/**
 * The requirements of a call that entered at `enteredAt`: the queue's, with the branch's added (a skill in both
 * takes the branch's requirement, the more specific one). null when there are none, the path every
 * skill-less queue takes, unchanged.
 */
export function compileSkills(
  queue: readonly SkillRequirement[] | undefined,
  branch: readonly SkillRequirement[] | undefined,
  enteredAt: number,
): CallSkills | null {
  const bySkill = new Map<number, SkillRequirement>();
  for (const r of queue ?? []) bySkill.set(r.skillId, r);
  for (const r of branch ?? []) bySkill.set(r.skillId, r);
  if (bySkill.size === 0) return null;
  const reqs: Schedule[] = [];
  for (const r of bySkill.values()) {
    const steps = [...(r.relax ?? [])]
      .filter((s) => Number.isFinite(s.afterSec) && s.afterSec > 0)
      .sort((x, y) => x.afterSec - y.afterSec);
    reqs.push({
      skillId: r.skillId,
      at: [enteredAt, ...steps.map((s) => enteredAt + s.afterSec * 1000)],
      min: [clampLevel(r.minProficiency), ...steps.map((s) => clampLevel(s.minProficiency))],
    });
  }
  const cs: CallSkills = { reqs, mins: [], until: -Infinity, maxScore: reqs.length * MAX_PROFICIENCY };
  refresh(cs, enteredAt);
  return cs;
}

/** Brings the current minimums up to `now` (cheap when no step became due since the last call). */
export function refresh(cs: CallSkills, now: number): void {
  if (now < cs.until) return;
  let until = Infinity;
  cs.mins = cs.reqs.map((r) => {
    let i = 0;
    while (i + 1 < r.at.length && r.at[i + 1]! <= now) i++;
    if (i + 1 < r.at.length) until = Math.min(until, r.at[i + 1]!);
    return r.min[i]!;
  });
  cs.until = until;
}

/** When the next step of the call's requirements is due (ms), or null when they will not relax further. */
export function nextRelaxAt(cs: CallSkills, now: number): number | null {
  refresh(cs, now);
  return Number.isFinite(cs.until) ? cs.until : null;
}

/** Whether the agent holds every requirement at its current minimum (call `refresh` first). */
export function qualifies(cs: CallSkills, a: AgentRec): boolean {
  const { reqs, mins } = cs;
  for (let i = 0; i < reqs.length; i++) {
    const m = mins[i]!;
    if (m > 0 && (a.skills.get(reqs[i]!.skillId) ?? 0) < m) return false;
  }
  return true;
}

/** How well the agent matches: the sum of their proficiencies in every required skill, relaxed or not. */
export function skillScore(cs: CallSkills, a: AgentRec): number {
  let s = 0;
  for (const r of cs.reqs) s += a.skills.get(r.skillId) ?? 0;
  return s;
}

/** An agent's skill list as the ACD keeps it: skill id → proficiency (1–5; anything else is left out). */
export function skillMap(skills: readonly AgentSkill[]): Map<number, number> {
  const m = new Map<number, number>();
  for (const s of skills) {
    const p = clampLevel(s.proficiency);
    if (p > 0) m.set(s.skillId, p);
  }
  return m;
}
