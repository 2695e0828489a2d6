/** Revoking tokens and apps from the CLI, token lifetime bounds, and scopes that open nothing refused. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TOKEN_TTL_BOUNDS_MS } from '../../src/domain/credentials.js';
import { DomainError } from '../../src/errors.js';
import { assertOneLineError, oneJson, tongdai } from '../helpers/cli.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';

describe('credential lifecycle', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  test('token revoke: the running server refuses the token next; a second revoke is not found', async () => {
    const tenant = String(s.demo.tenant_id);
    const tok = oneJson(await tongdai(['--json', 'token', 'create', '--tenant', tenant], s.env));
    assert.ok(await s.t.ctx.credentials.verifyToken(tok.bearer_token, 'bearer'));
    const r = oneJson(await tongdai(['--json', 'token', 'revoke', tok.bearer_token], s.env));
    assert.equal(r.revoked, true);
    assert.equal(await s.t.ctx.credentials.verifyToken(tok.bearer_token, 'bearer'), null);
    assertOneLineError(await tongdai(['token', 'revoke', tok.bearer_token], s.env), /not found/i);
  });

  test('app revoke: the app and the websocket tokens it issued stop working', async () => {
    const creds = s.t.ctx.credentials;
    const app = await creds.createApp(s.demo.tenant_id);
    const found = await creds.findApp(app.appId);
    assert.ok(found);
    const ws = await creds.createToken(s.demo.tenant_id, 'ws', { appCredentialId: found.id });
    const other = await creds.createToken(s.demo.tenant_id, 'ws');
    const r = oneJson(await tongdai(['--json', 'app', 'revoke', app.appId], s.env));
    assert.equal(r.revoked, app.appId);
    assert.equal(await creds.findApp(app.appId), null);
    assert.equal(await creds.verifyToken(ws.token, 'ws'), null);
    assert.ok(await creds.verifyToken(other.token, 'ws'), 'a token of no app is untouched');
    assertOneLineError(await tongdai(['app', 'revoke', app.appId], s.env), /not found/i);
    assertOneLineError(await tongdai(['app', 'revoke', 'app_nope'], s.env), /not found/i);
  });

  test('absurd token lifetimes are refused, the bounds themselves accepted', async () => {
    const creds = s.t.ctx.credentials;
    const id = s.demo.tenant_id;
    for (const [kind, ttlMs] of [
      ['bearer', 0],
      ['bearer', -5],
      ['bearer', Number.NaN],
      ['bearer', Number.POSITIVE_INFINITY],
      ['bearer', 1.5e15],
      ['bearer', TOKEN_TTL_BOUNDS_MS.bearer + 1],
      ['bearer', TOKEN_TTL_BOUNDS_MS.min - 1],
      ['ws', TOKEN_TTL_BOUNDS_MS.ws + 1],
    ] as const) {
      await assert.rejects(
        creds.createToken(id, kind, { ttlMs }),
        (e: unknown) => e instanceof DomainError && e.code === 'INVALID_INPUT',
        `${kind} ${ttlMs}`,
      );
    }
    for (const [kind, ttlMs] of [
      ['bearer', TOKEN_TTL_BOUNDS_MS.bearer],
      ['bearer', TOKEN_TTL_BOUNDS_MS.min],
      ['ws', TOKEN_TTL_BOUNDS_MS.ws],
    ] as const) {
      const t = await creds.createToken(id, kind, { ttlMs });
      assert.equal(t.expiresAt - s.clock.now(), ttlMs);
    }
    assertOneLineError(
      await tongdai(['token', 'create', '--tenant', String(id), '--ttl', '3153600000'], s.env),
      /between 1 and 2592000 seconds/,
    );
  });

  test('scopes recording and webhook are refused at creation with the reason', async () => {
    const tenant = String(s.demo.tenant_id);
    for (const scope of ['recording', 'webhook', 'agent,recording']) {
      assertOneLineError(
        await tongdai(['key', 'create', '--tenant', tenant, '--scopes', scope], s.env),
        /opens no route/,
      );
    }
  });
});
