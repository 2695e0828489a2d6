/** Opening hours in a flow's time zone: is an instant open, closed, or a holiday? */
import type { HoursNode } from './schema.js';
import { WEEKDAYS } from './schema.js';
import { minutesOf } from './validate.js';

/** The wall-clock date, weekday and minute of the day of `at` in `timeZone`. */
export function localTime(at: number, timeZone: string): { date: string; weekday: string; minute: number } {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    weekday: 'short',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (t: Intl.DateTimeFormatPartTypes) => parts.find((p) => p.type === t)?.value ?? '';
  return {
    date: `${get('year')}-${get('month')}-${get('day')}`,
    weekday: get('weekday').slice(0, 3).toLowerCase(),
    minute: Number(get('hour')) * 60 + Number(get('minute')),
  };
}

/** Which branch of an hours node applies at `at`. A holiday overrides the weekly schedule. */
export function hoursBranch(node: HoursNode, at: number, timeZone: string): 'open' | 'closed' | 'holiday' {
  const t = localTime(at, timeZone);
  if (node.holidays?.includes(t.date)) return 'holiday';
  const day = WEEKDAYS.find((d) => d === t.weekday);
  const ranges = day ? (node.weekly[day] ?? []) : [];
  const open = ranges.some((r) => {
    const [from, to] = r.split('-') as [string, string];
    return t.minute >= minutesOf(from) && t.minute < minutesOf(to);
  });
  return open ? 'open' : 'closed';
}
