import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { authToken } from '../antbuddy/helpers.js';
import { recordV2, requirePythonSocketio, runPythonClient } from './clients.js';
import { type Received, publishCall, publishDtmf, record, subscribe } from './helpers.js';

const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'];
const PUSHED = [...CALL_EVENTS, 'DTMF'];

/**
 * Kazoo clients take each event's data as the handler's only argument (`def on_create(data)`): anything after it
 * breaks them. Each real client below receives a whole call and a digit, each event with exactly one argument.
 */
describe('realtime: every event reaches real clients with exactly one argument', () => {
  let s: TestServer;
  let token: string;
  const open: { close(): void }[] = [];

  before(async () => {
    s = await startTestServer();
    token = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
  });
  after(async () => {
    for (const c of open) c.close();
    await s.close();
  });

  const request = (binding = 'call.*.*') => ({ account_id: s.demo.account_id, auth_token: token, binding });

  /** What `got` must hold after `publish(callId)`: the four events in order, one argument each. */
  function check(got: Received[], callId: string) {
    assert.deepEqual(
      got.map((e) => `${e.name}/${e.data.call_id}/${e.argc}`),
      PUSHED.map((n) => `${n}/${callId}/1`),
    );
    for (const e of got) assert.equal(e.data.event_name, e.name);
    assert.equal(got[3]!.data.dtmf_digit, '7');
  }
  const publish = (callId: string) => {
    publishCall(s, s.demo.tenant_id, callId);
    publishDtmf(s, s.demo.tenant_id, callId, '7');
  };

  it('socket.io-client v4', async () => {
    const c = record(s.url);
    open.push(c);
    assert.equal((await subscribe(c.socket, request())).ok, true);
    publish('v4-call');
    check(await c.waitFor(PUSHED, 4), 'v4-call');
    const subscribed = c.events.find((e) => e.name === 'subscribed');
    assert.equal(subscribed?.argc, 1);
  });

  it('socket.io-client v2 (Engine.IO 3)', async () => {
    const c = recordV2(s.url);
    open.push(c);
    const ack = await c.subscribe(request());
    assert.equal(ack.ok, true, JSON.stringify(ack));
    publish('v2-call');
    check(await c.waitFor(PUSHED, 4), 'v2-call');
  });

  it("Debian's python3-socketio with one-parameter handlers", { skip: requirePythonSocketio() }, async () => {
    const py = runPythonClient(s.url, request(), 4);
    open.push(py);
    const fail = (err: Error) => {
      throw new Error(`${err.message}\npython stderr:\n${py.stderr()}`);
    };
    const [ack] = await py.waitFor(['ack'], 1, 15_000).catch(fail);
    assert.equal(ack!.data.ok, true, JSON.stringify(ack));
    publish('py-call');
    // python-socketio runs handlers on one thread each: the order is event_id's, not the handlers'.
    const got = await py.waitFor(PUSHED, 4, 10_000).catch(fail);
    check(
      [...got].sort((a, b) => a.data.event_id - b.data.event_id),
      'py-call',
    );
    const { code, stderr } = await py.exited;
    assert.equal(code, 0, stderr);
    assert.doesNotMatch(stderr, /handler error|TypeError/);
  });
});
