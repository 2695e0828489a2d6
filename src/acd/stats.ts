// Queue statistics. Every call is attributed to the minute it entered the queue (a cohort), so an
// interval's figures describe the calls offered in it: service level can never exceed 1, and a call
// answered after the interval still counts for the interval it was offered in.
import type { CallOutcome, QueueCounters } from './types.js';

const MINUTE = 60_000;
/** How long per-minute buckets are kept for interval queries. */
export const STATS_RETENTION_MS = 24 * 60 * MINUTE;

/** Raw sums of one bucket (or of the totals). */
export interface Agg {
  offered: number;
  answered: number;
  abandoned: number;
  abandonedShort: number;
  overflowed: number;
  timedOut: number;
  rejected: number;
  finished: number;
  waitSumMs: number;
  waitMaxMs: number;
  answeredWaitSumMs: number;
  answeredInSl: number;
  talkSumMs: number;
  talkCount: number;
  handleSumMs: number;
  handleCount: number;
}

function emptyAgg(): Agg {
  return {
    offered: 0,
    answered: 0,
    abandoned: 0,
    abandonedShort: 0,
    overflowed: 0,
    timedOut: 0,
    rejected: 0,
    finished: 0,
    waitSumMs: 0,
    waitMaxMs: 0,
    answeredWaitSumMs: 0,
    answeredInSl: 0,
    talkSumMs: 0,
    talkCount: 0,
    handleSumMs: 0,
    handleCount: 0,
  };
}

/** How a finished wait is judged: the queue's thresholds at the time it ended. */
export interface WaitJudge {
  serviceLevelMs: number;
  shortAbandonMs: number;
}

/** Totals plus per-minute buckets of one queue. */
export class StatsBook {
  readonly totals = emptyAgg();
  private readonly buckets = new Map<number, Agg>();

  /** Counts a call entering at `now`; returns the bucket key later updates of this call go to. */
  entered(now: number): number {
    const key = now - (now % MINUTE);
    this.prune(now);
    let b = this.buckets.get(key);
    if (!b) {
      b = emptyAgg();
      this.buckets.set(key, b);
    }
    b.offered++;
    this.totals.offered++;
    return key;
  }

  /** Records the end of a call's wait with its outcome. */
  finished(bucket: number, outcome: CallOutcome, waitMs: number, judge: WaitJudge): void {
    for (const a of this.targets(bucket)) {
      a.finished++;
      a.waitSumMs += waitMs;
      if (waitMs > a.waitMaxMs) a.waitMaxMs = waitMs;
      switch (outcome) {
        case 'answered':
          a.answered++;
          a.answeredWaitSumMs += waitMs;
          if (waitMs <= judge.serviceLevelMs) a.answeredInSl++;
          break;
        case 'abandoned':
          a.abandoned++;
          if (waitMs <= judge.shortAbandonMs) a.abandonedShort++;
          break;
        case 'overflowed':
          a.overflowed++;
          break;
        case 'timed_out':
          a.timedOut++;
          break;
        case 'rejected':
          a.rejected++;
          break;
      }
    }
  }

  /** Records the talk time of an answered call. */
  talked(bucket: number, talkMs: number): void {
    for (const a of this.targets(bucket)) {
      a.talkSumMs += talkMs;
      a.talkCount++;
    }
  }

  /** Records the handle time (talk + wrap-up) of a completed call. */
  handled(bucket: number, handleMs: number): void {
    for (const a of this.targets(bucket)) {
      a.handleSumMs += handleMs;
      a.handleCount++;
    }
  }

  /** Sums the buckets of calls that entered in [from, to). */
  interval(from: number, to: number): Agg {
    const sum = emptyAgg();
    for (const [key, b] of this.buckets) {
      if (key + MINUTE <= from || key >= to) continue;
      for (const k of Object.keys(sum) as (keyof Agg)[]) {
        sum[k] = k === 'waitMaxMs' ? Math.max(sum[k], b[k]) : sum[k] + b[k];
      }
    }
    return sum;
  }

  private targets(bucket: number): Agg[] {
    const b = this.buckets.get(bucket);
    return b ? [this.totals, b] : [this.totals];
  }

  // Buckets are created in clock order, so the oldest are first in the map.
  private prune(now: number): void {
    for (const key of this.buckets.keys()) {
      if (key >= now - STATS_RETENTION_MS) return;
      this.buckets.delete(key);
    }
  }
}

/** Turns raw sums into the published counters (seconds, rounded to 0.1 s). */
export function toCounters(a: Agg): QueueCounters {
  const avg = (sum: number, n: number) => (n > 0 ? round1(sum / n / 1000) : 0);
  return {
    offered: a.offered,
    answered: a.answered,
    abandoned: a.abandoned,
    abandonedShort: a.abandonedShort,
    overflowed: a.overflowed,
    timedOut: a.timedOut,
    rejected: a.rejected,
    avgWaitSec: avg(a.waitSumMs, a.finished),
    maxWaitSec: round1(a.waitMaxMs / 1000),
    avgTalkSec: avg(a.talkSumMs, a.talkCount),
    serviceLevel: a.offered > 0 ? a.answeredInSl / a.offered : null,
    asaSec: avg(a.answeredWaitSumMs, a.answered),
    ahtSec: avg(a.handleSumMs, a.handleCount),
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
