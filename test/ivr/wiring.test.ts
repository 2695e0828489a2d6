import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import pino from 'pino';
import type { Incoming } from '../../src/calls/engine.js';
import { IvrFlows } from '../../src/calls/ivr-flow.js';
import { Voicemails } from '../../src/calls/voicemail.js';
import { FakeClock } from '../../src/clock.js';
import { validateFlow } from '../../src/ivr/validate.js';
import type { UasSession } from '../../src/sip/uas.js';
import { type FakeEndpoint, type Kit, kit, settle } from '../calls/flow-kit.js';

/** The IVR wiring on a FakeClock: the real Call, IvrFlows and stepper; the queue flow records where calls went. */
function setup(doc: unknown, start = Date.UTC(2026, 11, 2, 3, 0)) {
  const k: Kit = kit(new FakeClock(start));
  const dataDir = mkdtempSync(join(tmpdir(), 'tongdai-ivr-'));
  k.store.flows.set(1, { flowId: 1, version: 3, flow: validateFlow(doc) });
  const entered: number[] = [];
  const ivr = new IvrFlows({
    store: k.store,
    queues: {
      enter: (_inc, queueId) => {
        entered.push(queueId);
        return Promise.resolve();
      },
    },
    direct: { legB: k.legB, follower: k.follower },
    routing: {
      agentDestination: () => Promise.resolve({ kind: 'invalid' }),
      outboundTrunk: () => Promise.resolve(undefined),
      tenant: () => Promise.resolve(undefined),
    },
    location: { lookup: () => [] },
    promptFile: (_t, lang, p) => `${lang}/${p}`,
    hostport: () => '127.0.0.1:5060',
    clock: k.clock,
    logger: pino({ level: 'silent' }),
    voicemails: new Voicemails({
      store: k.store,
      bus: k.bus,
      clock: k.clock,
      dataDir,
      logger: pino({ level: 'silent' }),
    }),
  });
  const { call, a } = k.call();
  const sent: string[] = [];
  const session = { answer: () => sent.push('200') } as unknown as UasSession;
  const inc: Incoming = { call, session, side: a, answerSdp: 'v=0' };
  const ep = a.media.endpoint as unknown as FakeEndpoint;
  return { k, ivr, inc, call, ep, entered, sent };
}

const MENU = {
  language: 'en',
  start: 'main',
  nodes: {
    main: {
      type: 'menu',
      prompt: ['welcome'],
      timeoutSec: 5,
      maxRetries: 1,
      options: { '1': { type: 'queue', queueId: 4 }, '2': { type: 'goto', node: 'sub' } },
    },
    sub: { type: 'play', prompt: ['goodbye'], next: { type: 'hangup' } },
  },
};

describe('IVR wiring on a FakeClock', () => {
  it('answers, plays the menu, and an RFC 4733 digit routes to the queue; the record leaves the IVR', async () => {
    const { ivr, inc, call, ep, entered, sent } = setup(MENU);
    await ivr.enter(inc, 1);
    await settle();
    assert.deepEqual(sent, ['200']);
    assert.equal(call.state, 'ivr');
    assert.deepEqual(ep.prompts, [['en/welcome']]);
    ep.dtmf!('1', 100);
    await settle();
    assert.deepEqual(entered, [4]);
    assert.equal(ep.dtmf, null, 'digits no longer go to the flow');
    assert.equal(call.record.inIvr, false);
  });

  it('a SIP INFO digit counts like an RFC 4733 one', async () => {
    const { ivr, inc, entered } = setup(MENU);
    await ivr.enter(inc, 1);
    await settle();
    inc.call.infoDigit('1', 160);
    await settle();
    assert.deepEqual(entered, [4]);
  });

  it('timeouts on the injected clock: no-input and the menu again, then goodbye and the end, recorded as IVR', async () => {
    const { k, ivr, inc, call, ep } = setup(MENU);
    await ivr.enter(inc, 1);
    await settle();
    k.clock.advance(4999);
    await settle();
    assert.equal(ep.prompts.length, 1, 'not before 5 s');
    k.clock.advance(1);
    await settle();
    assert.deepEqual(ep.prompts[1], ['en/no-input', 'en/welcome']);
    k.clock.advance(5000);
    await settle();
    assert.deepEqual(ep.prompts.slice(2), [['en/no-input'], ['en/goodbye']]);
    assert.equal(call.ended, true);
    await settle();
    const row = k.store.rows.get(call.callId)!;
    assert.equal(row.end?.statusDetail, 'IVR');
    assert.equal(row.end?.reason, 'IVR: no valid input');
  });

  it('barge-in: a digit pressed during the menu prompt stops it and is acted on at once; no timer while it plays', async () => {
    const { k, ivr, inc, call, ep, entered } = setup(MENU);
    ep.holdPrompts = true;
    await ivr.enter(inc, 1);
    await settle();
    k.clock.advance(60_000);
    await settle();
    assert.equal(call.ended, false, 'no timeout runs while the menu prompt plays');
    ep.dtmf!('7', 100);
    await settle();
    assert.equal(ep.stopped, 1, 'the welcome prompt was cut short');
    assert.deepEqual(ep.prompts[1], ['en/invalid', 'en/welcome'], 'the invalid digit is answered at once');
    ep.dtmf!('1', 100);
    await settle();
    assert.equal(ep.stopped, 2, 'the repeated menu is interrupted too');
    assert.deepEqual(entered, [4]);
    assert.equal(ep.prompts.length, 2, 'nothing more was played');
  });

  it('barge-in only cuts prompts that ask for input: a play node is heard to its end', async () => {
    const doc = {
      ...MENU,
      start: 'hello',
      nodes: {
        ...MENU.nodes,
        hello: { type: 'play', prompt: ['welcome'], next: { type: 'goto', node: 'main' } },
      },
    };
    const { ivr, inc, ep, entered } = setup(doc);
    ep.holdPrompts = true;
    await ivr.enter(inc, 1);
    await settle();
    ep.dtmf!('1', 100);
    await settle();
    assert.equal(ep.stopped, 0, 'the greeting is not cut');
    assert.equal(ep.prompts.length, 1);
    ep.played();
    await settle();
    assert.deepEqual(ep.prompts[1], ['en/welcome'], 'then the menu');
    assert.deepEqual(entered, [], 'a digit pressed before the menu asked is not an answer to it');
    ep.dtmf!('1', 100);
    await settle();
    assert.deepEqual(entered, [4]);
  });

  it('a play node then hangup: goodbye is played before the end; a flow deleted before the call refuses it', async () => {
    const { ivr, inc, call, ep } = setup(MENU);
    await ivr.enter(inc, 1);
    await settle();
    ep.dtmf!('2', 100);
    await settle();
    // The play node's goodbye, then the flow's hangup (which says goodbye as nothing else was said in that step).
    assert.deepEqual(ep.prompts.slice(1), [['en/goodbye'], ['en/goodbye']]);
    assert.equal(call.ended, true);

    const other = setup(MENU);
    other.k.store.flows.clear();
    await other.ivr.enter(other.inc, 1);
    assert.equal(other.call.ended, true);
    assert.deepEqual(other.sent, [], 'never answered');
  });

  it('hours in the flow time zone: 03:00 UTC is 10:00 in Ho Chi Minh City (open), 23:00 there is closed', async () => {
    const flow = {
      language: 'vi',
      start: 'h',
      nodes: {
        h: {
          type: 'hours',
          weekly: { wed: ['08:00-17:00'] },
          open: { type: 'queue', queueId: 4 },
          closed: { type: 'hangup', prompt: ['closed'] },
        },
      },
    };
    const open = setup(flow, Date.UTC(2026, 11, 2, 3, 0));
    await open.ivr.enter(open.inc, 1);
    await settle();
    assert.deepEqual(open.entered, [4]);
    const closed = setup(flow, Date.UTC(2026, 11, 2, 16, 0));
    await closed.ivr.enter(closed.inc, 1);
    await settle();
    assert.deepEqual(closed.ep.prompts, [['vi/closed']]);
    assert.equal(closed.call.ended, true);
  });
});

describe('voicemail as an IVR branch (FakeClock)', () => {
  const VM = {
    language: 'en',
    start: 'main',
    nodes: {
      main: {
        type: 'menu',
        prompt: ['welcome'],
        options: { '4': { type: 'voicemail', mailbox: 'sales', maxSec: 10 } },
      },
    },
  };
  const names = (ep: FakeEndpoint) => ep.prompts.map((p) => p.map((f) => basename(f, '.wav')).join(' '));

  it('greeting, beep, recorded until #: saved with its mailbox, voicemail.left, goodbye, ended as IVR', async () => {
    const { k, ivr, inc, call, ep } = setup(VM);
    await ivr.enter(inc, 1);
    await settle();
    ep.dtmf!('4', 100);
    await settle();
    assert.deepEqual(names(ep), ['welcome', 'voicemail', 'beep']);
    assert.equal(ep.recordings.length, 1, 'recording after the beep');
    assert.equal(call.record.inIvr, true, 'a voicemail stays in the flow');
    ep.dtmf!('5', 100);
    await settle();
    assert.equal(ep.recordings[0]!.stopped, false, 'only # ends the message');
    ep.dtmf!('#', 100);
    await settle();
    assert.equal(ep.recordings[0]!.stopped, true);
    assert.deepEqual(
      k.store.voicemails.map((v) => [v.mailbox, v.callId, v.durationMs]),
      [['sales', call.callId, 1000]],
    );
    const left = k.events.filter((e) => e.type === 'voicemail.left');
    assert.equal(left.length, 1);
    assert.deepEqual(names(ep).at(-1), 'goodbye');
    assert.equal(call.ended, true);
    await settle();
    const row = k.store.rows.get(call.callId)!;
    assert.deepEqual([row.end?.reason, row.end?.statusDetail], ['IVR: voicemail left', 'IVR']);
  });

  it('the length limit ends the message at exactly maxSec on the injected clock', async () => {
    const { k, ivr, inc, call, ep } = setup(VM);
    await ivr.enter(inc, 1);
    await settle();
    ep.dtmf!('4', 100);
    await settle();
    k.clock.advance(9999);
    await settle();
    assert.equal(ep.recordings[0]!.stopped, false);
    k.clock.advance(1);
    await settle();
    assert.equal(ep.recordings[0]!.stopped, true);
    assert.equal(k.store.voicemails.length, 1);
    assert.equal(call.ended, true);
  });

  it('the caller hanging up ends the message: it is saved, nothing more is played', async () => {
    const { k, ivr, inc, call, ep } = setup(VM);
    await ivr.enter(inc, 1);
    await settle();
    ep.dtmf!('4', 100);
    await settle();
    const played = ep.prompts.length;
    call.end('NORMAL_CLEARING', 'caller', {});
    await settle();
    assert.equal(ep.recordings[0]!.stopped, true);
    assert.equal(k.store.voicemails.length, 1);
    assert.equal(ep.prompts.length, played, 'no goodbye to a caller who left');
    assert.equal(k.store.rows.get(call.callId)!.end?.statusDetail, 'IVR');
  });
});
