import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isStoreUnavailable } from './unavailable.js';

describe('isStoreUnavailable', () => {
  it('recognises a store that cannot be reached, not a bug', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    assert.equal(isStoreUnavailable(refused), true);
    assert.equal(isStoreUnavailable(new AggregateError([refused], '')), true, "pg's several-address connect");
    assert.equal(
      isStoreUnavailable(Object.assign(new Error('terminating connection'), { code: '57P01' })),
      true,
    );
    assert.equal(isStoreUnavailable(new Error('Connection terminated unexpectedly')), true);
    assert.equal(
      isStoreUnavailable(Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })),
      true,
    );
    assert.equal(isStoreUnavailable(new Error('wrapped', { cause: refused })), true);
    assert.equal(
      isStoreUnavailable(Object.assign(new Error('dup'), { code: '23505' })),
      false,
      'a constraint',
    );
    assert.equal(isStoreUnavailable(new TypeError("reading 'x' of undefined")), false);
    assert.equal(isStoreUnavailable(undefined), false);
  });
});
