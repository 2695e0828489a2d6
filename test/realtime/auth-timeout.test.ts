import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from '../../src/config.js';
import { FatalConfigError } from '../../src/errors.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { authToken } from '../antbuddy/helpers.js';
import { type Recorder, publishCall, record, roundTrip, subscribe } from './helpers.js';

const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'];
const TIMEOUT_MS = 400;

/** Resolves with the disconnect reason and how long after `since` it came; rejects if the server never closes. */
function closed(c: Recorder, since: number): Promise<{ reason: string; afterMs: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error('the server never closed the connection')),
      TIMEOUT_MS + 5000,
    );
    c.socket.once('disconnect', (reason) => {
      clearTimeout(timer);
      resolve({ reason, afterMs: Date.now() - since });
    });
  });
}

describe('realtime: connections that never authenticate are closed', () => {
  let s: TestServer;
  let token: string;
  const open: { close(): void }[] = [];

  before(async () => {
    // The default (30 s) shortened, as an operator would with REALTIME_AUTH_TIMEOUT_MS.
    s = await startTestServer({ env: { REALTIME_AUTH_TIMEOUT_MS: String(TIMEOUT_MS) } });
    token = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
  });
  after(async () => {
    for (const c of open) c.close();
    await s.close();
  });

  it('an idle client and one whose subscribe was refused are closed after the timeout; a subscribed one stays', async () => {
    const proper = record(s.url, { reconnection: false });
    open.push(proper);
    const ok = await subscribe(proper.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.*.*',
    });
    assert.equal(ok.ok, true);

    // Connected after `proper`: had `proper`'s own timer not been cleared, it would fire before theirs.
    const start = Date.now();
    const idle = record(s.url, { reconnection: false });
    const refused = record(s.url, { reconnection: false });
    open.push(idle, refused);
    const idleClosed = closed(idle, start);
    const refusedClosed = closed(refused, start);
    const no = await subscribe(refused.socket, {
      account_id: s.demo.account_id,
      auth_token: 'not-a-token',
      binding: 'call.*.*',
    });
    assert.equal(no.error.code, 'invalid_token');

    for (const [c, done] of [
      [idle, idleClosed],
      [refused, refusedClosed],
    ] as const) {
      const { reason, afterMs } = await done;
      assert.equal(reason, 'io server disconnect');
      assert.ok(afterMs >= TIMEOUT_MS - 50, `closed after ${afterMs} ms`);
      const why = c.events.find((e) => e.name === 'error' && e.data.code === 'auth_timeout');
      assert.ok(why, JSON.stringify(c.events));
      assert.match(why.data.message, /no successful subscribe within 400 ms/);
    }

    // The sentinel for `proper`: a round trip after the others were closed, then live events still arrive.
    await roundTrip(proper.socket);
    assert.equal(proper.socket.connected, true);
    publishCall(s, s.demo.tenant_id, 'still-here');
    const got = await proper.waitFor(CALL_EVENTS, 3);
    assert.deepEqual(
      got.map((e) => e.data.call_id),
      ['still-here', 'still-here', 'still-here'],
    );
  });

  it('the timeout defaults to 30 s and refuses nonsense', () => {
    assert.equal(loadConfig({}).realtimeAuthTimeoutMs, 30_000);
    for (const bad of ['abc', '0', '-5', '1.5', '999999999'])
      assert.throws(() => loadConfig({ REALTIME_AUTH_TIMEOUT_MS: bad }), FatalConfigError, bad);
  });
});
