import type { Clock } from '../clock.js';
import type { Executor } from '../store/db.js';

/** Statuses only the platform moves agents into or out of. */
export const SYSTEM_STATUSES = ['Offline', 'Ringing', 'In-call', 'Wrap-up'] as const;
export type SystemStatus = (typeof SYSTEM_STATUSES)[number];

export function isSystemStatus(name: string): name is SystemStatus {
  return (SYSTEM_STATUSES as readonly string[]).some((s) => s.toLowerCase() === name.toLowerCase());
}

/** The custom statuses a new tenant starts with; "Available" is the one that takes calls. */
export const DEFAULT_CUSTOM_STATUSES: readonly { name: string; ready: boolean }[] = [
  { name: 'Available', ready: true },
  { name: 'Lunch', ready: false },
  { name: 'Meeting', ready: false },
  { name: 'Break', ready: false },
];

export async function seedDefaultStatuses(db: Executor, clock: Clock, tenantId: number): Promise<void> {
  const now = clock.now();
  await db
    .insertInto('statuses')
    .values(
      DEFAULT_CUSTOM_STATUSES.map((s, i) => ({
        tenant_id: tenantId,
        name: s.name,
        name_key: s.name.toLowerCase(),
        is_ready: s.ready ? 1 : 0,
        position: i,
        created_at: now,
        deleted_at: null,
      })),
    )
    .execute();
}

/** Where an agent stands, whatever the family: every wire status is a projection of this. */
export type Presence = 'offline' | 'ready' | 'not_ready' | 'ringing' | 'in_call' | 'wrapup';

/** The presence of an agent whose status is `status`; `isReady` is the custom status's flag (null for system ones). */
export function presenceOf(status: string, isReady: number | null | undefined): Presence {
  switch (status.toLowerCase()) {
    case 'offline':
      return 'offline';
    case 'ringing':
      return 'ringing';
    case 'in-call':
      return 'in_call';
    case 'wrap-up':
      return 'wrapup';
    default:
      return isReady ? 'ready' : 'not_ready';
  }
}

/** AloHub `systemStatus` / `userStatus` (seed 000): can take calls now / is logged in. */
export function alohubStatuses(p: Presence): {
  systemStatus: 'AVAILABLE' | 'NOT AVAILABLE';
  userStatus: 'AVAILABLE' | 'LOGOUT';
} {
  return {
    systemStatus: p === 'ready' ? 'AVAILABLE' : 'NOT AVAILABLE',
    userStatus: p === 'offline' ? 'LOGOUT' : 'AVAILABLE',
  };
}

/** AntBuddy dashboard agent state (seed 002): ready, logged_out, wrapup, connected, paused. */
export function antbuddyState(p: Presence): 'ready' | 'logged_out' | 'wrapup' | 'connected' | 'paused' {
  switch (p) {
    case 'offline':
      return 'logged_out';
    case 'ready':
      return 'ready';
    case 'not_ready':
      return 'paused';
    case 'ringing':
    case 'in_call':
      return 'connected';
    case 'wrapup':
      return 'wrapup';
  }
}
