import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sayNumber, sayOrdinal } from './say.js';

const vi = (n: number) => sayNumber(n, 'vi').join(' ');
const en = (n: number) => sayNumber(n, 'en').join(' ');

describe('sayNumber vi', () => {
  it('says units, ten and the teens (mười lăm, not mười năm)', () => {
    assert.equal(vi(0), '0');
    assert.equal(vi(1), '1');
    assert.equal(vi(4), '4');
    assert.equal(vi(5), '5');
    assert.equal(vi(10), '10');
    assert.equal(vi(11), '10 1');
    assert.equal(vi(14), '10 4');
    assert.equal(vi(15), '10 lam');
  });
  it('uses mốt, tư and lăm after a tens word', () => {
    assert.equal(vi(20), '2 muoi');
    assert.equal(vi(21), '2 muoi mot');
    assert.equal(vi(24), '2 muoi tu');
    assert.equal(vi(25), '2 muoi lam');
    assert.equal(vi(99), '9 muoi 9');
  });
  it('says linh (or lẻ) for a zero tens digit after hundreds', () => {
    assert.equal(vi(100), '1 tram');
    assert.equal(vi(101), '1 tram linh 1');
    assert.equal(vi(105), '1 tram linh 5');
    assert.equal(vi(110), '1 tram 10');
    assert.equal(vi(115), '1 tram 10 lam');
    assert.equal(sayNumber(105, 'vi', { zeroTens: 'le' }).join(' '), '1 tram le 5');
  });
  it('reads inner groups in full and skips zero groups', () => {
    assert.equal(vi(1005), '1 nghin 0 tram linh 5');
    assert.equal(vi(1000), '1 nghin');
    assert.equal(vi(1021), '1 nghin 0 tram 2 muoi mot');
    assert.equal(vi(25_000), '2 muoi lam nghin');
    assert.equal(vi(1_000_000), '1 trieu');
    assert.equal(vi(2_000_500), '2 trieu 5 tram');
    assert.equal(vi(1_000_005), '1 trieu 0 tram linh 5');
    assert.equal(vi(3_000_000_000), '3 ty');
  });
  it('refuses what it cannot say', () => {
    assert.throws(() => sayNumber(-1, 'vi'), RangeError);
    assert.throws(() => sayNumber(1.5, 'en'), RangeError);
    assert.throws(() => sayNumber(1e12, 'en'), RangeError);
  });
});

describe('sayNumber en', () => {
  it('follows Asterisk English (no "and")', () => {
    assert.equal(en(0), '0');
    assert.equal(en(1), '1');
    assert.equal(en(15), '15');
    assert.equal(en(21), '20 1');
    assert.equal(en(40), '40');
    assert.equal(en(101), '1 hundred 1');
    assert.equal(en(105), '1 hundred 5');
    assert.equal(en(1005), '1 thousand 5');
    assert.equal(en(1_000_000), '1 million');
    assert.equal(en(2_345_678), '2 million 3 hundred 40 5 thousand 6 hundred 70 8');
    assert.equal(en(7_000_000_001), '7 billion 1');
  });
});

describe('sayOrdinal', () => {
  it('Vietnamese: thứ nhất, thứ tư, otherwise thứ + cardinal', () => {
    assert.deepEqual(sayOrdinal(1, 'vi'), ['thu', 'nhat']);
    assert.deepEqual(sayOrdinal(3, 'vi'), ['thu', '3']);
    assert.deepEqual(sayOrdinal(4, 'vi'), ['thu', 'tu']);
    assert.deepEqual(sayOrdinal(14, 'vi'), ['thu', '10', '4']);
    assert.deepEqual(sayOrdinal(21, 'vi'), ['thu', '2', 'muoi', 'mot']);
    assert.deepEqual(sayOrdinal(105, 'vi'), ['thu', '1', 'tram', 'linh', '5']);
  });
  it('English: the last word in ordinal form', () => {
    assert.deepEqual(sayOrdinal(1, 'en'), ['h-1']);
    assert.deepEqual(sayOrdinal(11, 'en'), ['h-11']);
    assert.deepEqual(sayOrdinal(21, 'en'), ['20', 'h-1']);
    assert.deepEqual(sayOrdinal(30, 'en'), ['h-30']);
    assert.deepEqual(sayOrdinal(100, 'en'), ['1', 'h-hundred']);
    assert.deepEqual(sayOrdinal(105, 'en'), ['1', 'hundred', 'h-5']);
    assert.deepEqual(sayOrdinal(1_000_000, 'en'), ['1', 'h-million']);
  });
});
