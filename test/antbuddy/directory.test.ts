import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { insertCallRecord } from '../../src/domain/call-history.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { appHeaders, signedQuery } from './helpers.js';

const GREGORIAN = 62167219200;

describe('AntBuddy dashboard, queues, agents and click-to-call', () => {
  let s: TestServer;
  let clock: FakeClock;
  let domain: string;
  let email: string;
  let agents: {
    id: number;
    uid: string;
    extension: string;
    email: string;
    name: string;
    username: string | null;
  }[];
  let queueId: number;
  const now = Date.UTC(2026, 2, 10, 9, 0, 0);

  const signed = (path: string, d = domain, e = email, id = s.demo.app_id, sec = s.demo.app_secret) =>
    call(`${s.url}${path}?${signedQuery({ appId: id, domain: d, email: e }, [id, d, e], sec)}`);

  before(async () => {
    clock = new FakeClock(now);
    s = await startTestServer({ clock });
    const db = s.t.ctx.db;
    domain = s.demo.sip_domain;
    agents = await db
      .selectFrom('agents')
      .select(['id', 'uid', 'extension', 'email', 'name', 'username'])
      .where('tenant_id', '=', s.demo.tenant_id)
      .orderBy('id')
      .execute();
    email = agents[0]!.email;
    queueId = (
      await db
        .selectFrom('inbound_queues')
        .select('id')
        .where('tenant_id', '=', s.demo.tenant_id)
        .executeTakeFirstOrThrow()
    ).id;
    // Agent 0 ready since 10 min, agent 1 on a call, agent 2 offline.
    await db
      .updateTable('agents')
      .set({ status: 'Available', status_changed_at: now - 600_000 })
      .where('id', '=', agents[0]!.id)
      .execute();
    await db
      .updateTable('agents')
      .set({ status: 'In-call', status_changed_at: now - 60_000 })
      .where('id', '=', agents[1]!.id)
      .execute();
    const q = { tenant: s.demo.tenant_id };
    await insertCallRecord(db, q.tenant, {
      callId: 'h1',
      direction: 'inbound',
      callerNumber: '0901',
      calleeNumber: '02873019555',
      queueId,
      agentId: agents[0]!.id,
      createdAt: now - 3600_000,
      answeredAt: now - 3600_000 + 6000,
      endedAt: now - 3600_000 + 186_000,
      billingSec: 180,
      queueStat: { wait_time: 6, talk_time: 180, status: 'processed' },
    });
    await insertCallRecord(db, q.tenant, {
      callId: 'h2',
      direction: 'inbound',
      callerNumber: '0902',
      calleeNumber: '02873019555',
      queueId,
      createdAt: now - 1800_000,
      endedAt: now - 1800_000 + 15_000,
      // The call engine's own keys (outcome, wait_sec, reason, hangup_by) read the same as the seed's.
      queueStat: {
        outcome: 'abandoned',
        wait_sec: 15,
        entered: 1,
        handled: 0,
        misses: [],
        reason: 'caller_abandoned',
        hangup_by: 'caller',
      },
    });
    await insertCallRecord(db, q.tenant, {
      callId: 'w1',
      direction: 'inbound',
      callerNumber: '0903',
      calleeNumber: '02873019555',
      queueId,
      createdAt: now - 20_000,
    });
  });
  after(() => s.close());

  it('dashboard: agent counts by AntBuddy state, status details in Gregorian seconds, queue statistics', async () => {
    const res = await signed('/oapi/v1/call/dashboard');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { agent, queue } = res.body;
    assert.deepEqual(
      {
        ready: agent.ready,
        logged_out: agent.logged_out,
        wrapup: agent.wrapup,
        logged_in: agent.logged_in,
        connected: agent.connected,
        paused: agent.paused,
      },
      { ready: 1, logged_out: 1, wrapup: 0, logged_in: 2, connected: 1, paused: 0 },
    );
    const ready = agent.status_details.find((d: any) => d.agent_id === agents[0]!.uid);
    const since = Math.floor((now - 600_000) / 1000);
    assert.deepEqual(ready, {
      timestamp: since + GREGORIAN,
      status: 'ready',
      id: `${agents[0]!.uid}::${since + GREGORIAN}`,
      agent_id: agents[0]!.uid,
      start_idle_time: since + GREGORIAN,
      idle_time: 600,
      waiting_calls: [],
      unix_timestamp: since,
      username: agents[0]!.username,
      name: agents[0]!.name,
    });
    assert.equal(agent.status_details.length, 2);
    assert.equal(queue.received, 3);
    assert.equal(queue.offered, 2);
    assert.equal(queue.handled, 1);
    assert.equal(queue.abandoned, 1);
    assert.deepEqual(queue.abandoned_detail, { caller_abandoned: 1 });
    assert.equal(queue.abandoned_calls, 1);
    assert.equal(queue.max_waiting, 20);
    assert.equal(queue.avg_waiting, Math.round((6 + 15 + 20) / 3));
    assert.equal(queue.avg_talking, 180);
    assert.equal(queue.waiting_call_logs.length, 1);
    assert.equal(queue.waiting_call_logs[0].call_id, 'w1');
    assert.equal(queue.waiting_call_logs[0].wait_time, 20);
    assert.equal(queue.status_details[0].queue_id, queueId);
    assert.equal(queue.status_details[0].waiting, 1);
  });

  it('queues list names and 32-hex member ids; agents carry anttel.userId, username, name, ext', async () => {
    const qs = await signed('/oapi/v1/queues');
    assert.equal(qs.status, 200);
    assert.deepEqual(qs.body, [{ id: queueId, name: 'Support', agents: agents.map((a) => a.uid) }]);
    assert.ok((qs.body as { agents: string[] }[])[0]!.agents.every((u: string) => /^[0-9a-f]{32}$/.test(u)));
    const as = await signed('/oapi/v1/agents');
    assert.equal(as.status, 200);
    assert.deepEqual(as.body[0], {
      anttel: { userId: agents[0]!.uid },
      username: agents[0]!.username,
      name: agents[0]!.name,
      email: agents[0]!.email,
      ext: [agents[0]!.extension],
    });
  });

  it('the signed domain and email must be the app’s own company', async () => {
    const wrongDomain = await signed('/oapi/v1/agents', 'example.com');
    assert.equal(wrongDomain.status, 403);
    assert.equal(wrongDomain.body.code, 'domain_mismatch');
    const outsider = await signed('/oapi/v1/queues', domain, 'someone@else.test');
    assert.equal(outsider.status, 403);
    assert.equal(outsider.body.code, 'email_not_in_company');
    const other = await otherTenant(s);
    // Another tenant's app naming this tenant's domain and email is refused; its own view is empty.
    const cross = await signed('/oapi/v1/agents', domain, email, other.appId, other.appSecret);
    assert.equal(cross.status, 403);
    const tampered = await call(
      `${s.url}/oapi/v1/agents?${signedQuery({ appId: s.demo.app_id, domain, email: agents[1]!.email }, [s.demo.app_id, domain, email], s.demo.app_secret)}`,
    );
    assert.equal(tampered.status, 401);
  });

  it('click-to-call: bad credentials 401, unregistered device 400, registered device 200', async () => {
    const a = agents[0]!;
    const sipPassword = s.demo.agents.find((x) => x.extension === a.extension)!.sip_password;
    const post = (number: string, body?: unknown, qs = '') =>
      call(`${s.url}/oapi/v1/call/click-to-call/${number}${qs}`, {
        method: 'POST',
        headers: appHeaders(s.demo.app_id, s.demo.app_secret),
        body,
      });
    const wrong = await post('0909123456', { sipUser: a.extension, sipPassword: 'nope' });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.code, 'invalid_sip_credentials');
    const offline = await post('0909123456', { sipUser: a.extension, sipPassword });
    assert.equal(offline.status, 400);
    assert.equal(offline.body.code, 'device_not_registered');
    const missing = await post('0909123456', {});
    assert.equal(missing.status, 400);
    const badNumber = await post('abc', { sipUser: a.extension, sipPassword });
    assert.equal(badNumber.status, 400);

    await s.t.ctx.db
      .insertInto('sip_registrations')
      .values({
        tenant_id: s.demo.tenant_id,
        agent_id: a.id,
        contact: `sip:${a.extension}@127.0.0.1:5062`,
        source_ip: '127.0.0.1',
        source_port: 5062,
        transport: 'udp',
        user_agent: 'test',
        expires_at: now + 3600_000,
        created_at: now,
      })
      .execute();
    const originated: unknown[] = [];
    const previous = s.t.ctx.clickToCall;
    s.t.ctx.clickToCall = { originate: async (req) => (originated.push(req), { callId: 'c2c-1' }) };
    try {
      // sipUser / sipPassword may come in the query string too.
      const qs = `?sipUser=${a.extension}&sipPassword=${encodeURIComponent(sipPassword)}`;
      const ok = await post('0909123456', undefined, qs);
      assert.equal(ok.status, 200, JSON.stringify(ok.body));
      assert.deepEqual(ok.body, { message: 'calling', call_id: 'c2c-1' });
      assert.deepEqual(originated, [{ tenantId: s.demo.tenant_id, agentId: a.id, number: '0909123456' }]);
      // A registration that has expired means offline again.
      clock.advance(3600_000 + 1);
      assert.equal((await post('0909123456', { sipUser: a.extension, sipPassword })).status, 400);
    } finally {
      clock.set(now);
      s.t.ctx.clickToCall = previous;
    }
  });
});
