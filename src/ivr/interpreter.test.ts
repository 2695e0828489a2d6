import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FakeClock } from '../clock.js';
import {
  type FlowDirectory,
  type IvrAction,
  type IvrEvent,
  type Step,
  startFlow,
  stepFlow,
} from './interpreter.js';
import { HOTLINE } from './testflows.js';
import { validateFlow } from './validate.js';

const flow = validateFlow(HOTLINE);
// Tuesday 2026-09-01 10:00 in Hà Nội (UTC+7) is 03:00 UTC.
const TUESDAY_10 = Date.UTC(2026, 8, 1, 3, 0);

function env(at = TUESDAY_10, queues = [11, 12]) {
  const directory: FlowDirectory = {
    queueExists: (id) => queues.includes(id),
    agentExists: () => true,
    extensionExists: (e) => e === '101',
  };
  return { clock: new FakeClock(at), directory };
}

function run(events: IvrEvent[], e = env()): Step[] {
  const steps = [startFlow(flow, e)];
  for (const ev of events) steps.push(stepFlow(flow, steps[steps.length - 1]!.state, ev, e));
  return steps;
}
const last = (steps: Step[]) => steps[steps.length - 1]!;
const routes = (a: IvrAction[]) => a.filter((x) => x.type === 'route' || x.type === 'hangup');
const digit = (d: string): IvrEvent => ({ type: 'digit', digit: d });

describe('IVR stepper', () => {
  it('greets with the menu and collects one digit during opening hours', () => {
    const [s] = run([]);
    assert.deepEqual(s!.actions, [
      { type: 'play', prompts: HOTLINE.nodes.main.prompt, language: 'vi' },
      { type: 'collect', timeoutMs: 4000, digits: ['0', '1', '2'] },
    ]);
    assert.deepEqual(s!.state, { node: 'main', retries: 0, waiting: 'collect' });
  });

  it('navigates: 1 to the sales queue (after its prompt), 2 then 1 to support, 0 to an extension', () => {
    assert.deepEqual(last(run([digit('1')])).actions, [
      { type: 'play', prompts: ['please-hold'], language: 'vi' },
      { type: 'route', target: { kind: 'queue', queueId: 11 } },
    ]);
    const sub = run([digit('2'), digit('1')]);
    assert.equal(sub[1]!.state.node, 'support');
    assert.deepEqual(routes(last(sub).actions), [{ type: 'route', target: { kind: 'queue', queueId: 12 } }]);
    assert.deepEqual(routes(last(run([digit('0')])).actions), [
      { type: 'route', target: { kind: 'extension', extension: '101' } },
    ]);
    assert.deepEqual(routes(last(run([digit('2'), digit('#')])).actions), [
      { type: 'route', target: { kind: 'callback', queueId: 12 } },
    ]);
    assert.equal(last(run([digit('2'), digit('9')])).state.node, 'main');
  });

  it('says "invalid" and asks again, then takes the failure branch after maxRetries', () => {
    const steps = run([digit('7'), digit('8')]);
    assert.deepEqual(steps[1]!.actions[0], {
      type: 'play',
      prompts: ['invalid', ...HOTLINE.nodes.main.prompt],
      language: 'vi',
    });
    assert.equal(steps[1]!.state.retries, 1);
    assert.deepEqual(steps[2]!.actions, [
      { type: 'play', prompts: ['invalid'], language: 'vi' },
      { type: 'route', target: { kind: 'queue', queueId: 12 } },
    ]);
  });

  it('counts timeouts like invalid input, with the no-input prompt; a default menu hangs up with goodbye', () => {
    const steps = run([{ type: 'timeout' }]);
    assert.deepEqual(steps[1]!.actions[0]!, {
      type: 'play',
      prompts: ['no-input', ...HOTLINE.nodes.main.prompt],
      language: 'vi',
    });
    // support has the default of 2 retries and no onFail.
    const s = run([digit('2'), { type: 'timeout' }, { type: 'timeout' }, { type: 'timeout' }]);
    assert.deepEqual(last(s).actions, [
      { type: 'play', prompts: ['no-input'], language: 'vi' },
      { type: 'play', prompts: ['goodbye'], language: 'vi' },
      { type: 'hangup', reason: 'retries' },
    ]);
    assert.equal(last(s).state.waiting, 'done');
  });

  it('plays the closed branch outside hours, in the flow time zone', () => {
    // 17:30 in Hà Nội is 10:30 UTC: closed on Tuesday (end exclusive); 12:30 Monday is lunch.
    const closed = [Date.UTC(2026, 8, 1, 10, 30), Date.UTC(2026, 7, 31, 5, 30), Date.UTC(2026, 8, 6, 3, 0)];
    for (const at of closed) {
      assert.deepEqual(startFlow(flow, env(at)).actions, [
        { type: 'play', prompts: ['closed'], language: 'vi' },
        { type: 'hangup', reason: 'flow' },
      ]);
    }
    // 17:29 Tuesday local is still open; 2026-08-31 23:59 UTC is already Tuesday 06:59 local (closed).
    assert.equal(startFlow(flow, env(Date.UTC(2026, 8, 1, 10, 29))).state.node, 'main');
    assert.equal(startFlow(flow, env(Date.UTC(2026, 7, 31, 23, 59))).state.waiting, 'done');
  });

  it('plays the holiday branch on a holiday even within the weekly hours', () => {
    // 2026-09-02 is a Wednesday; give it hours to prove the holiday wins.
    const f = validateFlow({
      ...HOTLINE,
      nodes: {
        ...HOTLINE.nodes,
        hours: { ...HOTLINE.nodes.hours, weekly: { wed: ['00:00-24:00'], thu: ['00:00-24:00'] } },
      },
    });
    const at = Date.UTC(2026, 8, 2, 3, 0);
    assert.deepEqual(startFlow(f, env(at)).actions[0], {
      type: 'play',
      prompts: ['holiday'],
      language: 'vi',
    });
    assert.equal(startFlow(f, env(at + 86_400_000)).state.node, 'main');
  });

  it('falls back to the error branch when a queue was deleted, never drops silently', () => {
    const steps = run([digit('1')], env(TUESDAY_10, [12]));
    assert.deepEqual(last(steps).actions, [
      { type: 'play', prompts: ['please-hold'], language: 'vi' },
      { type: 'play', prompts: ['error'], language: 'vi' },
    ]);
    assert.deepEqual(last(steps).state, { node: 'sorry', retries: 0, waiting: 'played' });
    const after = stepFlow(flow, last(steps).state, { type: 'played' }, env(TUESDAY_10, [12]));
    assert.deepEqual(after.actions, [
      { type: 'play', prompts: ['voicemail'], language: 'vi' },
      { type: 'route', target: { kind: 'voicemail', mailbox: null, maxSec: 120 } },
    ]);
  });

  it('hangs up with an error when the error branch itself cannot be taken, and stops runaway loops', () => {
    const f = validateFlow({
      start: 'a',
      onError: { type: 'queue', queueId: 99 },
      nodes: {
        a: { type: 'play', prompt: [], next: { type: 'queue', queueId: 98 } },
      },
    });
    const e = env();
    const s = stepFlow(f, startFlow(f, e).state, { type: 'played' }, e);
    assert.deepEqual(s.actions, [
      { type: 'play', prompts: ['error'], language: 'vi' },
      { type: 'hangup', reason: 'error' },
    ]);
    const loop = validateFlow({
      start: 'h',
      nodes: {
        h: {
          type: 'hours',
          weekly: {},
          open: { type: 'goto', node: 'h' },
          closed: { type: 'goto', node: 'h' },
        },
      },
    });
    assert.deepEqual(routes(startFlow(loop, e).actions), [{ type: 'hangup', reason: 'error' }]);
  });

  it('ignores events the state does not wait for', () => {
    const s = startFlow(flow, env());
    assert.deepEqual(stepFlow(flow, s.state, { type: 'played' }, env()), { state: s.state, actions: [] });
    const done = last(run([digit('1')]));
    assert.deepEqual(stepFlow(flow, done.state, digit('1'), env()).actions, []);
  });
});
