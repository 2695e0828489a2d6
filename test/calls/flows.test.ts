import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ClickToCall } from '../../src/calls/click-to-call.js';
import { connectDirect } from '../../src/calls/direct.js';
import type { Incoming } from '../../src/calls/engine.js';
import { QueueFlow } from '../../src/calls/queue-flow.js';
import { CallStateError } from '../../src/calls/state.js';
import { CallTransfer } from '../../src/calls/transfer.js';
import { FakeClock } from '../../src/clock.js';
import type { CallTenant } from '../../src/domain/call-store.js';
import type { Envelope } from '../../src/domain/events.js';
import type { UasSession } from '../../src/sip/uas.js';
import { type FakeEndpoint, type Kit, kit, settle } from './flow-kit.js';

/** Side A of an inbound INVITE: the SIP session's answers are counted. */
function incoming(k: Kit, queueId: number | null = null) {
  const { call, a } = k.call({ queueId });
  const sent: string[] = [];
  const session = {
    answer: () => sent.push('200'),
    progress: (status: number) => sent.push(String(status)),
  } as unknown as UasSession;
  const inc: Incoming = { call, session, side: a, answerSdp: 'v=0' };
  return { inc, call, a, sent };
}

const types = (k: Kit) => k.events.map((e) => e.type).filter((t) => t.startsWith('call.'));

function queueFlow(k: Kit) {
  const driver = k.driver();
  const custom: string[] = [];
  const flow = new QueueFlow({
    legB: k.legB,
    follower: k.follower,
    driver,
    store: k.store,
    statuses: {
      setCustomStatus: (_t, ids, name) => {
        custom.push(`${ids.join(',')}:${name}`);
        return Promise.resolve([]);
      },
    },
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
  return { flow, driver, custom };
}

describe('queue flow on a FakeClock', () => {
  it('ring timeout: an offer nobody answers is withdrawn after ring_timeout_sec, the caller waits again', async () => {
    const k = kit(new FakeClock(0), { ring_timeout_sec: 15, agent_selector: 'top-down' });
    const { flow, driver } = queueFlow(k);
    const { inc, call, sent } = incoming(k, 4);
    await flow.enter(inc, 4, '0901');
    await settle();
    assert.deepEqual(sent, ['200'], 'the caller is answered at once and waits');
    assert.equal((inc.side.media.endpoint as FakeEndpoint).moh, 'default', 'with hold music');
    const first = k.dialer.attempts[0]!;
    assert.ok(first, 'an agent rings');
    assert.equal(call.state, 'offering');
    const rung = first.targets[0]!.requestUri;
    k.clock.advance(14_999);
    await settle();
    assert.equal(first.cancelled, 0, 'still ringing just before the timeout');
    k.clock.advance(1);
    await settle();
    assert.equal(first.cancelled, 1, 'the offer is withdrawn at ring_timeout_sec');
    // Top-down: the next agent rings at once; the caller was back in the queue in between.
    assert.deepEqual(
      k.dialer.attempts.map((a) => `${a.targets[0]!.requestUri}:${a.cancelled}`),
      ['sip:1007@127.0.0.1:5070:1', 'sip:1008@127.0.0.1:5070:0'],
    );
    assert.deepEqual(
      call.machine.history.map((t) => `${t.to}@${t.at}`),
      ['queued@0', 'offering@0', 'queued@15000', 'offering@15000'],
    );
    assert.equal(rung, 'sip:1007@127.0.0.1:5070');
    assert.deepEqual(
      k.follower.steps.slice(0, 3),
      ['7:Ringing', '7:resume', '8:Ringing'],
      'the agent who missed is back to their status',
    );
    // The caller gives up: the record carries the queue's word with the miss counted.
    call.end('ORIGINATOR_CANCEL', 'caller', { from: inc.side });
    await call.record.flushed();
    const row = k.store.rows.get(call.callId)!;
    assert.equal(row.end?.hangupCause, 'ORIGINATOR_CANCEL');
    const stat = row.end?.queueStat as {
      misses: { agent_id: number; at: number; reason: string }[];
      outcome: string;
    } | null;
    assert.ok(stat, 'queue statistics stored');
    assert.deepEqual(stat.misses[0], { agent_id: 7, at: 15_000, reason: 'no_answer' }, JSON.stringify(stat));
    assert.equal(stat.outcome, 'abandoned');
    for (const a of k.dialer.attempts) assert.ok(a.cancelled >= 1, 'nothing rings after the caller left');
    driver.stop();
    assert.equal(k.clock.pending, 0, 'no timer left behind');
  });

  it('an agent answers: bridged, In-call, the other offers stop; a second answering agent is refused', async () => {
    const k = kit(new FakeClock(0), { agent_selector: 'ring-all' });
    const { flow, driver } = queueFlow(k);
    const { inc, call } = incoming(k, 4);
    await flow.enter(inc, 4, '0901');
    await settle();
    assert.equal(k.dialer.attempts.length, 2, 'ring-all rings both agents');
    const [x, y] = k.dialer.attempts as [(typeof k.dialer.attempts)[0], (typeof k.dialer.attempts)[0]];
    x.answer();
    await settle();
    assert.equal(call.state, 'bridged');
    y.answer();
    assert.deepEqual(y.byes, [1], 'the late second answer is hung up');
    assert.equal(k.media.bridges.length, 1);
    assert.deepEqual(types(k), ['call.created', 'call.answered']);
    x.bye();
    assert.equal(call.state, 'ended');
    assert.deepEqual(types(k), ['call.created', 'call.answered', 'call.ended']);
    driver.stop();
  });
});

describe('call state: actions the state forbids are refused with the state named', () => {
  it('transfer and hold while ringing are refused (state offering); nothing changes', () => {
    const k = kit(new FakeClock(0));
    const { call } = k.call();
    call.attempt({ cancel: () => undefined });
    assert.throws(
      () => call.machine.require('transferring', 'transfer'),
      (e: unknown) =>
        e instanceof CallStateError && e.state === 'offering' && /offering: transfer/.test(e.message),
    );
    assert.throws(
      () => call.hold(),
      (e: unknown) => e instanceof CallStateError && e.state === 'offering',
    );
    assert.equal(call.state, 'offering');
  });

  it('hold/resume through the API: both sides hear music, resume takes it off; hang-up after the end is refused', () => {
    const k = kit(new FakeClock(0));
    const { call, a } = k.call();
    const b = k.side();
    call.connect(b, 7);
    call.hold();
    assert.equal(call.state, 'held');
    assert.equal((a.media.endpoint as FakeEndpoint).moh, 'default');
    assert.equal((b.media.endpoint as FakeEndpoint).moh, 'default');
    assert.throws(() => call.hold(), /the call is held: hold/);
    call.resume();
    assert.equal(call.state, 'bridged');
    assert.equal((a.media.endpoint as FakeEndpoint).moh, null);
    assert.throws(() => call.resume(), /the call is bridged: resume/);
    call.hangup();
    assert.equal(call.state, 'ended');
    assert.deepEqual(a.hangups.length + b.hangups.length, 2);
    assert.throws(
      () => call.hangup(),
      (e: unknown) => e instanceof CallStateError && e.state === 'ended',
    );
  });

  it('a hold asked for by a phone is not resumed by the API', () => {
    const k = kit(new FakeClock(0));
    const { call } = k.call();
    const b = k.side();
    call.connect(b, 7);
    b.media.peerDirection = 'sendonly';
    call.holdChanged(b);
    assert.equal(call.state, 'held');
    assert.throws(() => call.resume(), /held: resume \(held by a phone\)/);
  });
});

describe('hang-up races on a direct call', () => {
  async function direct(k: Kit) {
    const { inc, call, a, sent } = incoming(k);
    await connectDirect({ legB: k.legB, follower: k.follower }, inc, {
      from: '<sip:0901@127.0.0.1>',
      targets: [{ requestUri: 'sip:1007@127.0.0.1:5070', remote: k.binding(7).remote, to: '<sip:1007@t>' }],
      calleeAgentId: 7,
    });
    return { call, a, sent, attempt: k.dialer.last };
  }

  it('the caller hangs up while B answers: B is hung up, the call is never answered', async () => {
    const k = kit(new FakeClock(0));
    const { call, a, sent, attempt } = await direct(k);
    attempt.ringing();
    assert.deepEqual(sent, ['180']);
    call.end('ORIGINATOR_CANCEL', 'caller', { from: a });
    attempt.answer();
    assert.equal(attempt.cancelled, 1, 'the ringing attempt was cancelled');
    assert.deepEqual(attempt.byes, [1], "B's late 200 is hung up");
    assert.deepEqual(sent, ['180'], 'A is not answered after it left');
    assert.deepEqual(types(k), ['call.created', 'call.ended']);
    assert.deepEqual(a.hangups, [], 'the side that hung up is not hung up again');
    await settle();
    assert.deepEqual(k.follower.steps, ['7:Ringing', '7:resume']);
  });

  it('B answers, then the caller and B both hang up (double BYE): one end, by whoever was first', async () => {
    const k = kit(new FakeClock(0));
    const { call, a, sent, attempt } = await direct(k);
    k.clock.advance(2_000);
    attempt.answer();
    assert.deepEqual(sent, ['200']);
    assert.equal(call.state, 'bridged');
    k.clock.advance(3_000);
    attempt.bye();
    attempt.bye();
    call.end('NORMAL_CLEARING', 'caller', { from: a });
    assert.deepEqual(types(k), ['call.created', 'call.answered', 'call.ended']);
    assert.equal(a.hangups.length, 1, 'A got one BYE');
    assert.deepEqual(attempt.byes, [], 'B, who hung up, is not sent a BYE');
    await call.record.flushed();
    const end = k.store.rows.get(call.callId)!.end!;
    assert.deepEqual([end.hangupBy, end.billingSec, end.durationSec], ['callee', 3, 5]);
  });
});

describe('click-to-call legs through dialB', () => {
  const tenant = {
    id: 1,
    sip_domain: 't.example',
    max_concurrent_calls: 10,
    max_calls_per_second: 10,
    allow_international: 0,
    allow_premium: 0,
  } as CallTenant;

  function c2c(k: Kit) {
    return new ClickToCall({
      core: k.core,
      legB: k.legB,
      follower: k.follower,
      limits: { admit: () => null, hold: () => () => undefined },
      routing: {
        agent: (_t, id) =>
          Promise.resolve({ id, tenant_id: 1, extension: '1007', callout_queue_id: null } as never),
        tenant: () => Promise.resolve(tenant as never),
        trunkCallerId: () => Promise.resolve('02873000000'),
        outboundTrunk: () =>
          Promise.resolve({
            id: 1,
            tenant_id: 1,
            host: '127.0.0.1',
            port: 5099,
            transport: 'udp',
            allowed_ips: '[]',
          }),
      },
      location: { lookup: (_t, agentId) => [k.binding(agentId)] },
      media: k.media,
      hostport: () => '127.0.0.1:5060',
      publicIp: () => '127.0.0.1',
      dataDir: '/tmp/tongdai-flows-test',
    });
  }

  it("the agent's phone rings first; on answer the agent hears ringback, the customer is called, then bridged", async () => {
    const k = kit(new FakeClock(0));
    const { callId } = await c2c(k).originate({ tenantId: 1, agentId: 7, number: '0901 234 567' });
    const call = k.core.calls.get(callId)!;
    assert.equal(call.state, 'offering', 'listed as a live call while the agent rings');
    assert.equal(k.dialer.attempts.length, 1);
    const agentLeg = k.dialer.attempts[0]!;
    assert.equal(agentLeg.media, call.a.media, "the agent's leg is the call's side A");
    assert.equal(call.a.answered, false);
    agentLeg.answer();
    assert.equal(call.a.answered, true);
    const ep = call.a.media.endpoint as FakeEndpoint;
    assert.match(ep.moh ?? '', /ringback\.wav$/, 'ringback while the customer rings');
    const customer = k.dialer.attempts[1]!;
    assert.equal(customer.targets[0]!.requestUri, 'sip:0901234567@127.0.0.1:5099');
    assert.match(customer.from, /02873000000/, "the agent's caller id");
    customer.earlyMedia();
    assert.equal(k.media.bridges.length, 1, "the carrier's early media is bridged to the agent");
    assert.equal(ep.moh, null, 'instead of our ringback');
    assert.equal(call.state, 'offering');
    customer.answer();
    assert.equal(call.state, 'bridged');
    assert.equal(call.record.agentId, 7);
    agentLeg.bye();
    assert.equal(call.state, 'ended');
    assert.deepEqual(customer.byes, [1]);
    await call.record.flushed();
    assert.equal(k.store.rows.get(callId)!.end!.hangupBy, 'caller');
    await settle();
    assert.deepEqual(k.follower.steps, ['7:Ringing', '7:In-call', '7:resume']);
  });

  it('the agent is busy: the call ends with the agent leg’s cause and the customer is never called', async () => {
    const k = kit(new FakeClock(0));
    const { callId } = await c2c(k).originate({ tenantId: 1, agentId: 7, number: '0901234567' });
    k.dialer.attempts[0]!.fail(486);
    assert.equal(k.dialer.attempts.length, 1);
    const call = k.core.recent.get(callId)!;
    assert.equal(call.state, 'ended');
    await call.record.flushed();
    const end = k.store.rows.get(callId)!.end!;
    assert.deepEqual([end.hangupCause, end.reason], ['USER_BUSY', 'the agent did not answer']);
  });
});

describe('blind transfer (state transferring)', () => {
  function transfers(k: Kit) {
    return new CallTransfer({
      legB: k.legB,
      follower: k.follower,
      routing: {
        agent: (_t, id) =>
          Promise.resolve(id === 99 ? undefined : ({ id, extension: String(1000 + id) } as never)),
        agentDestination: () => Promise.resolve({ kind: 'invalid' }),
        tenant: () => Promise.resolve(undefined),
        outboundTrunk: () => Promise.resolve(undefined),
        queueByNumber: () => Promise.resolve(null),
        trunkCallerId: (a) => Promise.resolve(a.extension),
      },
      location: { lookup: (_t, agentId) => [k.binding(agentId)] },
      queues: {
        hasQueue: () => Promise.resolve(false),
        entryRefusal: () => Promise.resolve(null),
        transferIn: () => Promise.resolve(),
      },
      core: { incomingOf: () => undefined },
      hostport: () => '127.0.0.1:5060',
    });
  }

  /** An inbound call to agent 7, bridged. */
  async function bridged(k: Kit) {
    const { inc, call, a } = incoming(k);
    await connectDirect({ legB: k.legB, follower: k.follower }, inc, {
      from: '<sip:0901@127.0.0.1>',
      targets: [{ requestUri: 'sip:1007@127.0.0.1:5070', remote: k.binding(7).remote, to: '<sip:1007@t>' }],
      calleeAgentId: 7,
    });
    const b = k.dialer.last;
    b.answer();
    assert.equal(call.state, 'bridged');
    return { call, a, b };
  }

  it('to another agent: the caller holds while the new agent rings, whose answer replaces B', async () => {
    const k = kit(new FakeClock(0));
    const { call, a, b } = await bridged(k);
    await transfers(k).blind(call, { kind: 'agent', agentId: 8 });
    assert.equal(call.state, 'transferring');
    assert.equal((a.media.endpoint as FakeEndpoint).moh, 'default', 'the caller hears hold music meanwhile');
    const c = k.dialer.last;
    assert.equal(c.targets[0]!.requestUri, 'sip:1008@127.0.0.1:5070');
    assert.throws(
      () => call.hold(),
      (e: unknown) => e instanceof CallStateError && e.state === 'transferring',
    );
    k.clock.advance(1000);
    c.answer();
    assert.equal(call.state, 'bridged');
    assert.deepEqual(b.byes, [1], 'the transferring agent is hung up');
    assert.equal(call.record.agentId, 8, 'the call is counted for the agent who finishes it');
    assert.equal(k.media.bridges.at(-1)!.b, c.media.endpoint);
    assert.equal((a.media.endpoint as FakeEndpoint).moh, null);
    assert.deepEqual(
      call.transfers.map((t) => [t.fromAgentId, t.to, t.outcome]),
      [[7, 'agent 1008', 'done']],
    );
    b.bye();
    assert.equal(call.state, 'bridged', "the old side's late BYE changes nothing");
    c.bye();
    assert.equal(call.state, 'ended');
    await settle();
    // 7 is released when the transfer completes, before 8 is In-call; at the end both are resumed.
    assert.deepEqual(k.follower.steps, [
      '7:Ringing',
      '7:In-call',
      '8:Ringing',
      '7:resume',
      '8:In-call',
      '7:resume',
      '8:resume',
    ]);
    assert.deepEqual(types(k), ['call.created', 'call.answered', 'call.transferred', 'call.ended']);
    const { call: snapshot, ...ev } = k.events.find((e) => e.type === 'call.transferred')!
      .payload as Envelope<'call.transferred'>['payload'];
    assert.equal(snapshot.agentId, 8, 'the call as it stands: counted for agent 8');
    assert.deepEqual(ev, {
      callId: call.callId,
      fromAgentId: 7,
      toAgentId: 8,
      toKind: 'agent',
      toQueueId: null,
      toNumber: null,
      to: 'agent 1008',
      kind: 'blind',
      by: 'api',
      legCallId: `${call.callId}-t1`,
      at: 1000,
    });
  });

  it('B hangs up while the transfer rings (blind): the caller waits; a miss then ends the call', async () => {
    const k = kit(new FakeClock(0));
    const { call, b } = await bridged(k);
    await transfers(k).blind(call, { kind: 'agent', agentId: 8 });
    b.bye();
    assert.equal(call.state, 'transferring', 'B leaving does not end a call being transferred');
    k.dialer.last.fail(480);
    assert.equal(call.state, 'ended');
    await call.record.flushed();
    assert.equal(k.store.rows.get(call.callId)!.end!.reason, 'transfer target did not answer');
  });

  it('a miss with B still there gives the call back to B', async () => {
    const k = kit(new FakeClock(0));
    const { call, a, b } = await bridged(k);
    await transfers(k).blind(call, { kind: 'agent', agentId: 8 });
    k.dialer.last.fail(486);
    assert.equal(call.state, 'bridged');
    assert.equal(call.b?.media, b.media);
    assert.equal((a.media.endpoint as FakeEndpoint).moh, null);
    assert.equal(call.transfers[0]!.outcome, 'failed');
  });

  it('refused while ringing (state offering) and for an unknown agent (nothing changes)', async () => {
    const k = kit(new FakeClock(0));
    const { call } = k.call();
    call.attempt({ cancel: () => undefined });
    await assert.rejects(
      transfers(k).blind(call, { kind: 'agent', agentId: 8 }),
      (e: unknown) =>
        e instanceof CallStateError && e.state === 'offering' && /offering: transfer/.test(e.message),
    );
    const k2 = kit(new FakeClock(0));
    const { call: up } = await bridged(k2);
    await assert.rejects(transfers(k2).blind(up, { kind: 'agent', agentId: 99 }), /agent 99 not found/);
    assert.equal(up.state, 'bridged');
  });
});
