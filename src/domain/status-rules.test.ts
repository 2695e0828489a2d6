import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  type AgentState,
  type Decision,
  customTransition,
  loginTransition,
  logoutTransition,
  resumeTransition,
  systemStatusOf,
  systemTransition,
} from './status-rules.js';

const AVAILABLE = { id: 1, name: 'Available' };
const LUNCH = { id: 2, name: 'Lunch' };
const st = (status: string, statusId: number | null = null): AgentState => ({ status, statusId });
const offline = st('Offline');
const available = st('Available', 1);
const lunch = st('Lunch', 2);
const ringing = st('Ringing', 1);
const inCall = st('In-call', 2);
const wrapup = st('Wrap-up', 1);
const inCallLoggedOut = st('In-call', null);

type Expect = AgentState | `unchanged:${string}` | 'invalid';

function check(d: Decision, expected: Expect) {
  if (typeof expected === 'object') {
    assert.equal(d.kind, 'change', JSON.stringify(d));
    if (d.kind === 'change') assert.deepEqual(d.to, expected);
  } else if (expected === 'invalid') {
    assert.equal(d.kind, 'invalid', JSON.stringify(d));
  } else {
    assert.equal(d.kind, 'unchanged', JSON.stringify(d));
    if (d.kind === 'unchanged') assert.equal(`unchanged:${d.reason}`, expected);
  }
}

const label = (a: AgentState) => `${a.status}${a.statusId === null ? '' : `#${a.statusId}`}`;

describe('status transition rules', () => {
  const customRows: [AgentState, { id: number; name: string }, Expect][] = [
    [available, LUNCH, lunch],
    [lunch, AVAILABLE, available],
    [available, AVAILABLE, 'unchanged:same_status'],
    [offline, AVAILABLE, 'unchanged:offline'],
    [ringing, LUNCH, 'unchanged:system_status'],
    [inCall, AVAILABLE, 'unchanged:system_status'],
    [wrapup, LUNCH, 'unchanged:system_status'],
  ];
  for (const [from, target, expected] of customRows) {
    it(`custom: ${label(from)} → ${target.name} = ${typeof expected === 'object' ? label(expected) : expected}`, () =>
      check(customTransition(from, target), expected));
  }

  it('custom: the documented messages', () => {
    const sys = customTransition(inCall, AVAILABLE);
    assert.equal(
      sys.kind === 'unchanged' && sys.message,
      "Agent can't be changed from system status 'In-call'",
    );
    const off = customTransition(offline, AVAILABLE);
    assert.equal(
      off.kind === 'unchanged' && off.message,
      "Agent's status can't be changed if they are offline or logged out",
    );
  });

  const loginRows: [AgentState, Expect][] = [
    [offline, available],
    [lunch, 'unchanged:already_logged_in'],
    [inCall, 'unchanged:system_status'],
  ];
  for (const [from, expected] of loginRows) {
    it(`login: ${label(from)}`, () => check(loginTransition(from, AVAILABLE), expected));
  }

  const logoutRows: [AgentState, Expect][] = [
    [lunch, offline],
    [available, offline],
    [offline, 'unchanged:already_logged_out'],
    [ringing, 'unchanged:system_status'],
    [wrapup, 'unchanged:system_status'],
  ];
  for (const [from, expected] of logoutRows) {
    it(`logout: ${label(from)}`, () => check(logoutTransition(from), expected));
  }

  const systemRows: [AgentState, 'Offline' | 'Ringing' | 'In-call' | 'Wrap-up', Expect][] = [
    [available, 'Ringing', ringing],
    [lunch, 'Ringing', st('Ringing', 2)],
    [offline, 'Ringing', st('Ringing', null)],
    [inCall, 'Ringing', 'invalid'],
    [wrapup, 'Ringing', 'invalid'],
    [ringing, 'Ringing', 'unchanged:same_status'],
    [ringing, 'In-call', st('In-call', 1)],
    [available, 'In-call', st('In-call', 1)],
    [offline, 'In-call', inCallLoggedOut],
    [wrapup, 'In-call', st('In-call', 1)],
    [inCall, 'Wrap-up', st('Wrap-up', 2)],
    [ringing, 'Wrap-up', 'invalid'],
    [available, 'Wrap-up', 'invalid'],
    [inCall, 'Offline', offline],
    [lunch, 'Offline', offline],
    [offline, 'Offline', 'unchanged:same_status'],
  ];
  for (const [from, target, expected] of systemRows) {
    it(`platform: ${label(from)} → ${target}`, () => check(systemTransition(from, target), expected));
  }

  const resumeRows: [AgentState, { id: number; name: string } | null, Expect][] = [
    [wrapup, AVAILABLE, available],
    [inCall, LUNCH, lunch],
    [ringing, AVAILABLE, available],
    [inCallLoggedOut, null, offline],
    [available, AVAILABLE, 'unchanged:not_in_system_status'],
    [offline, null, 'unchanged:not_in_system_status'],
  ];
  for (const [from, to, expected] of resumeRows) {
    it(`platform resume: ${label(from)} → ${to?.name ?? 'Offline'}`, () =>
      check(resumeTransition(from, to), expected));
  }

  it('system status names are matched case-insensitively', () => {
    assert.equal(systemStatusOf('in-CALL'), 'In-call');
    assert.equal(systemStatusOf('offline'), 'Offline');
    assert.equal(systemStatusOf('Available'), undefined);
  });
});
