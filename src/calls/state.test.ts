import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FakeClock } from '../clock.js';
import { CallStateError, CallStateMachine } from './state.js';

test('a queued call: routing → queued → offering → queued (miss) → offering → bridged ⇄ held → ended', () => {
  const clock = new FakeClock(0);
  const m = new CallStateMachine(() => clock.now());
  const seen: string[] = [];
  m.onTransition((t) => seen.push(`${t.from}>${t.to}@${t.at}`));
  for (const to of ['queued', 'offering', 'queued', 'offering', 'bridged', 'held', 'bridged'] as const) {
    clock.advance(10);
    assert.ok(m.to(to), to);
  }
  clock.advance(10);
  assert.ok(m.to('ended'));
  assert.equal(m.state, 'ended');
  assert.equal(seen.length, 8);
  assert.deepEqual(seen.slice(0, 2), ['routing>queued@10', 'queued>offering@20']);
  assert.equal(seen.at(-1), 'bridged>ended@80');
});

test('illegal transitions change nothing; a required one names the state it was refused in', () => {
  const m = new CallStateMachine(() => 0);
  assert.equal(m.to('held'), false);
  assert.equal(m.state, 'routing');
  assert.throws(
    () => m.require('transferring', 'transfer'),
    (e: unknown) => e instanceof CallStateError && e.state === 'routing' && /routing/.test(e.message),
  );
  m.to('offering');
  // Transfer during ringing is refused: there is no bridge to transfer yet.
  assert.throws(() => m.require('transferring', 'transfer'), CallStateError);
  assert.equal(m.state, 'offering');
});

test('hang-up races: ended is final, a late answer or a second hang-up is ignored', () => {
  const m = new CallStateMachine(() => 0);
  m.to('offering');
  assert.ok(m.to('ended'));
  assert.equal(m.to('bridged'), false);
  assert.equal(m.to('ended'), false);
  assert.equal(m.history.length, 2);
});

test('a transfer that fails goes back to the bridge; one that succeeds bridges the new side', () => {
  const m = new CallStateMachine(() => 0);
  m.to('offering');
  m.to('bridged');
  m.require('transferring', 'transfer');
  assert.ok(m.to('bridged'));
  m.to('held');
  m.require('transferring', 'transfer');
  assert.ok(m.to('held'));
});
