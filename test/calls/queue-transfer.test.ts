import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectDirect } from '../../src/calls/direct.js';
import type { Incoming } from '../../src/calls/engine.js';
import { QueueFlow } from '../../src/calls/queue-flow.js';
import { ReferTransfers } from '../../src/calls/refer.js';
import { CallTransfer } from '../../src/calls/transfer.js';
import { FakeClock } from '../../src/clock.js';
import type { DomainError } from '../../src/errors.js';
import { parseStoredTransfers } from '../../src/domain/call-transfers.js';
import type { Envelope } from '../../src/domain/events.js';
import type { CallStart } from '../../src/calls/records.js';
import type { ReferRequest } from '../../src/sip/dialog-refer.js';
import type { UasSession } from '../../src/sip/uas.js';
import { type FakeEndpoint, type Kit, kit, settle } from './flow-kit.js';

/**
 * Transfer to a queue on a FakeClock: the real Call, QueueFlow, AcdDriver and ACD; the caller re-enters the ACD
 * (queue 4 of the kit: agents 7 and 8, top-down by priority) and the transferring agent is released.
 */
function setup(k: Kit, ready = [7, 8], offline: number[] = []) {
  const driver = k.driver(ready, offline);
  const flow = new QueueFlow({
    legB: k.legB,
    follower: k.follower,
    driver,
    store: k.store,
    statuses: { setCustomStatus: () => Promise.resolve([]) },
    routing: {
      agentDestination: () => Promise.resolve({ kind: 'invalid' }),
      outboundTrunk: () => Promise.resolve(undefined),
      tenant: () => Promise.resolve(undefined),
    },
    location: { lookup: (_t, agentId) => [k.binding(agentId)] },
    hostport: () => '127.0.0.1:5060',
    dataDir: '/nonexistent',
    clock: k.clock,
  });
  const incs = new Map<string, Incoming>();
  const transfers = new CallTransfer({
    legB: k.legB,
    follower: k.follower,
    routing: {
      agent: (_t, id) => Promise.resolve({ id, extension: String(1000 + id) } as never),
      agentDestination: (_t, d) =>
        Promise.resolve(/^\+?\d+$/.test(d) ? { kind: 'external', number: d } : { kind: 'invalid' }),
      tenant: () => Promise.resolve(undefined),
      outboundTrunk: () => Promise.resolve(undefined),
      // 19004 is queue 4's number.
      queueByNumber: (_t, n) => Promise.resolve(n === '19004' ? 4 : null),
      trunkCallerId: (a) => Promise.resolve(a.extension),
    },
    location: { lookup: (_t, agentId) => [k.binding(agentId)] },
    queues: flow,
    core: { incomingOf: (call) => incs.get(call.callId) },
    hostport: () => '127.0.0.1:5060',
  });
  const incoming = (queueId: number | null, start: Partial<CallStart> = {}) => {
    const { call, a } = k.call({ queueId, ...start });
    const session = { answer: () => undefined, progress: () => undefined } as unknown as UasSession;
    const inc: Incoming = { call, session, side: a, answerSdp: 'v=0' };
    incs.set(call.callId, inc);
    return inc;
  };
  return { driver, flow, transfers, incoming };
}

const transferred = (k: Kit) =>
  k.events.filter((e) => e.type === 'call.transferred') as Envelope<'call.transferred'>[];

describe('transfer to a queue (the caller re-enters the ACD)', () => {
  it('a queue call: the agent goes to wrap-up at once, the queue offers the caller again, the new agent is In-call', async () => {
    const k = kit(new FakeClock(0), { agent_selector: 'top-down', wrapup_sec: 30 });
    const { driver, flow, transfers, incoming } = setup(k);
    const inc = incoming(4);
    const { call } = inc;
    await flow.enter(inc, 4, '0901');
    await settle();
    k.clock.advance(2000);
    const b = k.dialer.last;
    assert.equal(b.targets[0]!.requestUri, 'sip:1007@127.0.0.1:5070');
    b.answer();
    await settle();
    assert.equal(call.state, 'bridged');
    k.clock.advance(10_000);

    await transfers.blind(call, { kind: 'queue', queueId: 4 });
    await settle();
    assert.deepEqual(b.byes, [1], 'the transferring agent is hung up at once');
    assert.ok(call.b === undefined);
    assert.equal((inc.side.media.endpoint as FakeEndpoint).moh, 'default', 'the caller hears the hold music');
    assert.deepEqual(
      call.transfers.map((t) => [t.fromAgentId, t.toKind, t.toQueueId, t.by, t.outcome]),
      [[7, 'queue', 4, 'api', 'queued']],
    );
    assert.deepEqual(transferred(k), [], 'announced once the queue has an agent on it');
    // Agent 7 is in wrap-up (the ACD ended their part), so the queue offers agent 8.
    const c = k.dialer.last;
    assert.equal(c.targets[0]!.requestUri, 'sip:1008@127.0.0.1:5070');
    assert.equal(call.state, 'offering');
    assert.deepEqual(k.follower.steps, ['7:Ringing', '7:In-call', '7:Wrap-up', '8:Ringing']);
    k.clock.advance(5000);
    c.answer();
    await settle();
    assert.equal(call.state, 'bridged');
    assert.equal(call.record.agentId, 8, 'counted for the agent who finishes the call');
    assert.equal(k.follower.steps.at(-1), '8:In-call');
    assert.deepEqual(
      call.transfers.map((t) => [t.toAgentId, t.outcome, t.settledAt]),
      [[8, 'done', 17_000]],
    );
    const { call: snapshot, ...ev } = transferred(k)[0]!.payload;
    assert.deepEqual([snapshot.agentId, snapshot.queueId], [8, 4]);
    assert.deepEqual(ev, {
      callId: call.callId,
      fromAgentId: 7,
      toAgentId: 8,
      toKind: 'queue',
      toQueueId: 4,
      toNumber: null,
      to: 'queue 4',
      kind: 'blind',
      by: 'api',
      legCallId: `${call.callId}-t1`,
      at: 17_000,
    });

    k.clock.advance(3000);
    c.bye();
    assert.equal(call.state, 'ended');
    await settle();
    assert.equal(k.follower.steps.at(-1), '8:Wrap-up', 'the new agent wraps up the queue call');
    // 7's wrap-up (30 s from the transfer) ends first, then 8's.
    k.clock.advance(30_000);
    await settle();
    assert.deepEqual(k.follower.steps.slice(-3), ['8:Wrap-up', '7:resume', '8:resume']);

    await call.record.flushed();
    const end = k.store.rows.get(call.callId)!.end!;
    assert.equal(end.agentId, 8);
    const stat = end.queueStat as { wait_sec: number; outcome: string };
    assert.deepEqual([stat.outcome, stat.wait_sec], ['answered', 5], 'the wait counts from the re-entry');
    assert.equal(call.record.createdAt, 0, "the call's own start is kept");
    const stored = parseStoredTransfers(end.transfers ?? null);
    assert.deepEqual(
      stored.map((t) => [t.at, t.from_agent_id, t.to_kind, t.to_queue_id, t.to_agent_id, t.by, t.outcome]),
      [[12_000, 7, 'queue', 4, 8, 'api', 'done']],
    );
    driver.stop();
  });

  it('a direct call: the agent is back to their status (no wrap-up); the caller abandons the queue: failed', async () => {
    const k = kit(new FakeClock(0), { agent_selector: 'top-down' });
    const { driver, transfers, incoming } = setup(k, [8]);
    const inc = incoming(null);
    const { call } = inc;
    await connectDirect({ legB: k.legB, follower: k.follower }, inc, {
      from: '<sip:0901@127.0.0.1>',
      targets: [{ requestUri: 'sip:1007@127.0.0.1:5070', remote: k.binding(7).remote, to: '<sip:1007@t>' }],
      calleeAgentId: 7,
    });
    k.dialer.last.answer();
    await transfers.blind(call, { kind: 'queue', queueId: 4 });
    await settle();
    assert.deepEqual(k.follower.steps.slice(0, 4), ['7:Ringing', '7:In-call', '7:resume', '8:Ringing']);
    assert.equal(call.record.queueId, 4, 'the call is counted in the queue it waits in');
    k.clock.advance(4000);
    call.end('ORIGINATOR_CANCEL', 'caller', { from: inc.side });
    await call.record.flushed();
    assert.equal(k.dialer.last.cancelled, 1, "agent 8's offer is withdrawn");
    const end = k.store.rows.get(call.callId)!.end!;
    assert.equal((end.queueStat as { outcome: string }).outcome, 'abandoned');
    assert.deepEqual(
      parseStoredTransfers(end.transfers ?? null).map((t) => [t.to_kind, t.outcome, t.settled_at]),
      [['queue', 'failed', 4000]],
    );
    assert.equal(end.agentId, 7, 'nobody else answered: the record keeps the agent who had the call');
    driver.stop();
  });

  it('refused before anything changes: an unknown queue (404), a call not bridged (409)', async () => {
    const k = kit(new FakeClock(0), { agent_selector: 'top-down' });
    const { driver, flow, transfers, incoming } = setup(k);
    const inc = incoming(4);
    await flow.enter(inc, 4, '0901');
    await settle();
    await assert.rejects(transfers.blind(inc.call, { kind: 'queue', queueId: 4 }), /offering/);
    k.dialer.last.answer();
    await assert.rejects(transfers.blind(inc.call, { kind: 'queue', queueId: 5 }), /queue 5/);
    assert.equal(inc.call.state, 'bridged');
    assert.deepEqual(inc.call.transfers, []);
    driver.stop();
  });

  it("by REFER to a queue's number: NOTIFY 200 before the agent's leg is hung up, the caller waits", async () => {
    // With a wrap-up time the transferring agent is not offered the caller again at once.
    const k = kit(new FakeClock(0), { agent_selector: 'top-down', wrapup_sec: 30 });
    const { driver, flow, transfers, incoming } = setup(k);
    k.legB.refer = new ReferTransfers({
      transfers,
      calls: () => k.core.calls.values(),
      follower: k.follower,
      logger: k.legB.logger,
    });
    const inc = incoming(4);
    await flow.enter(inc, 4, '0901');
    await settle();
    const b = k.dialer.last;
    b.answer();
    const sent: string[] = [];
    const r: ReferRequest = {
      uri: 'sip:19004@127.0.0.1',
      user: '19004',
      replaces: null,
      notify: (status, reason) => void sent.push(`${status} ${reason}:${b.byes.length}`),
    };
    assert.equal(b.h.onRefer!.check(), null);
    b.h.onRefer!.run(r);
    await settle();
    assert.deepEqual(sent, ['200 OK:0'], 'the phone hears 200 before its BYE');
    assert.deepEqual(b.byes, [1]);
    assert.deepEqual(
      inc.call.transfers.map((t) => [t.by, t.toQueueId, t.outcome]),
      [['refer', 4, 'queued']],
    );
    assert.equal(
      k.dialer.last.targets[0]!.requestUri,
      'sip:1008@127.0.0.1:5070',
      'the queue offers the caller',
    );
    inc.call.end('ORIGINATOR_CANCEL', 'caller', { from: inc.side });
    driver.stop();
  });

  /** A direct call to agent 7, bridged (agent 7's leg: `b`), with a REFER handler on its legs. */
  async function directBridged(k: Kit, s: ReturnType<typeof setup>) {
    k.legB.refer = new ReferTransfers({
      transfers: s.transfers,
      calls: () => k.core.calls.values(),
      follower: k.follower,
      logger: k.legB.logger,
    });
    const inc = s.incoming(null);
    await connectDirect({ legB: k.legB, follower: k.follower }, inc, {
      from: '<sip:0901@127.0.0.1>',
      targets: [{ requestUri: 'sip:1007@127.0.0.1:5070', remote: k.binding(7).remote, to: '<sip:1007@t>' }],
      calleeAgentId: 7,
    });
    const b = k.dialer.last;
    b.answer();
    return { call: inc.call, b };
  }

  for (const [what, queue, offline, reason, notify] of [
    [
      'closed (locked, management type 99)',
      { management_type: 99 },
      [],
      'closed',
      '480 Temporarily Unavailable',
    ],
    ['nobody logged in, no overflow target', {}, [7, 8], 'no_agents', '480 Temporarily Unavailable'],
  ] as const) {
    it(`a target queue that would turn the caller away (${what}): 409 / NOTIFY ${notify}, the call stays with the agent`, async () => {
      const k = kit(new FakeClock(0), { agent_selector: 'top-down', ...queue });
      const s = setup(k, [], [...offline]);
      const { call, b } = await directBridged(k, s);
      const attempts = k.dialer.attempts.length;
      await assert.rejects(s.transfers.blind(call, { kind: 'queue', queueId: 4 }), (e: DomainError) => {
        assert.equal(e.code, 'CONFLICT');
        assert.equal(e.reason, 'queue_refused');
        assert.deepEqual(e.details, { state: 'bridged', queueReason: reason });
        assert.match(e.message, /queue 4 refuses the caller/);
        return true;
      });
      const sent: string[] = [];
      b.h.onRefer!.run({
        uri: 'sip:19004@127.0.0.1',
        user: '19004',
        replaces: null,
        notify: (status, r) => void sent.push(`${status} ${r}`),
      });
      await settle();
      assert.deepEqual(sent, [notify]);
      assert.equal(call.state, 'bridged', 'still with agent 7');
      assert.equal(call.b?.media, b.media);
      assert.deepEqual(b.byes, [], 'agent 7 is not hung up');
      assert.deepEqual(call.transfers, [], 'nothing was tried');
      assert.equal(k.dialer.attempts.length, attempts, 'nothing rang');
      assert.ok(!k.follower.steps.includes('7:resume'), 'agent 7 is not released');
      s.driver.stop();
    });
  }

  it('a queue with nobody logged in but an overflow target takes the caller (its own rule sends them on)', async () => {
    const k = kit(new FakeClock(0), { agent_selector: 'top-down', overflow_target: '1009' });
    const s = setup(k, [], [7, 8]);
    const { call, b } = await directBridged(k, s);
    await s.transfers.blind(call, { kind: 'queue', queueId: 4 });
    await settle();
    assert.deepEqual(b.byes, [1], 'agent 7 is released');
    assert.deepEqual(
      call.transfers.map((t) => [t.toQueueId, t.by]),
      [[4, 'api']],
    );
    if (!call.ended) call.end('NORMAL_CLEARING', 'system');
    s.driver.stop();
  });

  it('the history keeps every transfer with its outcome: a miss (486) then a done one, stored with the end', async () => {
    const k = kit(new FakeClock(0));
    const { driver, transfers, incoming } = setup(k);
    const inc = incoming(null);
    const { call } = inc;
    await connectDirect({ legB: k.legB, follower: k.follower }, inc, {
      from: '<sip:0901@127.0.0.1>',
      targets: [{ requestUri: 'sip:1007@127.0.0.1:5070', remote: k.binding(7).remote, to: '<sip:1007@t>' }],
      calleeAgentId: 7,
    });
    k.dialer.last.answer();
    await transfers.blind(call, { kind: 'agent', agentId: 8 });
    k.clock.advance(1000);
    k.dialer.last.fail(486);
    assert.equal(call.state, 'bridged', 'back to agent 7');
    await transfers.blind(call, { kind: 'agent', agentId: 9 });
    k.clock.advance(1000);
    k.dialer.last.answer();
    k.dialer.last.bye();
    await call.record.flushed();
    const stored = parseStoredTransfers(k.store.rows.get(call.callId)!.end!.transfers ?? null);
    assert.deepEqual(
      stored.map((t) => [t.from_agent_id, t.to_kind, t.to_agent_id, t.by, t.outcome, t.status, t.settled_at]),
      [
        [7, 'agent', 8, 'api', 'failed', 486, 1000],
        [7, 'agent', 9, 'api', 'done', null, 2000],
      ],
    );
    driver.stop();
  });
});

describe('transfer of an outbound call (the agent on side A hands the customer over)', () => {
  /** Agent 7 called 0909 through the trunk; the customer answered. */
  async function outbound(k: Kit, incoming: ReturnType<typeof setup>['incoming']) {
    const inc = incoming(null, {
      direction: 'outbound',
      callerNumber: '02873000',
      callerAgentId: 7,
      agentId: 7,
      calleeNumber: '0909',
    });
    await connectDirect({ legB: k.legB, follower: k.follower }, inc, {
      from: '<sip:02873000@127.0.0.1>',
      targets: [{ requestUri: 'sip:0909@127.0.0.1:5099', remote: k.binding(7).remote, to: '<sip:0909@t>' }],
      callerAgentId: 7,
    });
    const customer = k.dialer.last;
    customer.answer();
    assert.equal(inc.call.state, 'bridged');
    return { inc, call: inc.call, customer };
  }

  it('by the API to agent 8: the customer holds, 8 answers and replaces agent 7 (hung up, back to status)', async () => {
    const k = kit(new FakeClock(0));
    const { driver, transfers, incoming } = setup(k);
    const { inc, call, customer } = await outbound(k, incoming);
    const agent7 = inc.side as typeof inc.side & { hangups: number[] };
    await transfers.blind(call, { kind: 'agent', agentId: 8 });
    assert.equal(call.state, 'transferring');
    assert.equal((customer.media.endpoint as FakeEndpoint).moh, 'default', 'the customer hears hold music');
    const c = k.dialer.last;
    assert.equal(c.targets[0]!.requestUri, 'sip:1008@127.0.0.1:5070');
    assert.match(c.from, /sip:0909@/, "agent 8 sees the customer's number");
    k.clock.advance(1000);
    c.answer();
    assert.equal(call.state, 'bridged');
    assert.equal(agent7.hangups.length, 1, 'agent 7 is hung up');
    assert.equal(call.a.media, c.media, 'agent 8 is side A now');
    assert.equal(k.media.bridges.at(-1)!.a, c.media.endpoint);
    assert.equal(k.media.bridges.at(-1)!.b, customer.media.endpoint);
    assert.equal((customer.media.endpoint as FakeEndpoint).moh, null);
    assert.equal(call.record.agentId, 8);
    await settle();
    assert.deepEqual(k.follower.steps, ['7:In-call', '8:Ringing', '7:resume', '8:In-call']);
    inc.side.hangup(); // a late BYE of agent 7's old dialog changes nothing:
    call.legHungUp(agent7, 'caller');
    assert.equal(call.state, 'bridged');
    c.bye();
    assert.equal(call.state, 'ended');
    await call.record.flushed();
    const end = k.store.rows.get(call.callId)!.end!;
    assert.equal(end.agentId, 8);
    assert.deepEqual(
      parseStoredTransfers(end.transfers ?? null).map((t) => [t.from_agent_id, t.to_agent_id, t.outcome]),
      [[7, 8, 'done']],
    );
    driver.stop();
  });

  it('agent 7 hangs up while 8 rings: the customer waits; a miss then ends the call; a queue is refused', async () => {
    const k = kit(new FakeClock(0));
    const { driver, transfers, incoming } = setup(k);
    const { inc, call, customer } = await outbound(k, incoming);
    await assert.rejects(transfers.blind(call, { kind: 'queue', queueId: 4 }), /outbound/);
    await transfers.blind(call, { kind: 'agent', agentId: 8 });
    call.legHungUp(inc.side, 'caller');
    assert.equal(call.state, 'transferring', 'the agent leaving does not end the transfer');
    k.dialer.last.fail(480);
    assert.equal(call.state, 'ended');
    assert.equal(customer.byes.length, 1, 'the customer is hung up');
    await call.record.flushed();
    assert.equal(k.store.rows.get(call.callId)!.end!.reason, 'transfer target did not answer');
    driver.stop();
  });
});
