/** Queue announcements built from prompt files: the caller's position and the estimated wait. */
import type { QueueStats } from '../acd/types.js';
import type { PromptLang } from './catalog.js';
import { sayNumber, sayOrdinal } from './say.js';

/** Fewer answered calls than this and the average handle time says too little to promise a wait. */
export const MIN_ANSWERED_FOR_ESTIMATE = 5;

/** "Quý khách là người thứ ba trong hàng chờ" / "You are caller number 3 in the queue". */
export function positionAnnouncement(position: number, lang: PromptLang): string[] {
  const n = lang === 'vi' ? sayOrdinal(position, 'vi') : sayNumber(position, 'en');
  return ['caller-number', ...n, 'in-queue'];
}

/**
 * Estimated wait in whole minutes (0 for under a minute) for the caller at `position`, from the queue's statistics:
 * every staffed agent clears one call per average handle time. Null when there is too little data (few
 * answered calls, no handle time yet) or nobody is logged in to make the figure mean anything.
 */
export function estimateWaitMinutes(
  stats: Pick<QueueStats, 'answered' | 'ahtSec' | 'loggedIn'>,
  position: number,
): number | null {
  if (stats.answered < MIN_ANSWERED_FOR_ESTIMATE || stats.ahtSec <= 0 || stats.loggedIn <= 0) return null;
  const seconds = (position * stats.ahtSec) / stats.loggedIn;
  return seconds < 60 ? 0 : Math.round(seconds / 60);
}

/** The wait sentence for an estimate; nothing at all when there is no estimate. */
export function waitAnnouncement(minutes: number | null, lang: PromptLang): string[] {
  if (minutes === null) return [];
  if (minutes < 1) return ['wait-under-minute'];
  const unit = lang === 'en' && minutes === 1 ? 'minute' : 'minutes';
  return ['estimated-wait', ...sayNumber(minutes, lang), unit];
}

/** Position then (when known) wait: what a waiting caller hears at each announcement interval. */
export function queueAnnouncement(
  stats: Pick<QueueStats, 'answered' | 'ahtSec' | 'loggedIn'>,
  position: number,
  lang: PromptLang,
): string[] {
  return [
    ...positionAnnouncement(position, lang),
    ...waitAnnouncement(estimateWaitMinutes(stats, position), lang),
  ];
}
