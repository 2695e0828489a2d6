import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import type { Call } from '../../src/calls/call.js';
import { systemClock } from '../../src/clock.js';
import type { Envelope } from '../../src/domain/events.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { ABSENT, type TonePhone } from '../media/tones.js';
import { closedCall } from '../sip/helpers/agents.js';
import { Peers, waitFor } from '../sip/helpers/peers.js';
import { problemsOf, shot } from './browser.js';
import {
  LOUD,
  agentPage,
  customerHears,
  hearsTone,
  noWrapup,
  phoneBrowser,
  phoneSkip,
  phoneState,
  toneCustomer,
} from './phone-helpers.js';

/**
 * Transfers from the workspace's browser phone, as an agent does them: agent 0 (one Chromium, microphone 1,100 Hz)
 * answers a carrier call whose audio is a test socket (500 Hz, and it keeps what it hears), then transfers it to
 * agent 1 (a second Chromium, microphone 1,900 Hz) blind (REFER) or after a consultation (a second call, then
 * REFER with Replaces). Who hears whom proves the media followed the signalling; the call's events and record are
 * a desk phone's.
 */
const skip = await phoneSkip();
const TONES = { customer: 500, first: 1100, second: 1900 };

describe('browser phone transfers', { skip }, () => {
  let s: TestServer;
  let first: Browser;
  let second: Browser;
  let a: Page;
  let b: Page;
  const peers = new Peers();
  const events: Envelope[] = [];
  const audios: TonePhone[] = [];

  before(async () => {
    s = await startTestServer({
      clock: systemClock,
      beforeListen: (t) => t.ctx.bus.subscribe((e) => void events.push(e)),
    });
    await noWrapup(s);
    [first, second] = await Promise.all([phoneBrowser(TONES.first), phoneBrowser(TONES.second)]);
    [a, b] = await Promise.all([agentPage(first, s, 0), agentPage(second, s, 1)]);
    // Agent 1 is away (Lunch): the queue offers the carrier's calls to agent 0 only; a transfer still rings agent 1.
    await waitFor(async () => (await status(1)) === 'Available', 10_000, 'agent 1 available');
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [s.demo.agents[1]!.agent_id], 'Lunch', 'test');
  });
  afterEach(async () => {
    // A failed test must not leave a call up on a page (the next one's banner would never show).
    for (const p of [a, b]) if (await p.$('.phone-hangup')) await p.click('.phone-hangup');
    peers.killAll();
    for (const x of audios.splice(0)) x.close();
  });
  after(async () => {
    peers.killAll();
    await Promise.all([first?.close(), second?.close()]);
    await s?.close();
  });

  const status = async (index: number) =>
    (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [s.demo.agents[index]!.agent_id]))[0]?.status;
  const liveCall = (caller: string, ok: (c: Call) => boolean, what: string) =>
    waitFor(
      () =>
        [...s.t.telephony.core.calls.values()].find(
          (c: Call) => c.record.start.callerNumber === caller && ok(c),
        ),
      30_000,
      what,
    );
  const transferred = (callId: string) =>
    waitFor(
      () =>
        events.find(
          (e): e is Envelope<'call.transferred'> =>
            e.type === 'call.transferred' && (e.payload as { callId: string }).callId === callId,
        ),
      10_000,
      'call.transferred',
    );

  /** A carrier call answered on agent 0's page; the customer hears agent 0's microphone. */
  async function answeredByFirst(caller: string) {
    const audio = await toneCustomer(peers, s, caller, TONES.customer);
    audios.push(audio);
    await a.waitForSelector('.phone-banner', { timeout: 20_000 });
    await a.click('.phone-answer');
    await a.waitForSelector('.phone-call[data-state=confirmed]', { timeout: 15_000 });
    const live = await liveCall(caller, (c) => c.state === 'bridged', 'the call bridged to agent 0');
    await hearsTone(a, TONES.customer);
    const h = await customerHears(audio, TONES, (x) => x.first! >= LOUD);
    assert.ok(h.first! >= LOUD, `before: the customer hears agent 0 ${JSON.stringify(h)}`);
    return { audio, live };
  }

  /** Agent 1's page rings; the test answers it there. */
  async function secondAnswers() {
    await b.waitForSelector('.phone-banner', { timeout: 20_000 });
    await b.click('.phone-answer');
    await b.waitForSelector('.phone-call[data-state=confirmed]', { timeout: 15_000 });
  }

  /** After the transfer: agent 1 has the call, both ways; agent 0's phone is idle; the record names agent 1. */
  async function withSecondThenHangUp(audio: TonePhone, live: Call) {
    const [a0, a1] = s.demo.agents;
    await a.waitForSelector('.phone-dial', { timeout: 15_000 });
    assert.equal(await a.$('.phone-consulting'), null, 'agent 0 has no consultation left');
    await hearsTone(b, TONES.customer);
    const h = await customerHears(audio, TONES, (x) => x.second! >= LOUD && x.first! <= ABSENT);
    assert.ok(
      h.second! >= LOUD && h.first! <= ABSENT,
      `after: the customer hears agent 1 only ${JSON.stringify(h)}`,
    );
    await waitFor(async () => (await status(0)) === 'Available', 10_000, 'agent 0 released');
    assert.equal(await status(1), 'In-call');
    await b.click('.phone-hangup');
    await b.waitForSelector('.phone-dial', { timeout: 15_000 });
    const rec = await closedCall(s, 'call_id', live.callId);
    assert.equal(rec.agent_id, a1!.agent_id, 'the record names the agent who finished the call');
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.equal(rec.hangup_by, 'callee');
    const ev = (await transferred(live.callId)).payload;
    assert.equal(ev.fromAgentId, a0!.agent_id);
    assert.equal(ev.toAgentId, a1!.agent_id);
    assert.equal(ev.toKind, 'agent');
    // Agent 1 was away when the transfer came: back in that status after the call.
    await waitFor(async () => (await status(1)) === 'Lunch', 10_000, 'agent 1 back to Lunch');
    return ev;
  }

  it('blind: agent 0 types agent 1’s extension and transfers; agent 1’s page rings, answers and has the caller', async () => {
    const a1 = s.demo.agents[1]!;
    const { audio, live } = await answeredByFirst('0909777001');
    await a.fill('.phone-transfer input', a1.extension);
    await a.click('.phone-blind');
    await b.waitForSelector('.phone-banner', { timeout: 20_000 });
    await shot(a, 'workspace-phone-transferring');
    await secondAnswers();
    const ev = await withSecondThenHangUp(audio, live);
    assert.deepEqual([ev.kind, ev.by, ev.to], ['blind', 'refer', `agent ${a1.extension}`]);
    assert.deepEqual([...problemsOf(a), ...problemsOf(b)], []);
  });

  it('attended: agent 0 consults agent 1 (the caller held), they talk, then agent 0 completes the transfer', async () => {
    const a1 = s.demo.agents[1]!;
    const { audio, live } = await answeredByFirst('0909777002');
    await a.fill('.phone-transfer input', a1.extension);
    await a.click('.phone-consult');
    await a.waitForSelector('.phone-consulting', { timeout: 10_000 });
    await waitFor(() => live.state === 'held', 15_000, 'the caller held for the consultation');
    await secondAnswers();
    await a.waitForSelector('.phone-consulting[data-state=confirmed]', { timeout: 15_000 });
    // The consultation, both ways: each agent's page hears the other's microphone; the caller hears neither.
    await hearsTone(a, TONES.second);
    await hearsTone(b, TONES.first);
    const held = await customerHears(audio, TONES, (x) => x.first! <= ABSENT && x.second! <= ABSENT);
    assert.ok(
      held.first! <= ABSENT && held.second! <= ABSENT,
      `held: the customer hears neither agent ${JSON.stringify(held)}`,
    );
    assert.equal((await phoneState(a))?.consult, 'confirmed');
    await shot(a, 'workspace-phone-consulting');
    await a.click('.phone-complete');
    const ev = await withSecondThenHangUp(audio, live);
    assert.deepEqual([ev.kind, ev.by], ['attended', 'attended']);
    assert.deepEqual([...problemsOf(a), ...problemsOf(b)], []);
  });

  it('refused: a blind transfer to an unknown name says so on the page; the call stays with agent 0', async () => {
    const a0 = s.demo.agents[0]!;
    const { audio, live } = await answeredByFirst('0909777003');
    await a.fill('.phone-transfer input', 'nobody');
    await a.click('.phone-blind');
    const alert = a.locator('.phone .alert');
    await alert.waitFor({ timeout: 15_000 });
    assert.match((await alert.textContent()) ?? '', /Không chuyển được cuộc gọi \(404\)/);
    assert.equal((await phoneState(a))?.call, 'confirmed', 'agent 0 still has the call');
    assert.equal(await a.isEnabled('.phone-blind'), true, 'the transfer buttons are back');
    assert.equal(live.record.agentId, a0.agent_id);
    assert.equal(await b.$('.phone-banner'), null, 'agent 1 was never rung');
    const h = await customerHears(audio, TONES, (x) => x.first! >= LOUD);
    assert.ok(h.first! >= LOUD, `the customer still hears agent 0 ${JSON.stringify(h)}`);
    await a.click('.phone-hangup');
    await a.waitForSelector('.phone-dial', { timeout: 15_000 });
    const rec = await closedCall(s, 'call_id', live.callId);
    assert.equal(rec.agent_id, a0.agent_id);
    assert.equal(
      events.some(
        (e) => e.type === 'call.transferred' && (e.payload as { callId: string }).callId === live.callId,
      ),
      false,
    );
    assert.deepEqual([...problemsOf(a), ...problemsOf(b)], []);
  });
});
