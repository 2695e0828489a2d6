import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HOTLINE } from './testflows.js';
import { FlowInvalid, validateFlow } from './validate.js';

const clone = (): Record<string, any> => structuredClone(HOTLINE) as Record<string, any>;

function refused(doc: unknown, path: string, text: RegExp): void {
  assert.throws(
    () => validateFlow(doc),
    (e: unknown) => {
      assert.ok(e instanceof FlowInvalid, String(e));
      assert.equal(e.path, path);
      assert.match(e.message, text);
      assert.equal(e.code, 'INVALID_INPUT');
      return true;
    },
  );
}

describe('flow validation', () => {
  it('accepts a hotline and fills in the defaults', () => {
    const f = validateFlow(HOTLINE);
    assert.equal(f.timezone, 'Asia/Ho_Chi_Minh');
    assert.equal(f.language, 'vi');
    assert.equal(f.start, 'hours');
  });
  it('refuses a bad action with its path', () => {
    const d = clone();
    d.nodes.main.options['1'].queueId = 0;
    refused(d, '/nodes/main/options/1/queueId', /must be >= 1/);
    const e = clone();
    e.nodes.main.options['1'] = { type: 'teleport' };
    refused(e, '/nodes/main/options/1/type', /must be one of queue, agent/);
  });
  it('refuses a goto to a missing node and a missing start', () => {
    const d = clone();
    d.nodes.support.options['9'].node = 'nowhere';
    refused(d, '/nodes/support/options/9/node', /no node named "nowhere"/);
    refused({ ...clone(), start: 'ghost' }, '/start', /no node named/);
  });
  it('refuses unknown properties, keys that are not digits, prompts and time zones', () => {
    refused({ ...clone(), colour: 'blue' }, '/colour', /not an allowed property/);
    const d = clone();
    d.nodes.main.options['x'] = { type: 'hangup' };
    refused(d, '/nodes/main/options/x', /pattern|property/);
    const p = clone();
    p.nodes.main.prompt[2] = 'banana';
    refused(p, '/nodes/main/prompt/2', /no vi prompt named "banana"/);
    refused({ ...clone(), timezone: 'Mars/Olympus' }, '/timezone', /unknown time zone/);
  });
  it('refuses ranges that end before they start and impossible dates', () => {
    const d = clone();
    d.nodes.hours.weekly.tue = ['17:00-08:00'];
    refused(d, '/nodes/hours/weekly/tue/0', /must end after it starts/);
    const h = clone();
    h.nodes.hours.holidays = ['2026-02-30'];
    refused(h, '/nodes/hours/holidays/0', /not a calendar date/);
    const w = clone();
    w.nodes.hours.weekly.tue = ['8-17'];
    refused(w, '/nodes/hours/weekly/tue/0', /pattern/);
  });
  it('refuses what is not a flow at all', () => {
    refused('hello', '', /object/);
    refused({ start: 'a', nodes: {} }, '/nodes', /fewer than 1/);
  });
});
