import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { authToken, secondTenant } from '../antbuddy/helpers.js';
import { Eio3Client, publishCall, record, subscribe } from './helpers.js';

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
    const other = await secondTenant(s);
    const otherToken = await authToken(s.url, other.appId, other.secret);
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
    const demoEvents = await mine.waitFor(CALL_EVENTS, 3);
    const otherEvents = await spy.waitFor(CALL_EVENTS, 3);
    assert.ok(demoEvents.every((e) => e.data.call_id === 'demo-only'));
    assert.ok(otherEvents.every((e) => e.data.call_id === 'other-only'));
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(mine.events.filter((e) => CALL_EVENTS.includes(e.name)).length, 3);
    assert.equal(spy.events.filter((e) => CALL_EVENTS.includes(e.name)).length, 3);
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
    publishCall(s, s.demo.tenant_id, 'unseen');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(c.events.filter((e) => CALL_EVENTS.includes(e.name)).length, 0);
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
    publishCall(s, s.demo.tenant_id, 'pick.me@host');
    await new Promise((r) => setTimeout(r, 150));
    assert.equal(c.events.filter((e) => CALL_EVENTS.includes(e.name)).length, 3);
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
    const got = await c.waitFor(['AGENT_STATUS_CHANGED'], 3);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(c.events.filter((e) => e.name === 'AGENT_STATUS_CHANGED').length, 3);
    assert.deepEqual(
      got.map((e) => [e.data.agent_id, e.data.previous_status, e.data.status, e.data.status_name]),
      [
        [second!.uid, 'logged_out', 'ready', 'Available'],
        [second!.uid, 'ready', 'paused', 'Lunch'],
        [second!.uid, 'paused', 'logged_out', 'Offline'],
      ],
    );
  });

  it('a Socket.IO v2 (Engine.IO 3) client subscribes and receives events', async () => {
    const v2 = new Eio3Client(s.url);
    await v2.open();
    try {
      await v2.emit('subscribe', { account_id: s.demo.account_id, auth_token: token, binding: 'call.*.*' });
      const deadline = Date.now() + 3000;
      while (!v2.events.some((e) => e.name === 'subscribed') && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      publishCall(s, s.demo.tenant_id, 'legacy-call');
      while (v2.events.filter((e) => CALL_EVENTS.includes(e.name)).length < 3 && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 10));
      assert.deepEqual(
        v2.events.filter((e) => CALL_EVENTS.includes(e.name)).map((e) => `${e.name}/${e.data.call_id}`),
        CALL_EVENTS.map((n) => `${n}/legacy-call`),
      );
    } finally {
      await v2.close();
    }
  });
});
