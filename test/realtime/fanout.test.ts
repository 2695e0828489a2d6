import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { authToken } from '../antbuddy/helpers.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { recordV2 } from './clients.js';
import { type Recording, callSentinel, publishCall, publishDtmf, record, subscribe } from './helpers.js';

const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'];
const NAMES = [...CALL_EVENTS, 'DTMF'];

/**
 * Events close together leave as one batch: one write per WebSocket with several frames in it
 * (src/realtime/fanout.ts). Every kind of client must still get exactly its own events, in publish order, each once:
 * WebSocket v4, long polling (which cannot take several frames in one packet), v2 (Engine.IO 3), and bindings that
 * select part of a batch.
 */
describe('realtime: batched events reach every transport and binding in order', () => {
  let s: TestServer;
  let token: string;
  const open: { close(): void }[] = [];

  before(async () => {
    // A long window, so the events published right after the first batch are held and leave together.
    s = await startTestServer({ env: { REALTIME_BATCH_MS: '300' } });
    token = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
  });
  after(async () => {
    for (const c of open) c.close();
    await s.close();
  });

  const req = (binding: string) => ({ account_id: s.demo.account_id, auth_token: token, binding });
  const seen = async (c: Recording, n: number) =>
    (await c.waitFor(NAMES, n)).map((e) => `${e.name}/${e.data.call_id}/${e.argc}`);

  it('WebSocket, long polling, v2, a per-call and a per-event binding each get theirs, in order, once', async () => {
    const ws = record(s.url);
    const polling = record(s.url, { transports: ['polling'] });
    const oneCall = record(s.url);
    const createsOnly = record(s.url);
    const v2 = recordV2(s.url);
    open.push(ws, polling, oneCall, createsOnly, v2);
    for (const c of [ws, polling]) assert.equal((await subscribe(c.socket, req('call.*.*'))).ok, true);
    assert.equal((await subscribe(oneCall.socket, req('call.*.b-2'))).ok, true);
    assert.equal((await subscribe(createsOnly.socket, req('call.CHANNEL_CREATE.*'))).ok, true);
    assert.equal((await v2.subscribe(req('call.*.*'))).ok, true);

    publishCall(s, s.demo.tenant_id, 'b-1');
    await ws.waitFor(NAMES, 3);
    // Within the window after that batch: these ten are held, then sent as one batch.
    publishCall(s, s.demo.tenant_id, 'b-2');
    publishDtmf(s, s.demo.tenant_id, 'b-2', '5');
    publishCall(s, s.demo.tenant_id, 'b-3');

    const all = ['b-1', 'b-2', 'b-3'].flatMap((id) => [
      ...CALL_EVENTS.map((n) => `${n}/${id}/1`),
      ...(id === 'b-2' ? ['DTMF/b-2/1'] : []),
    ]);
    for (const c of [ws, polling, v2]) assert.deepEqual(await seen(c, all.length), all);
    assert.deepEqual(
      await seen(oneCall, 4),
      [...CALL_EVENTS, 'DTMF'].map((n) => `${n}/b-2/1`),
    );
    assert.deepEqual(
      await seen(createsOnly, 3),
      ['b-1', 'b-2', 'b-3'].map((id) => `CHANNEL_CREATE/${id}/1`),
    );

    // Nothing else arrived before a sentinel call, and event ids are increasing without repeats.
    publishCall(s, s.demo.tenant_id, 'sentinel');
    publishCall(s, s.demo.tenant_id, 'b-2'); // the per-call binding's own sentinel
    for (const c of [ws, polling, v2, createsOnly]) {
      const before = await c.until(NAMES, callSentinel('sentinel'));
      assert.deepEqual(
        before.map((e) => `${e.name}/${e.data.call_id}/${e.argc}`),
        c === createsOnly ? ['b-1', 'b-2', 'b-3'].map((id) => `CHANNEL_CREATE/${id}/1`) : all,
      );
      const ids = before.map((e) => e.data.event_id as number);
      assert.deepEqual(
        ids,
        [...ids].sort((a, b) => a - b),
      );
      assert.equal(new Set(ids).size, ids.length);
    }
    assert.equal((await oneCall.waitFor(NAMES, 7)).length, 7);
    assert.equal(oneCall.events.filter((e) => NAMES.includes(e.name) && e.data.call_id !== 'b-2').length, 0);
  });
});
