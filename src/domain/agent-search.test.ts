import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pageOf } from './agent-search.js';
import { checkPassword } from './agent-lifecycle.js';

const fields = (page: number, size: number, total: number) => {
  const p = pageOf([], page, size, total);
  return [p.total_pages, p.has_next, p.next_page, p.has_previous, p.previous_page];
};

test('pageOf: first, middle, last, past-the-end and empty pages', () => {
  assert.deepEqual(fields(1, 3, 9), [3, true, 2, false, 1]);
  assert.deepEqual(fields(2, 3, 9), [3, true, 3, true, 1]);
  assert.deepEqual(fields(3, 3, 9), [3, false, 3, true, 2]);
  assert.deepEqual(fields(1, 50, 46), [1, false, 1, false, 1], 'the v3 sample: next_page 1 on the only page');
  assert.deepEqual(fields(3, 3, 10), [4, true, 4, true, 2], 'a partial last page still counts');
  assert.deepEqual(fields(9, 3, 9), [3, false, 9, true, 3], 'past the end points back at the last page');
  assert.deepEqual(fields(1, 50, 0), [0, false, 1, false, 1]);
  assert.deepEqual(fields(2, 50, 0), [0, false, 2, true, 1]);
});

test('checkPassword: the strict invite rule and the v2 rule', () => {
  assert.equal(checkPassword('Str0ng!pass', 'strict'), null);
  assert.match(checkPassword('Str0ngpass', 'strict')!, /special/);
  assert.match(checkPassword('STR0NG!PASS', 'strict')!, /lowercase/);
  assert.equal(checkPassword('13579ABCD', 'v2'), null, 'the v2 sample shape: no lowercase or special needed');
  assert.equal(checkPassword('13579Abc@', 'v2'), null, 'the document example');
  assert.match(checkPassword('13579abc@', 'v2')!, /uppercase/);
  assert.match(checkPassword('Abcdefgh', 'v2')!, /digit/);
  assert.match(checkPassword('Ab1!', 'v2')!, /at least 8/);
  assert.match(checkPassword('A1!' + 'a'.repeat(200), 'strict')!, /at most 128/);
});
