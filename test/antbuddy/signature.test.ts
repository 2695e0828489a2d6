import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { appHeaders, nonce, sha256, signedQuery } from './helpers.js';

describe('AntBuddy signatures', () => {
  let s: TestServer;
  let clock: FakeClock;
  let appId: string;
  let secret: string;
  const from = '2026-01-01';
  const to = '2026-01-15';

  before(async () => {
    clock = new FakeClock(Date.now());
    s = await startTestServer({ clock });
    appId = s.demo.app_id;
    secret = s.demo.app_secret;
  });
  after(() => s.close());

  const histories = (qs: string) => call(`${s.url}/oapi/v1/call/histories?${qs}`);

  it('accepts each documented history order', async () => {
    const orders: [string, Record<string, string>, string[]][] = [
      ['appId+from+to+limit+page+secret', { limit: '10', page: '1' }, [appId, from, to, '10', '1']],
      ['from+to+limit+page+appId+secret', { limit: '10', page: '1' }, [from, to, '10', '1', appId]],
      ['appId+from+to+secret', { limit: '10', page: '1' }, [appId, from, to]],
      ['absent limit/page as empty', {}, [appId, from, to, '', '']],
      ['absent limit/page as defaults', {}, [from, to, '20', '1', appId]],
    ];
    for (const [name, extra, parts] of orders) {
      const res = await histories(
        signedQuery({ appId, created_from: from, created_to: to, ...extra }, parts, secret),
      );
      assert.equal(res.status, 200, `${name}: ${JSON.stringify(res.body)}`);
      assert.deepEqual(res.body.data, []);
    }
  });

  it('refuses a one-character change anywhere', async () => {
    const good = sha256(appId + from + to + secret);
    const flipped = (good[0] === 'a' ? 'b' : 'a') + good.slice(1);
    const res = await histories(
      new URLSearchParams({ appId, created_from: from, created_to: to, hash: flipped }).toString(),
    );
    assert.equal(res.status, 401);
    assert.deepEqual(res.body, {
      message: 'hash does not match the signed parameters',
      code: 'invalid_signature',
    });
    // The signature covers the parameters: changing created_to after signing is refused too.
    const moved = await histories(
      new URLSearchParams({ appId, created_from: from, created_to: '2026-01-16', hash: good }).toString(),
    );
    assert.equal(moved.status, 401);
    const wrongSecret = await histories(
      signedQuery({ appId, created_from: from, created_to: to }, [appId, from, to], secret + 'x'),
    );
    assert.equal(wrongSecret.status, 401);
  });

  it('refuses missing and unknown app ids with the family error shape', async () => {
    const none = await histories(`created_from=${from}&created_to=${to}`);
    assert.equal(none.status, 401);
    assert.equal(none.body.code, 'missing_credentials');
    const unknown = await histories(
      signedQuery({ appId: 'app_nope', created_from: from, created_to: to }, ['app_nope', from, to], secret),
    );
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.code, 'invalid_credentials');
  });

  it('header auth: sha256(appId + appSecret), one character off is refused', async () => {
    const ok = await call(`${s.url}/oapi/v1/voice/auth_token`, {
      method: 'POST',
      headers: appHeaders(appId, secret),
    });
    assert.equal(ok.status, 200);
    const h = appHeaders(appId, secret);
    h['x-auth-app-hash'] =
      h['x-auth-app-hash']!.slice(0, -1) + (h['x-auth-app-hash']!.endsWith('0') ? '1' : '0');
    const bad = await call(`${s.url}/oapi/v1/voice/auth_token`, { method: 'POST', headers: h });
    assert.equal(bad.status, 401);
    assert.equal(bad.body.code, 'invalid_signature');
  });

  it('timestamp + nonce are signed just before the secret, checked for freshness and replay', async () => {
    const ts = String(Math.floor(clock.now() / 1000));
    const n = nonce();
    const qs = signedQuery(
      { appId, created_from: from, created_to: to, timestamp: ts, nonce: n },
      [appId, from, to, ts, n],
      secret,
    );
    assert.equal((await histories(qs)).status, 200);
    const replay = await histories(qs);
    assert.equal(replay.status, 401);
    assert.equal(replay.body.code, 'nonce_replayed');
    // Signed without the stamp: the stamp is covered by the signature, so this is refused.
    const unsigned = signedQuery(
      { appId, created_from: from, created_to: to, timestamp: ts, nonce: nonce() },
      [appId, from, to],
      secret,
    );
    assert.equal((await histories(unsigned)).status, 401);
  });

  it('refuses a timestamp outside ±300 s of the (injected) clock', async () => {
    const stale = String(Math.floor(clock.now() / 1000) - 301);
    const n = nonce();
    const qs = signedQuery(
      { appId, created_from: from, created_to: to, timestamp: stale, nonce: n },
      [appId, from, to, stale, n],
      secret,
    );
    const res = await histories(qs);
    assert.equal(res.status, 401);
    assert.equal(res.body.code, 'timestamp_out_of_window');
    // The same request is fine while the clock says it is fresh.
    clock.advance(-2000);
    const n2 = nonce();
    const fresh = signedQuery(
      { appId, created_from: from, created_to: to, timestamp: stale, nonce: n2 },
      [appId, from, to, stale, n2],
      secret,
    );
    assert.equal((await histories(fresh)).status, 200);
    clock.advance(2000);
  });

  it('header auth takes the stamp in x-auth-timestamp / x-auth-nonce', async () => {
    const ts = String(Math.floor(clock.now() / 1000));
    const n = nonce();
    const headers = {
      'x-auth-app-id': appId,
      'x-auth-app-hash': sha256(appId + ts + n + secret),
      'x-auth-timestamp': ts,
      'x-auth-nonce': n,
    };
    assert.equal((await call(`${s.url}/oapi/v1/voice/auth_token`, { method: 'POST', headers })).status, 200);
    const again = await call(`${s.url}/oapi/v1/voice/auth_token`, { method: 'POST', headers });
    assert.equal(again.status, 401);
    assert.equal(again.body.code, 'nonce_replayed');
  });

  it('a lone timestamp or a malformed nonce is a 400', async () => {
    const ts = String(Math.floor(clock.now() / 1000));
    const lone = await histories(
      signedQuery({ appId, created_from: from, created_to: to, timestamp: ts }, [appId, from, to], secret),
    );
    assert.equal(lone.status, 400);
    assert.equal(lone.body.message, 'timestamp and nonce must be sent together');
    const short = await histories(
      signedQuery(
        { appId, created_from: from, created_to: to, timestamp: ts, nonce: 'x' },
        [appId, from, to],
        secret,
      ),
    );
    assert.equal(short.status, 400);
  });

  it('an expired websocket token cannot be used; the token is stored hashed', async () => {
    const res = await call(`${s.url}/oapi/v1/voice/auth_token`, {
      method: 'POST',
      headers: appHeaders(appId, secret),
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.expire, 3600);
    assert.equal(res.body.expires_at, Math.floor(clock.now() / 1000) + 3600);
    const rows = await s.t.ctx.db
      .selectFrom('access_tokens')
      .select('token_hash')
      .where('kind', '=', 'ws')
      .execute();
    assert.ok(rows.every((r) => r.token_hash !== res.body.value));
    assert.ok(rows.some((r) => r.token_hash === sha256(res.body.value)));
    assert.ok(await s.t.ctx.credentials.verifyToken(res.body.value, 'ws'));
    clock.advance(3600_000 + 1);
    assert.equal(await s.t.ctx.credentials.verifyToken(res.body.value, 'ws'), null);
    clock.advance(-(3600_000 + 1));
  });
});
