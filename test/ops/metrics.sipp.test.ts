import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, freeMediaPort, startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, SCENARIOS, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { authToken } from '../antbuddy/helpers.js';
import { record, subscribe } from '../realtime/helpers.js';
import { scrape, value } from './scrape.js';

const skip = await requireTool('sipp');
const TOKEN = 'metrics-token-for-the-test-0123';

describe('/metrics after a real call', { skip }, () => {
  let s: TestServer;
  let metricsUrl: string;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({ clock: systemClock, env: { METRICS_PORT: '0', METRICS_TOKEN: TOKEN } });
    metricsUrl = `http://127.0.0.1:${s.t.metricsPort}/metrics`;
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  it('counts the SIP traffic, the call, its cause, its RTP, its events and shows it active while up', async (ctx) => {
    const t = String(s.demo.tenant_id);
    // A Kazoo-style subscriber on the call events: the realtime series count what it is sent.
    const listener = record(s.url);
    ctx.after(() => listener.close());
    const token = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
    const ack = await subscribe(listener.socket, {
      account_id: s.demo.account_id,
      auth_token: token,
      binding: 'call.*.*',
    });
    assert.equal(ack.ok, true, JSON.stringify(ack));
    const before = await scrape(metricsUrl);
    assert.ok(value(before, 'tongdai_realtime_sockets') >= 1);
    const callee = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    const a = s.demo.agents[0]!;
    const b = s.demo.agents[1]!;
    const csv = peers.csv(`metrics-${a.extension}.csv`, [[b.extension, s.demo.sip_domain, a.extension]]);
    const run = peers.sippRun(`127.0.0.1:${s.t.sipPort}`, [
      ...['-sf', SCENARIOS + 'agent-call.xml', '-inf', csv, '-au', a.extension, '-ap', a.sip_password],
      ...['-p', String(await freeUdpPort()), '-mp', String(await freeMediaPort()), '-d', '2000', '-m', '1'],
    ]);
    // While the call is up it is active on this node, under the demo tenant's label.
    const during = await waitFor(
      async () => {
        const m = await scrape(metricsUrl);
        return value(m, `tongdai_calls_active{tenant="${t}"}`) === 1 ? m : null;
      },
      10_000,
      'the call to show as active',
    );
    assert.ok(value(during, 'tongdai_rtp_streams_open') >= 2, 'both legs hold a media port');
    const r = await run.done;
    assert.equal(r.code, 0, r.stdout.slice(-1500) + r.stderr);
    assert.equal((await callee.done).code, 0);
    const rec = await closedCall(s, 'callee_number', b.extension);
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');

    const m = await waitFor(async () => {
      const x = await scrape(metricsUrl);
      return value(x, 'tongdai_calls_ended_total{cause="NORMAL_CLEARING",direction="internal"}') >
        value(before, 'tongdai_calls_ended_total{cause="NORMAL_CLEARING",direction="internal"}')
        ? x
        : null;
    });
    const delta = (series: string) => value(m, series) - value(before, series);
    assert.equal(delta('tongdai_calls_started_total{direction="internal"}'), 1);
    assert.equal(delta('tongdai_calls_answered_total{direction="internal"}'), 1);
    assert.equal(delta('tongdai_calls_ended_total{cause="NORMAL_CLEARING",direction="internal"}'), 1);
    assert.equal(value(m, `tongdai_calls_active{tenant="${t}"}`), 0);
    assert.equal(delta('tongdai_call_duration_seconds_count'), 1);
    // The caller's INVITE (challenged, then authenticated), our 407 and 200 to it, our INVITE to the agent.
    assert.ok(delta('tongdai_sip_requests_total{direction="in",method="INVITE"}') >= 2);
    assert.ok(delta('tongdai_sip_responses_total{code="407",direction="out",method="INVITE"}') >= 1);
    assert.ok(delta('tongdai_sip_responses_total{code="200",direction="out",method="INVITE"}') >= 1);
    assert.ok(delta('tongdai_sip_requests_total{direction="out",method="INVITE"}') >= 1);
    assert.ok(delta('tongdai_sip_responses_total{code="200",direction="in",method="INVITE"}') >= 1);
    assert.ok(delta('tongdai_sip_requests_total{direction="in",method="BYE"}') >= 1);
    assert.ok(delta('tongdai_sip_responses_total{code="200",direction="out",method="REGISTER"}') >= 1);
    // Audio flowed both ways through the relay: what sipp sent and the agent echoed was received and sent on.
    const stats = s.t.telephony.core.recent.get(rec.call_id)!.mediaStats!;
    const received = stats.a.packetsIn + stats.b!.packetsIn;
    assert.ok(received > 20, JSON.stringify(stats));
    assert.ok(
      delta('tongdai_rtp_packets_received_total') >= received,
      `${delta('tongdai_rtp_packets_received_total')}`,
    );
    assert.ok(delta('tongdai_rtp_packets_sent_total') > 20);
    // CHANNEL_CREATE, _ANSWER and _DESTROY went through the tenant's chain to the subscriber and into the log.
    const got = await listener.waitFor(['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'], 3, 5000);
    const ev = await waitFor(async () => {
      const x = await scrape(metricsUrl);
      return value(x, 'tongdai_event_log_rows_total') - value(before, 'tongdai_event_log_rows_total') >= 3
        ? x
        : null;
    });
    const evDelta = (series: string) => value(ev, series) - value(before, series);
    assert.ok(evDelta('tongdai_realtime_chain_tasks_total{kind="call"}') >= 3);
    assert.ok(evDelta('tongdai_realtime_chain_run_seconds_total{kind="call"}') > 0);
    assert.ok(evDelta('tongdai_realtime_deliveries_total') >= got.length);
    assert.ok(evDelta('tongdai_realtime_socket_writes_total') >= 1);
    assert.ok(evDelta('tongdai_realtime_batches_total') >= 1);
    assert.equal(value(ev, 'tongdai_event_log_failures_total'), 0);
    assert.ok(ev.has('tongdai_event_log_backlog'));
    assert.equal(value(m, 'tongdai_rtp_packets_lost_total'), 0, 'nothing lost on loopback');
    // Gauges read from the store and the process.
    assert.ok(value(m, 'tongdai_sip_registrations') >= 1);
    const agents = [...m].filter(
      ([k]) => k.startsWith(`tongdai_agents{state=`) && k.includes(`tenant="${t}"`),
    );
    assert.equal(
      agents.reduce((n, [, v]) => n + v, 0),
      s.demo.agents.length,
      `every demo agent in one state: ${JSON.stringify(agents)}`,
    );
    assert.ok(m.has('tongdai_db_pool_connections{state="total"}'));
    assert.ok(m.has('tongdai_db_ping_seconds'));
    assert.ok(m.has('nodejs_eventloop_lag_p99_seconds'));
  });

  it('a caller waiting in a queue shows in the queue gauges, its agent as not ready', async () => {
    const t = String(s.demo.tenant_id);
    const db = s.t.ctx.db;
    const target = s.demo.agents[2]!;
    await db
      .updateTable('inbound_queues')
      .set({ max_wait_sec: 2, overflow_target: target.extension })
      .execute();
    await bumpRevision(db, s.demo.tenant_id);
    const phone = await startAgent(peers, s, 2, 'agent-answer.xml', { pauseMs: 100 });
    await waitFor(
      async () =>
        (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [target.agent_id]))[0]?.status === 'Available',
      3000,
    );
    for (const a of s.demo.agents) {
      const [st] = await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [a.agent_id]);
      if (st?.status !== 'Offline')
        await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [a.agent_id], 'Lunch', 'test');
    }
    // The queue answers at once (hold music); the caller stays 4 s, so it is still there when it overflows at 2 s.
    const customer = await startCustomer(peers, s, 'customer-call.xml', 4000, '0909000777');
    const m = await waitFor(
      async () => {
        const x = await scrape(metricsUrl);
        return value(x, `tongdai_queue_calls_waiting{tenant="${t}"}`) === 1 &&
          value(x, `tongdai_queue_oldest_wait_seconds{tenant="${t}"}`) >= 1
          ? x
          : null;
      },
      5000,
      'the waiting call in the queue gauges',
    );
    assert.ok(value(m, `tongdai_agents{state="not_ready",tenant="${t}"}`) >= 1);
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    assert.equal((await phone.done).code, 0);
    const after = await scrape(metricsUrl);
    assert.equal(value(after, `tongdai_queue_calls_waiting{tenant="${t}"}`), 0, 'overflowed: nobody waits');
  });

  it('the main port serves /metrics only to the bearer of METRICS_TOKEN', async () => {
    const url = `${s.url}/metrics`;
    assert.equal((await call(url)).status, 401);
    const wrong = await call(url, { headers: { authorization: 'Bearer not-the-token-at-all-xx' } });
    assert.equal(wrong.status, 401);
    assert.equal(wrong.body.error, 'UNAUTHORIZED');
    assert.equal(wrong.headers.get('www-authenticate'), 'Bearer realm="metrics"');
    const m = await scrape(url, { authorization: `Bearer ${TOKEN}` });
    assert.ok(
      value(m, 'tongdai_sip_requests_total{direction="in",method="INVITE"}') >= 2,
      'the same registry',
    );
    // The metrics listener serves nothing else.
    const other = await fetch(`http://127.0.0.1:${s.t.metricsPort}/readyz`);
    assert.equal(other.status, 404);
  });
});
