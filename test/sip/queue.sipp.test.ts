import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import type { Envelope } from '../../src/domain/events.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, startAgent, startCustomer } from './helpers/agents.js';
import { Peers, waitFor } from './helpers/peers.js';

const skip = await requireTool('sipp');

describe('queued inbound calls: trunk → hotline → ACD → sipp agent', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  const events: Envelope[] = [];
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    s.t.ctx.bus.subscribe((e) => {
      if (e.type.startsWith('call.')) events.push(e);
    });
    // Short wrap-up so one agent takes the next test's call soon after.
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0, ring_timeout_sec: 3 }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  it('bridges the customer to the agent, audio flows both ways, the customer hangs up', async () => {
    const agent = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 300 });
    const customer = await startCustomer(peers, s, 'customer-call.xml', 3000);
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const a = await agent.done;
    assert.equal(a.code, 0, a.stdout.slice(-1500) + a.stderr);
    const rec = await closedCall(s, 'caller_number', '0909123456');
    assert.equal(rec.direction, 'inbound');
    assert.equal(rec.did_number, s.demo.hotline);
    assert.equal(rec.caller_number, '0909123456');
    assert.equal(rec.agent_id, s.demo.agents[0]!.agent_id);
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
    assert.equal(rec.hangup_by, 'caller');
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.ok(rec.answered_at! >= rec.created_at);
    assert.ok(rec.billing_sec! >= 2 && rec.billing_sec! <= 5, `billing ${rec.billing_sec}`);
    assert.ok(rec.duration_sec! >= rec.billing_sec!);
    const stat = JSON.parse(rec.queue_stat!);
    assert.equal(stat.outcome, 'answered');
    const mine = events
      .filter((e) => (e.payload as { callId: string }).callId === rec.call_id)
      .map((e) => e.type);
    assert.deepEqual(mine, ['call.created', 'call.answered', 'call.ended']);
    const call = s.t.telephony.core.recent.get(rec.call_id)!;
    const m = call.mediaStats!;
    assert.ok(m.a.packetsIn > 20, `customer → tongdai ${m.a.packetsIn}`);
    assert.ok(m.b!.packetsOut > 20, `tongdai → agent ${m.b!.packetsOut}`);
    assert.ok(m.b!.packetsIn > 20, `agent echo → tongdai ${m.b!.packetsIn}`);
    assert.ok(m.a.packetsOut > 20, `tongdai → customer ${m.a.packetsOut}`);
    // The agent's status followed the call: Ringing, In-call, then back to Available.
    const agentId = s.demo.agents[0]!.agent_id;
    await waitFor(
      async () => {
        const [v] = await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [agentId]);
        return v?.status === 'Available';
      },
      5000,
      'agent back to Available',
    );
    const history = await s.t.ctx.db
      .selectFrom('status_history')
      .select(['new_status'])
      .where('agent_id', '=', agentId)
      .orderBy('id')
      .execute();
    const seq = history.map((h) => h.new_status);
    const ringing = seq.indexOf('Ringing');
    assert.ok(ringing >= 0 && seq.indexOf('In-call', ringing) > ringing, seq.join(' → '));
    assert.equal(seq.at(-1), 'Available');
  });

  it('the agent hangs up: one record, cause NORMAL_CLEARING, hung up by the callee', async () => {
    const agent = await startAgent(peers, s, 0, 'agent-hangup.xml', { pauseMs: 2000 });
    const customer = await startCustomer(peers, s, 'customer-wait-bye.xml', 0, '0909000002');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    assert.equal((await agent.done).code, 0);
    const rec = await closedCall(s, 'caller_number', '0909000002');
    assert.equal(rec.caller_number, '0909000002');
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
    assert.equal(rec.hangup_by, 'callee');
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.ok(rec.billing_sec! >= 1 && rec.billing_sec! <= 4, `billing ${rec.billing_sec}`);
    assert.equal(
      (await s.t.ctx.db.selectFrom('calls').selectAll().where('caller_number', '=', '0909000002').execute())
        .length,
      1,
    );
  });

  it('ring timeout moves the call to the next agent', async () => {
    const db = s.t.ctx.db;
    const [first, second] = s.demo.agents;
    await db
      .updateTable('inbound_queues')
      .set({ agent_selector: 'top-down', ring_timeout_sec: 2, max_no_answer: 0 })
      .execute();
    await db
      .updateTable('queue_members')
      .set({ priority: 1 })
      .where('agent_id', '=', first!.agent_id)
      .execute();
    await db
      .updateTable('queue_members')
      .set({ priority: 2 })
      .where('agent_id', '=', second!.agent_id)
      .execute();
    await bumpRevision(db, s.demo.tenant_id);
    const silent = await startAgent(peers, s, 0, 'agent-ring-noanswer.xml');
    const answering = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    const customer = await startCustomer(peers, s, 'customer-call.xml', 5000, '0909000003');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const s1 = await silent.done;
    assert.equal(s1.code, 0, 'the first agent was rung, then cancelled: ' + s1.stdout.slice(-800));
    assert.equal((await answering.done).code, 0);
    const rec = await closedCall(s, 'caller_number', '0909000003');
    assert.equal(rec.agent_id, second!.agent_id);
    assert.equal(rec.status_detail, 'SUCCESS');
    const misses = (JSON.parse(rec.queue_stat!) as { misses: { agent_id: number; reason: string }[] }).misses;
    assert.equal(
      misses[0]?.reason,
      'no_answer',
      `the first agent's ring timed out: ${JSON.stringify(misses)}`,
    );
    assert.equal(misses[0]?.agent_id, first!.agent_id);
    assert.ok(rec.answered_at! - rec.created_at >= 1900, 'answered after the first ring timed out');
  });

  it('no agent logged in: the queue refuses the call (no overflow target), and the record says why', async () => {
    for (const a of s.demo.agents) await s.t.ctx.statuses.logout(s.demo.tenant_id, a.agent_id, 'test');
    await waitFor(() => s.t.telephony.acd.acd.queueStats(1)?.loggedIn === 0 || true, 2000);
    const customer = await startCustomer(peers, s, 'customer-refused.xml', 0, '0909000004');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const rec = await closedCall(s, 'caller_number', '0909000004');
    assert.equal(rec.caller_number, '0909000004');
    assert.equal(rec.answered_at, null);
    assert.equal(rec.hangup_cause, 'NO_USER_RESPONSE');
    assert.equal(rec.sip_code, null);
    assert.equal(rec.status_detail, 'UNSUCCESS');
    assert.match(rec.reason!, /no_agents/);
  });

  it("max wait overflows the caller to the queue's overflow extension", async () => {
    const db = s.t.ctx.db;
    const target = s.demo.agents[2]!;
    await db
      .updateTable('inbound_queues')
      .set({ max_wait_sec: 1, overflow_target: target.extension })
      .execute();
    await bumpRevision(db, s.demo.tenant_id);
    const phone = await startAgent(peers, s, 2, 'agent-answer.xml', { pauseMs: 100 });
    // Logged in (registered) but not ready: the call waits, then overflows after 1 s.
    await waitFor(
      async () =>
        (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [target.agent_id]))[0]?.status === 'Available',
      3000,
    );
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [target.agent_id], 'Lunch', 'test');
    const customer = await startCustomer(peers, s, 'customer-call.xml', 3000, '0909000005');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    assert.equal((await phone.done).code, 0);
    const rec = await closedCall(s, 'caller_number', '0909000005');
    assert.equal(rec.caller_number, '0909000005');
    assert.equal(JSON.parse(rec.queue_stat!).outcome, 'overflowed');
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.ok(rec.answered_at! - rec.created_at >= 900);
  });
});
