import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  NonceIssuer,
  authorizationFor,
  challenges,
  digestResponse,
  readCredentials,
  responseMatches,
} from './digest.js';

describe('digest', () => {
  it('computes the RFC 2617 §3.5 example (MD5, qop=auth)', () => {
    const c = readCredentials(
      'Digest username="Mufasa", realm="testrealm@host.com", nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", ' +
        'uri="/dir/index.html", qop=auth, nc=00000001, cnonce="0a4f113b", ' +
        'response="6629fae49393a05397450978507c4ef1", opaque="5ccc069c403ebaf9f0171e9517f40e41"',
    );
    assert.ok(c);
    assert.equal(digestResponse(c, 'GET', 'Circle Of Life'), '6629fae49393a05397450978507c4ef1');
    assert.equal(responseMatches(c, 'GET', 'Circle Of Life'), true);
    assert.equal(responseMatches(c, 'GET', 'circle of life'), false);
  });

  it('computes the RFC 7616 §3.9.1 SHA-256 example', () => {
    const c = readCredentials(
      'Digest username="Mufasa", realm="http-auth@example.org", uri="/dir/index.html", algorithm=SHA-256, ' +
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", nc=00000001, cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ", ' +
        'qop=auth, response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"',
    );
    assert.ok(c);
    assert.equal(c.algorithm, 'SHA-256');
    assert.equal(responseMatches(c, 'GET', 'Circle of Life'), true);
  });

  it('rejects unsupported algorithms and incomplete qop parameters', () => {
    assert.equal(
      readCredentials('Digest username="a", realm="r", nonce="n", uri="u", response="x", algorithm=SHA-512'),
      null,
    );
    assert.equal(
      readCredentials('Digest username="a", realm="r", nonce="n", uri="u", response="x", qop=auth'),
      null,
    );
    assert.equal(readCredentials('Basic YTpi'), null);
  });

  it('issues stateless nonces that expire as stale and cannot be forged or moved to another realm', () => {
    const issuer = new NonceIssuer(Buffer.alloc(32, 7), 30_000);
    const n = issuer.issue('a.example', 1_000_000);
    assert.equal(issuer.check(n, 'a.example', 1_010_000), 'valid');
    assert.equal(issuer.check(n, 'a.example', 1_031_000), 'stale');
    assert.equal(issuer.check(n, 'b.example', 1_010_000), 'invalid');
    assert.equal(
      issuer.check(
        n.replace(/.$/, (c) => (c === 'A' ? 'B' : 'A')),
        'a.example',
        1_010_000,
      ),
      'invalid',
    );
    assert.equal(new NonceIssuer(Buffer.alloc(32, 8), 30_000).check(n, 'a.example', 1_010_000), 'invalid');
  });

  it('offers MD5 before SHA-256 by default, with stale=true when asked', () => {
    const [first, second] = challenges('r', 'n', true);
    assert.match(first!, /algorithm=MD5/);
    assert.match(second!, /algorithm=SHA-256/);
    assert.match(first!, /stale=true/);
  });

  it("answers a peer's challenge (MD5 with qop, SHA-256) so that the peer can verify it", () => {
    for (const challenge of challenges('carrier.example', 'n0nce', false)) {
      const header = authorizationFor(
        challenge,
        { username: 'tongdai', password: 's3cret' },
        'INVITE',
        'sip:0901@c',
      );
      const c = readCredentials(header!);
      assert.ok(c);
      assert.equal(c.qop, 'auth');
      assert.equal(responseMatches(c, 'INVITE', 's3cret'), true);
      assert.equal(responseMatches(c, 'INVITE', 'other'), false);
    }
    assert.equal(
      authorizationFor('Basic realm="x"', { username: 'a', password: 'b' }, 'INVITE', 'sip:x'),
      null,
    );
  });
});
