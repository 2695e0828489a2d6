import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { authToken } from '../antbuddy/helpers.js';
import { callSentinel, publishCall, publishDtmf, record, roundTrip, subscribe } from './helpers.js';

const GREGORIAN = 62167219200;
const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'];

describe('realtime call events (Kazoo blackhole protocol)', () => {
  let s: TestServer;
  let clock: FakeClock;
  let token: string;
  const open: { close(): void }[] = [];

  before(async () => {
    clock = new FakeClock(Date.now());
    s = await startTestServer({ clock });
    token = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
  });
  after(async () => {
    for (const c of open) c.close();
    await s.close();
  });

  it('delivers CHANNEL_CREATE, CHANNEL_ANSWER, CHANNEL_DESTROY in order with one call_id', async () => {
    const c = record(s.url);
    open.push(c);
    for (const binding of ['call.CHANNEL_CREATE.*', 'call.CHANNEL_ANSWER.*', 'call.CHANNEL_DESTROY.*']) {
      const ack = await subscribe(c.socket, { account_id: s.demo.account_id, auth_token: token, binding });
      assert.equal(ack.ok, true, JSON.stringify(ack));
    }
    const start = clock.now();
    publishCall(s, s.demo.tenant_id, 'call-1@tongdai');
    const got = await c.waitFor(CALL_EVENTS, 3);
    assert.deepEqual(
      got.map((e) => e.name),
      CALL_EVENTS,
    );
    for (const e of got) {
      assert.equal(e.data.call_id, 'call-1@tongdai');
      assert.equal(e.data.event_name, e.name);
      assert.equal(e.data.account_id, s.demo.account_id);
      assert.equal(e.data.caller_id_number, '0987654321');
      assert.equal(e.data.destination_number, '02873019555');
      assert.equal(e.data.direction, 'inbound');
      assert.equal(e.data.Timestamp, Math.floor(start / 1000) + GREGORIAN);
    }
    const destroy = got[2]!.data;
    assert.equal(destroy.duration, 65);
    assert.equal(destroy.billing_seconds, 60);
    assert.equal(destroy.hangup_cause, 'NORMAL_CLEARING');
    assert.ok(got[0]!.data.event_id < got[1]!.data.event_id && got[1]!.data.event_id < got[2]!.data.event_id);
    assert.equal(got[0]!.data.duration, undefined);
  });

  it("never delivers another tenant's calls, and refuses another tenant's account_id", async () => {
    const other = await otherTenant(s);
    const otherToken = await authToken(s.url, other.appId, other.appSecret);
    const spy = record(s.url);
    open.push(spy);
    const ok = await subscribe(spy.socket, {
      account_id: other.tenant.account_id,
      auth_token: otherToken,
      bindings: ['call.*.*', 'agent.status_changed.*'],
    });
    assert.equal(ok.ok, true);
    // The other tenant's token cannot subscribe to the demo account.
    const cross = await subscribe(spy.socket, {
      account_id: s.demo.account_id,
      auth_token: otherToken,
      binding: 'call.*.*',
    });
    assert.equal(cross.ok, false);
    assert.equal(cross.error.code, 'account_mismatch');
    const errs = await spy.waitFor(['subscribe_error'], 1);
    assert.equal(errs[0]!.data.code, 'account_mismatch');
    assert.ok(spy.events.some((e) => e.name === 'error' && e.data.code === 'account_mismatch'));

    const mine = record(s.url);
    open.push(mine);
    await subscribe(mine.socket, { account_id: s.demo.account_id, auth_token: token, binding: 'call.*.*' });
    publishCall(s, s.demo.tenant_id, 'demo-only');
    publishCall(s, other.tenant.id, 'other-only');
    publishCall(s, s.demo.tenant_id, 'demo-sentinel');
    publishCall(s, other.tenant.id, 'other-sentinel');
    const demoEvents = await mine.until(CALL_EVENTS, callSentinel('demo-sentinel'));
    const otherEvents = await spy.until(CALL_EVENTS, callSentinel('other-sentinel'));
    // Each tenant's stream is ordered, not the two together: once both sentinels arrived, every event of either
    // tenant has been written out, and a round trip on each connection brings in whatever was written to it.
    await Promise.all([roundTrip(mine.socket), roundTrip(spy.socket)]);
    assert.deepEqual(
      demoEvents.map((e) => `${e.name}/${e.data.call_id}`),
      CALL_EVENTS.map((n) => `${n}/demo-only`),
    );
    assert.deepEqual(
      otherEvents.map((e) => `${e.name}/${e.data.call_id}`),
      CALL_EVENTS.map((n) => `${n}/other-only`),
    );
    const callIds = (r: typeof mine) => new Set(r.events.map((e) => e.data?.call_id).filter(Boolean));
    assert.deepEqual([...callIds(mine)], ['demo-only', 'demo-sentinel']);
    assert.deepEqual([...callIds(spy)], ['other-only', 'other-sentinel']);
  });

  it('refuses a wrong or expired token with subscribe_error and no subscription', async () => {
    const c = record(s.url);
    open.push(c);
    const wrong = await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token + 'x',
      binding: 'call.*.*',
    });
    assert.deepEqual(wrong, {
      ok: false,
      error: { code: 'invalid_token', message: 'auth_token is wrong or has expired' },
    });
    const fresh = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
    clock.advance(3600_000 + 1000);
    try {
      const expired = await subscribe(c.socket, {
        account_id: s.demo.account_id,
        auth_token: fresh,
        binding: 'call.*.*',
      });
      assert.equal(expired.ok, false);
      assert.equal(expired.error.code, 'invalid_token');
    } finally {
      clock.advance(-(3600_000 + 1000));
    }
    const bad = await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'calls.everything',
    });
    assert.equal(bad.error.code, 'invalid_binding');
    // The sentinel: one call-id binding that works. Had a refused subscribe joined anything, `unseen` came first.
    await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.CHANNEL_CREATE.sentinel-refused',
    });
    publishCall(s, s.demo.tenant_id, 'unseen');
    publishCall(s, s.demo.tenant_id, 'sentinel-refused');
    assert.deepEqual(await c.until(CALL_EVENTS, callSentinel('sentinel-refused')), []);
  });

  it('bindings select events; a call-id binding gets only that call; unsubscribe stops delivery', async () => {
    const c = record(s.url);
    open.push(c);
    await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.CHANNEL_DESTROY.*',
    });
    await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.CHANNEL_CREATE.pick.me@host',
    });
    publishCall(s, s.demo.tenant_id, 'pick.me@host');
    publishCall(s, s.demo.tenant_id, 'not-me');
    const got = await c.waitFor(CALL_EVENTS, 3);
    assert.deepEqual(
      got.map((e) => `${e.name}/${e.data.call_id}`),
      ['CHANNEL_CREATE/pick.me@host', 'CHANNEL_DESTROY/pick.me@host', 'CHANNEL_DESTROY/not-me'],
    );
    const un = await c.socket.timeout(3000).emitWithAck('unsubscribe', {
      bindings: ['call.CHANNEL_DESTROY.*', 'call.CHANNEL_CREATE.pick.me@host'],
    });
    assert.equal(un.ok, true);
    await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.CHANNEL_CREATE.sentinel-unsubscribed',
    });
    publishCall(s, s.demo.tenant_id, 'pick.me@host');
    publishCall(s, s.demo.tenant_id, 'sentinel-unsubscribed');
    assert.equal((await c.until(CALL_EVENTS, callSentinel('sentinel-unsubscribed'))).length, 3);
  });

  it('agent status changes arrive under agent.status_changed.* as AGENT_STATUS_CHANGED', async () => {
    const c = record(s.url);
    open.push(c);
    await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'agent.status_changed.*',
    });
    const agent = await s.t.ctx.db
      .selectFrom('agents')
      .selectAll()
      .where('tenant_id', '=', s.demo.tenant_id)
      .executeTakeFirstOrThrow();
    s.t.ctx.bus.publish(s.demo.tenant_id, 'agent.status_changed', {
      agentId: agent.id,
      agentUid: agent.uid,
      extension: agent.extension,
      previous: 'Offline',
      current: 'Available',
      changedBy: 'agent',
      at: clock.now(),
    });
    const [e] = await c.waitFor(['AGENT_STATUS_CHANGED'], 1);
    assert.equal(e!.data.agent_id, agent.uid);
    assert.equal(e!.data.status, 'ready');
    assert.equal(e!.data.previous_status, 'logged_out');
    assert.equal(e!.data.status_name, 'Available');
    assert.equal(e!.data.Timestamp, Math.floor(clock.now() / 1000) + GREGORIAN);
  });

  it('the status service’s own changes arrive in order, projected to AntBuddy states; per-agent bindings filter', async () => {
    const c = record(s.url);
    open.push(c);
    const [first, second] = await s.t.ctx.db
      .selectFrom('agents')
      .select(['id', 'uid'])
      .where('tenant_id', '=', s.demo.tenant_id)
      .orderBy('id')
      .limit(2)
      .execute();
    await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: `agent.status_changed.${second!.uid}`,
    });
    await s.t.ctx.statuses.login(s.demo.tenant_id, first!.id, 'test');
    await s.t.ctx.statuses.login(s.demo.tenant_id, second!.id, 'test');
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [second!.id], 'Lunch', 'test');
    await s.t.ctx.statuses.logout(s.demo.tenant_id, second!.id, 'test');
    await s.t.ctx.statuses.login(s.demo.tenant_id, second!.id, 'sentinel');
    const got = await c.until(['AGENT_STATUS_CHANGED'], (e) => e.data.changed_by === 'sentinel');
    assert.deepEqual(
      got.map((e) => [e.data.agent_id, e.data.previous_status, e.data.status, e.data.status_name]),
      [
        [second!.uid, 'logged_out', 'ready', 'Available'],
        [second!.uid, 'ready', 'paused', 'Lunch'],
        [second!.uid, 'paused', 'logged_out', 'Offline'],
      ],
    );
  });

  it('DTMF digits arrive as DTMF under call.DTMF.* and per-call bindings, for their own tenant only', async () => {
    const all = record(s.url);
    const one = record(s.url);
    open.push(all, one);
    await subscribe(all.socket, { account_id: s.demo.account_id, auth_token: token, binding: 'call.DTMF.*' });
    await subscribe(one.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      bindings: ['call.DTMF.dtmf-a', 'call.CHANNEL_CREATE.dtmf-sentinel'],
    });
    const other = await otherTenant(s);
    const witness = record(s.url);
    open.push(witness);
    await subscribe(witness.socket, {
      account_id: other.tenant.account_id,
      auth_token: await authToken(s.url, other.appId, other.appSecret),
      binding: 'call.DTMF.*',
    });
    publishDtmf(s, other.tenant.id, 'dtmf-a', '9');
    publishDtmf(s, other.tenant.id, 'other-sentinel', '0');
    publishDtmf(s, s.demo.tenant_id, 'dtmf-a', '1');
    publishDtmf(s, s.demo.tenant_id, 'dtmf-b', '2');
    publishDtmf(s, s.demo.tenant_id, 'dtmf-a', '#', 'agent');
    publishCall(s, s.demo.tenant_id, 'dtmf-sentinel');
    publishDtmf(s, s.demo.tenant_id, 'dtmf-sentinel', '0');
    const got = await all.until(['DTMF'], callSentinel('dtmf-sentinel'));
    assert.deepEqual(
      got.map((e) => `${e.data.call_id}/${e.data.dtmf_digit}/${e.data.leg}`),
      ['dtmf-a/1/caller', 'dtmf-b/2/caller', 'dtmf-a/#/agent'],
    );
    for (const e of got) {
      assert.equal(e.data.event_name, 'DTMF');
      assert.equal(e.data.account_id, s.demo.account_id);
      assert.equal(e.data.dtmf_duration, 160);
      assert.equal(e.data.Timestamp, Math.floor(clock.now() / 1000) + GREGORIAN);
      assert.equal(typeof e.data.event_id, 'number');
    }
    assert.deepEqual(
      (await one.until(['DTMF'], callSentinel('dtmf-sentinel'))).map((e) => e.data.dtmf_digit),
      ['1', '#'],
    );
    // The other tenant's digit went out before its sentinel reached the witness; a round trip flushes `all`.
    assert.deepEqual(
      (await witness.until(['DTMF'], callSentinel('other-sentinel'))).map((e) => e.data.dtmf_digit),
      ['9'],
    );
    await Promise.all([roundTrip(all.socket), roundTrip(one.socket)]);
    const digits = all.events.filter((e) => e.name === 'DTMF');
    assert.deepEqual(
      digits.map((e) => e.data.dtmf_digit),
      ['1', '2', '#', '0'],
    );
    assert.ok(digits.every((e) => e.data.account_id === s.demo.account_id));
    // A CHANNEL_* binding never selects DTMF: the sentinel call's own digit did not reach `one`.
    assert.equal(one.events.filter((e) => e.name === 'DTMF').length, 2);
  });
});
