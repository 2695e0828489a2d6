import { SYSTEM_STATUSES, type SystemStatus } from './statuses.js';

/**
 * The transition rules of the agent status model, as pure functions: given where an agent stands, what an
 * operation does to it. The status service applies these inside a transaction; docs/statuses.md has the table.
 */

/** Where an agent stands: `status` is a system or custom status name; `statusId` the custom status it is in or
 * returns to after a call (kept while Ringing/In-call/Wrap-up), null when logged out. */
export interface AgentState {
  status: string;
  statusId: number | null;
}

export interface CustomStatusRef {
  id: number;
  name: string;
}

export type UnchangedReason =
  | 'same_status'
  | 'offline'
  | 'system_status'
  | 'already_logged_in'
  | 'already_logged_out'
  | 'not_in_system_status';

export type Decision =
  | { kind: 'change'; to: AgentState }
  | { kind: 'unchanged'; reason: UnchangedReason; message: string }
  /** A transition the platform must never ask for (a bug in the caller, not a user mistake). */
  | { kind: 'invalid'; message: string };

/** The canonical system status for `name` (case-insensitive), or undefined for a custom name. */
export function systemStatusOf(name: string): SystemStatus | undefined {
  const key = name.toLowerCase();
  return SYSTEM_STATUSES.find((s) => s.toLowerCase() === key);
}

/** A system status the platform holds an agent in during a call (everything but Offline). */
function inCallFlow(status: string): boolean {
  const s = systemStatusOf(status);
  return s !== undefined && s !== 'Offline';
}

const OFFLINE_MESSAGE = "Agent's status can't be changed if they are offline or logged out";
const fromSystem = (s: string) => `Agent can't be changed from system status '${s}'`;
const unchanged = (reason: UnchangedReason, message: string): Decision => ({
  kind: 'unchanged',
  reason,
  message,
});

/** A user, supervisor or API sets a custom status (the CCAI bulk update, the native PUT). */
export function customTransition(cur: AgentState, target: CustomStatusRef): Decision {
  if (systemStatusOf(cur.status) === 'Offline') return unchanged('offline', OFFLINE_MESSAGE);
  if (inCallFlow(cur.status)) return unchanged('system_status', fromSystem(cur.status));
  if (cur.statusId === target.id)
    return unchanged('same_status', `Agent is already in status '${target.name}'`);
  return { kind: 'change', to: { status: target.name, statusId: target.id } };
}

/** The agent logs in: Offline → the tenant's first ready custom status. */
export function loginTransition(cur: AgentState, firstReady: CustomStatusRef): Decision {
  if (systemStatusOf(cur.status) === 'Offline')
    return { kind: 'change', to: { status: firstReady.name, statusId: firstReady.id } };
  if (inCallFlow(cur.status)) return unchanged('system_status', fromSystem(cur.status));
  return unchanged('already_logged_in', `Agent is already logged in (status '${cur.status}')`);
}

/** The agent logs out: a custom status → Offline. During a call only the platform may do it. */
export function logoutTransition(cur: AgentState): Decision {
  if (systemStatusOf(cur.status) === 'Offline')
    return unchanged('already_logged_out', 'Agent is already logged out');
  if (inCallFlow(cur.status)) return unchanged('system_status', fromSystem(cur.status));
  return { kind: 'change', to: { status: 'Offline', statusId: null } };
}

/**
 * The platform (SIP/call engine, ACD) moves an agent into a system status. The custom status the agent had is
 * kept in `statusId`, so the agent returns to it after the call. Offline forgets it (a logout).
 */
export function systemTransition(cur: AgentState, target: SystemStatus): Decision {
  const from = systemStatusOf(cur.status);
  if (from === target) return unchanged('same_status', `Agent is already in status '${target}'`);
  const keep = (status: string): Decision => ({ kind: 'change', to: { status, statusId: cur.statusId } });
  switch (target) {
    case 'Offline':
      return { kind: 'change', to: { status: 'Offline', statusId: null } };
    case 'Ringing':
      // An agent already on a call or wrapping up is not offered another one.
      if (from === 'In-call' || from === 'Wrap-up') break;
      return keep('Ringing');
    case 'In-call':
      // From Ringing (answered), or an outbound call placed from any other state.
      return keep('In-call');
    case 'Wrap-up':
      if (from !== 'In-call') break;
      return keep('Wrap-up');
  }
  return { kind: 'invalid', message: `agent can't go from '${cur.status}' to '${target}'` };
}

/**
 * The platform ends a call flow (Ringing unanswered, In-call without wrap-up, Wrap-up over): back to the custom
 * status the agent had before, or Offline if they were logged out. `resumeTo` is that status (null: Offline).
 */
export function resumeTransition(cur: AgentState, resumeTo: CustomStatusRef | null): Decision {
  if (!inCallFlow(cur.status))
    return unchanged('not_in_system_status', `Agent is not in a call flow (status '${cur.status}')`);
  if (!resumeTo) return { kind: 'change', to: { status: 'Offline', statusId: null } };
  return { kind: 'change', to: { status: resumeTo.name, statusId: resumeTo.id } };
}
