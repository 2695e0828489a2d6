import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { connectDirect } from '../../src/calls/direct.js';
import type { Incoming } from '../../src/calls/engine.js';
import { Call } from '../../src/calls/call.js';
import { ReferTransfers } from '../../src/calls/refer.js';
import { CallTransfer } from '../../src/calls/transfer.js';
import { FakeClock } from '../../src/clock.js';
import type { Envelope } from '../../src/domain/events.js';
import { parseReferTo, parseReplaces, type ReferRequest } from '../../src/sip/dialog-refer.js';
import type { UasSession } from '../../src/sip/uas.js';
import { type FakeAttempt, type Kit, kit, settle } from './flow-kit.js';

/** The REFER's NOTIFYs as the phone would see them (the 100 Trying is sent with the 202, by the SIP layer). */
function refer(user: string | null, replaces = false): ReferRequest & { sent: string[] } {
  const sent: string[] = [];
  return {
    uri: `sip:${user}@127.0.0.1`,
    user,
    replaces: replaces ? { callId: 'c', toTag: 't', fromTag: 'f' } : null,
    notify: (status, reason) => void sent.push(`${status} ${reason}`),
    sent,
  };
}

/** A kit whose legs take REFERs: 1008 is agent 8, a number goes to the trunk, anything else is unknown. */
function referKit() {
  const k = kit(new FakeClock(0));
  const transfers = new CallTransfer({
    legB: k.legB,
    follower: k.follower,
    routing: {
      agent: (_t, id) => Promise.resolve({ id, extension: String(1000 + id) } as never),
      agentDestination: (_t, d) =>
        Promise.resolve(
          d === '1008'
            ? { kind: 'extension', agent: { id: 8, extension: '1008' } as never }
            : /^\+?\d+$/.test(d)
              ? { kind: 'external', number: d }
              : { kind: 'invalid' },
        ),
      tenant: (id) => Promise.resolve({ id, allow_international: 0, allow_premium: 0 } as never),
      outboundTrunk: () =>
        Promise.resolve({ host: '127.0.0.1', port: 5099, transport: 'udp', credentials: null } as never),
      queueByNumber: () => Promise.resolve(null),
      // Agent 100n's callout caller id is 0287300000n (what the trunk's From must show).
      trunkCallerId: (a) => Promise.resolve(`028730000${a.extension.slice(2)}`),
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
  k.legB.refer = new ReferTransfers({
    transfers,
    calls: () => k.core.calls.values(),
    follower: k.follower,
    logger: k.legB.logger,
  });
  return k;
}

/** An inbound call to agent 7, bridged; `b`: agent 7's leg (whose phone sends the REFER). */
async function bridged(k: Kit) {
  const { call, a } = k.call({});
  const session = { answer: () => undefined, progress: () => undefined } as unknown as UasSession;
  const inc: Incoming = { call, session, side: a, answerSdp: 'v=0' };
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

const onRefer = (b: FakeAttempt) => b.h.onRefer!;

describe('transfer by REFER (RFC 3515) on a FakeClock', () => {
  it('to an extension: NOTIFY 200 once the new agent answers, before agent 7 is hung up', async () => {
    const k = referKit();
    const { call, b } = await bridged(k);
    assert.equal(onRefer(b).check(), null);
    const r = refer('1008');
    onRefer(b).run(r);
    await settle();
    assert.equal(call.state, 'transferring');
    assert.deepEqual(r.sent, [], 'nothing final while the new side rings');
    const c = k.dialer.last;
    assert.equal(c.targets[0]!.requestUri, 'sip:1008@127.0.0.1:5070');
    c.answer();
    assert.deepEqual(r.sent, ['200 OK']);
    assert.deepEqual(b.byes, [1], 'agent 7 is hung up');
    assert.equal(call.record.agentId, 8);
    await call.record.flushed();
    assert.equal(call.ended, false);
    assert.equal(k.store.rows.get(call.callId)!.agentId, 8, 'the call row names agent 8 while the call runs');
    assert.deepEqual(
      call.transfers.map((t) => [t.fromAgentId, t.to, t.outcome, t.by, t.toAgentId]),
      [[7, 'agent 1008', 'done', 'refer', 8]],
    );
  });

  it("to an external number: the trunk leg shows the transferring agent's caller id, not the caller's", async () => {
    const k = referKit();
    const { call, b } = await bridged(k);
    const r = refer('0901234567');
    onRefer(b).run(r);
    await settle();
    const c = k.dialer.last;
    assert.equal(c.targets[0]!.requestUri, 'sip:0901234567@127.0.0.1:5099');
    assert.equal(c.from, '<sip:02873000007@127.0.0.1:5060>', "agent 7's trunk caller id");
    c.answer();
    assert.deepEqual(r.sent, ['200 OK']);
    assert.deepEqual(
      call.transfers.map((t) => [t.fromAgentId, t.toKind, t.toNumber, t.outcome]),
      [[7, 'number', '0901234567', 'done']],
    );
  });

  it("a miss: the new side's status is the NOTIFY's and the call goes back to agent 7", async () => {
    const k = referKit();
    const { call, b } = await bridged(k);
    const r = refer('1008');
    onRefer(b).run(r);
    await settle();
    k.dialer.last.fail(486);
    assert.deepEqual(r.sent, ['486 Busy Here']);
    assert.equal(call.state, 'bridged');
    assert.equal(call.b?.media, b.media);
  });

  it('the caller hangs up while the transfer rings: NOTIFY 487, the new side is cancelled', async () => {
    const k = referKit();
    const { call, a, b } = await bridged(k);
    const r = refer('1008');
    onRefer(b).run(r);
    await settle();
    const c = k.dialer.last;
    call.legHungUp(a, 'caller');
    assert.equal(call.state, 'ended');
    assert.deepEqual(r.sent, ['487 Request Terminated']);
    assert.equal(c.cancelled, 1);
    assert.equal(call.transfers[0]!.outcome, 'failed');
    c.answer();
    assert.deepEqual(r.sent, ['487 Request Terminated'], 'a late answer notifies nothing more');
  });

  it('the agent hangs up right after the 202 (blind, as phones do): the caller waits, the new side answers', async () => {
    const k = referKit();
    const { call, b } = await bridged(k);
    const r = refer('1008');
    onRefer(b).run(r);
    b.bye();
    await settle();
    assert.equal(call.state, 'transferring');
    k.dialer.last.answer();
    assert.equal(call.state, 'bridged');
    assert.deepEqual(b.byes, [], 'agent 7 already left');
  });

  it('the agent hangs up right after the 202 and the target is unknown: NOTIFY 404 and the call ends', async () => {
    const k = referKit();
    const { call, b } = await bridged(k);
    const r = refer('nobody');
    onRefer(b).run(r);
    b.bye();
    assert.equal(call.state, 'bridged', 'the caller waits while the target is looked up');
    await settle();
    assert.deepEqual(r.sent, ['404 Not Found']);
    assert.equal(call.state, 'ended');
    await call.record.flushed();
    assert.match(k.store.rows.get(call.callId)!.end!.reason!, /refused \(404\) after the agent left/);
  });

  it('refusals: unknown extension 404, barred number 403, Replaces of no call 481; the call stays bridged', async () => {
    const k = referKit();
    const { call, b } = await bridged(k);
    const attempts = k.dialer.attempts.length;
    for (const [user, want] of [
      ['nobody', '404 Not Found'],
      ['+14155550100', '403 Forbidden'],
      [null, '404 Not Found'],
    ] as const) {
      const r = refer(user);
      onRefer(b).run(r);
      await settle();
      assert.deepEqual(r.sent, [want], String(user));
      assert.equal(call.state, 'bridged');
    }
    const att = refer('1008', true);
    onRefer(b).run(att);
    assert.deepEqual(att.sent, ['481 Call/Transaction Does Not Exist'], 'Replaces names no live call');
    assert.equal(k.dialer.attempts.length, attempts, 'nothing rang');
    assert.deepEqual(call.transfers, []);
  });

  it('attended (Replaces): the consulted agent takes the caller, both dialogs of agent 7 are hung up', async () => {
    const k = referKit();
    const { call, a, b } = await bridged(k);
    // Agent 7's phone calls agent 8 through tongdai (the consultation call; its side A is agent 7's dialog).
    const consultA = Object.assign(k.side(), { sipCallId: 'consult-1@phone' });
    const consult = new Call(k.media as never, k.record({}), consultA, k.clock);
    k.core.track(consult, () => undefined);
    const session = { answer: () => undefined, progress: () => undefined } as unknown as UasSession;
    await connectDirect(
      { legB: k.legB, follower: k.follower },
      { call: consult, session, side: consultA, answerSdp: 'v=0' },
      {
        from: '<sip:1007@127.0.0.1>',
        targets: [{ requestUri: 'sip:1008@127.0.0.1:5070', remote: k.binding(8).remote, to: '<sip:1008@t>' }],
        callerAgentId: 7,
        calleeAgentId: 8,
      },
    );
    const c = k.dialer.last;
    c.answer();
    assert.equal(consult.state, 'bridged');
    const r = refer('1008');
    onRefer(b).run({ ...r, replaces: { callId: 'consult-1@phone', toTag: 'x', fromTag: 'y' } });
    assert.deepEqual(r.sent, ['200 OK']);
    assert.equal(call.state, 'bridged');
    assert.equal(call.b?.media, c.media, 'the caller is bridged to agent 8');
    assert.equal(k.media.bridges.at(-1)!.a, a.media.endpoint);
    assert.equal(k.media.bridges.at(-1)!.b, c.media.endpoint);
    assert.deepEqual(b.byes, [1], "agent 7's leg of the first call is hung up");
    assert.equal(consult.state, 'ended');
    assert.equal(consultA.hangups.length, 1, "agent 7's consultation dialog is hung up");
    assert.equal(c.byes.length, 0, 'agent 8 stays');
    assert.equal(call.record.agentId, 8);
    assert.deepEqual(
      call.transfers.map((t) => [t.fromAgentId, t.to, t.outcome, t.by, t.toKind, t.toAgentId]),
      [[7, 'agent 1008', 'done', 'attended', 'agent', 8]],
    );
    const ev = k.events.find((e) => e.type === 'call.transferred')! as Envelope<'call.transferred'>;
    assert.deepEqual(
      [ev.payload.callId, ev.payload.fromAgentId, ev.payload.toAgentId, ev.payload.kind],
      [call.callId, 7, 8, 'attended'],
    );
    await settle();
    c.bye();
    assert.equal(call.state, 'ended', "agent 8's BYE (a leg the consultation handed over) ends the call");
    await call.record.flushed();
    assert.equal(k.store.rows.get(call.callId)!.end!.hangupBy, 'callee');
    await settle();
    assert.equal(k.follower.steps.filter((x) => x.startsWith('8:')).at(-1), '8:resume');
    assert.ok(k.follower.steps.lastIndexOf('8:In-call') > k.follower.steps.indexOf('8:resume'));
  });

  it('refused before the 202: a second REFER while one rings (491), on an ended call (481)', async () => {
    const k = referKit();
    const { call, b } = await bridged(k);
    onRefer(b).run(refer('1008'));
    await settle();
    assert.equal(onRefer(b).check()?.status, 491);
    call.hangup();
    assert.equal(onRefer(b).check()?.status, 481);
  });
});

describe('Refer-To parsing', () => {
  it('a blind target and an attended one (Replaces, RFC 3891)', () => {
    assert.deepEqual(parseReferTo('<sip:1002@pbx.example;transport=udp>'), {
      uri: 'sip:1002@pbx.example;transport=udp',
      user: '1002',
      replaces: null,
    });
    assert.deepEqual(
      parseReferTo(
        '"B" <sip:1002@10.0.0.1?Replaces=abc%40h%3Bto-tag%3D111%3Bfrom-tag%3D222&Require=replaces>',
      ),
      {
        uri: 'sip:1002@10.0.0.1',
        user: '1002',
        replaces: { callId: 'abc@h', toTag: '111', fromTag: '222' },
      },
    );
    assert.equal(parseReferTo('<mailto:x@y>'), null);
    assert.equal(parseReplaces('abc;to-tag=1'), null, 'both tags are required');
  });
});
