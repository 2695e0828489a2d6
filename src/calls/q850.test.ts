import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { causeOfSipStatus, sipStatusOfCause, statusDetailOf } from './q850.js';

describe('Q.850 mapping', () => {
  const table: [number, string][] = [
    [200, 'NORMAL_CLEARING'],
    [486, 'USER_BUSY'],
    [600, 'USER_BUSY'],
    [480, 'NO_ANSWER'],
    [408, 'NO_ANSWER'],
    [487, 'ORIGINATOR_CANCEL'],
    [404, 'UNALLOCATED_NUMBER'],
    [484, 'INVALID_NUMBER_FORMAT'],
    [403, 'CALL_REJECTED'],
    [603, 'CALL_REJECTED'],
    [488, 'INCOMPATIBLE_DESTINATION'],
    [503, 'NORMAL_CIRCUIT_CONGESTION'],
    [500, 'NORMAL_TEMPORARY_FAILURE'],
    [415, 'CALL_REJECTED'],
  ];
  for (const [status, cause] of table) {
    it(`${status} → ${cause}`, () => assert.equal(causeOfSipStatus(status), cause));
  }

  it('maps causes back to the status a caller is refused with', () => {
    assert.equal(sipStatusOfCause('USER_BUSY'), 486);
    assert.equal(sipStatusOfCause('NO_ANSWER'), 480);
    assert.equal(sipStatusOfCause('OUTGOING_CALL_BARRED'), 403);
    assert.equal(sipStatusOfCause('NORMAL_CIRCUIT_CONGESTION'), 503);
  });

  it('derives the status detail', () => {
    assert.equal(statusDetailOf(true, 'NORMAL_CLEARING'), 'SUCCESS');
    assert.equal(statusDetailOf(false, 'ORIGINATOR_CANCEL'), 'CANCELLED');
    assert.equal(statusDetailOf(false, 'USER_BUSY'), 'BUSY');
    assert.equal(statusDetailOf(false, 'NO_ANSWER'), 'UNSUCCESS');
    assert.equal(statusDetailOf(false, 'NORMAL_CLEARING', 'caller'), 'CANCELLED', 'hung up while queued');
    assert.equal(statusDetailOf(false, 'NORMAL_CLEARING', 'system'), 'UNSUCCESS');
  });
});
