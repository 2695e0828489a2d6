import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sha256Hex } from '../../domain/secrets.js';
import { checkWindow, historyCandidates, matchesAny, parseStamp, signatureOf } from './signature.js';

describe('AntBuddy signature rules', () => {
  const q = { from: '2026-01-01', to: '2026-01-31', limit: undefined, page: undefined };

  it('history candidates: three orders, absent paging as "" and as defaults, no duplicates', () => {
    const c = historyCandidates('app', q);
    assert.deepEqual(c, [
      ['app', q.from, q.to],
      ['app', q.from, q.to, '', ''],
      [q.from, q.to, '', '', 'app'],
      ['app', q.from, q.to, '20', '1'],
      [q.from, q.to, '20', '1', 'app'],
    ]);
    assert.equal(historyCandidates('app', { ...q, limit: '5', page: '2' }).length, 3);
  });

  it('the stamp goes right before the secret', () => {
    const stamp = { timestamp: '1773129600', nonce: 'abcdefgh' };
    assert.equal(
      signatureOf(['app', 'm.wav'], 's3cret', stamp),
      sha256Hex('appm.wav1773129600abcdefghs3cret'),
    );
    assert.equal(
      matchesAny(
        [['x'], ['app', 'm.wav']],
        's3cret',
        stamp,
        sha256Hex('appm.wav1773129600abcdefghs3cret').toUpperCase(),
      ),
      true,
    );
    assert.equal(
      matchesAny([['app', 'm.wav']], 's3cret', null, sha256Hex('appm.wav1773129600abcdefghs3cret')),
      false,
    );
  });

  it('parseStamp wants both or neither, in shape', () => {
    assert.equal(parseStamp(undefined, undefined), null);
    assert.throws(() => parseStamp('1', undefined), /together/);
    assert.throws(() => parseStamp('soon', 'abcdefgh'), /unix seconds/);
    assert.throws(() => parseStamp('1', 'short'), /nonce/);
  });

  it('the window is ±300 s inclusive', () => {
    const now = 1_773_129_600_000;
    checkWindow({ timestamp: String(now / 1000 - 300), nonce: 'abcdefgh' }, now);
    checkWindow({ timestamp: String(now / 1000 + 300), nonce: 'abcdefgh' }, now);
    assert.throws(
      () => checkWindow({ timestamp: String(now / 1000 + 301), nonce: 'abcdefgh' }, now),
      /300 s/,
    );
  });
});
