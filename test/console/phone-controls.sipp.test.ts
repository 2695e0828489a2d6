import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { updateTenantLimits } from '../../src/domain/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { ABSENT, type TonePhone } from '../media/tones.js';
import { closedCall } from '../sip/helpers/agents.js';
import { Peers, waitFor } from '../sip/helpers/peers.js';
import { problemsOf } from './browser.js';
import {
  LOUD,
  SipDropProxy,
  agentPage,
  customerHears,
  hearsTone,
  noWrapup,
  phoneBrowser,
  phoneSkip,
  phoneState,
  storedRecording,
  toneTrace,
  toneCustomer,
} from './phone-helpers.js';

/**
 * The workspace phone's own controls in Debian Chromium, with real peers: the microphone choice and auto-answer
 * (kept across a reload), the level meter, mute (the customer's side, a test socket behind a sipp carrier call,
 * hears silence for that span), a refused microphone, and a dropped SIP WebSocket (the page says so, then
 * registers again on a new connection once the network is back).
 */
const skip = await phoneSkip();
const TONES = { customer: 500, agent: 1000 };

/** The level meter's width in percent (the bar under the peer's number). */
const meterWidth = async (page: Page) =>
  Number(/width:\s*([\d.]+)%/.exec((await page.getAttribute('.meter span', 'style')) ?? '')?.[1] ?? -1);

describe('browser phone controls', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  const peers = new Peers();
  const pages: Page[] = [];
  const audios: TonePhone[] = [];

  before(async () => {
    s = await startTestServer({ clock: systemClock });
    await noWrapup(s);
    browser = await phoneBrowser(TONES.agent);
  });
  afterEach(async () => {
    for (const p of pages.splice(0))
      await p
        .context()
        .close()
        .catch(() => undefined);
    peers.killAll();
    for (const x of audios.splice(0)) x.close();
  });
  after(async () => {
    peers.killAll();
    await browser?.close();
    await s?.close();
  });

  it('the chosen microphone and auto-answer survive a reload; a call is answered by itself on that microphone; the meter moves; mute silences the customer’s side and the recording', async () => {
    const a0 = s.demo.agents[0]!;
    const db = s.t.ctx.db;
    await db.updateTable('agents').set({ recording_enabled: 1 }).where('id', '=', a0.agent_id).execute();
    await updateTenantLimits(db, s.demo.tenant_id, { recordingFormat: 'wav' }); // the stored file is the WAV
    const page = await agentPage(browser, s, 0);
    pages.push(page);
    // The permission is granted: Chromium's fake inputs are listed by name.
    const idOf = async (label: string) => {
      const option = page.locator('.phone-settings select option', { hasText: label });
      await option.waitFor({ state: 'attached', timeout: 10_000 });
      return (await option.getAttribute('value'))!;
    };
    const second = await idOf('Fake Audio Input 2');
    assert.ok(second, 'the option carries the device id');
    await page.selectOption('.phone-settings select', second);
    await page.check('.phone-settings input[type=checkbox]');
    await page.reload();
    await page.waitForSelector('.phone[data-reg=registered]', { timeout: 20_000 });
    assert.equal(await idOf('Fake Audio Input 2'), second);
    assert.equal(await page.inputValue('.phone-settings select'), second, 'the microphone is remembered');
    assert.ok(await page.isChecked('.phone-settings input[type=checkbox]'), 'auto-answer is remembered');
    // A choice made after the page loaded counts too (the incoming-call handler is set up once, at load).
    const chosen = await idOf('Fake Audio Input 1');
    assert.notEqual(chosen, second);
    await page.selectOption('.phone-settings select', chosen);

    // Auto-answer: the call is up without any click on the page.
    const audio = await toneCustomer(peers, s, '0909888001', TONES.customer);
    audios.push(audio);
    await page.waitForSelector('.phone-call[data-state=confirmed]', { timeout: 20_000 });
    assert.equal((await phoneState(page))?.mic, chosen, 'the call sends from the chosen microphone');
    await hearsTone(page, TONES.customer);
    await waitFor(async () => (await meterWidth(page)) > 0, 10_000, 'the level meter moves');
    const before = await customerHears(audio, TONES, (h) => h.agent! >= LOUD);
    assert.ok(before.agent! >= LOUD, `the customer hears the agent ${JSON.stringify(before)}`);

    // Mute: the customer hears nothing from the agent (the agent still hears the customer); the meter drops.
    await page.click('.phone-mute');
    await page.waitForSelector('.phone-mute:text("Bật tiếng")', { timeout: 5000 });
    assert.equal((await phoneState(page))?.muted, true);
    const muted = await customerHears(audio, TONES, (h) => h.agent! <= ABSENT);
    assert.ok(muted.agent! <= ABSENT, `muted: the customer hears silence ${JSON.stringify(muted)}`);
    await waitFor(async () => (await meterWidth(page)) === 0, 5000, 'the meter at 0 while muted');
    await hearsTone(page, TONES.customer, 5000);

    await page.click('.phone-mute');
    await page.waitForSelector('.phone-mute:text("Tắt tiếng")', { timeout: 5000 });
    const unmuted = await customerHears(audio, TONES, (h) => h.agent! >= LOUD);
    assert.ok(
      unmuted.agent! >= LOUD,
      `unmuted: the customer hears the agent again ${JSON.stringify(unmuted)}`,
    );
    await waitFor(async () => (await meterWidth(page)) > 0, 5000, 'the meter moves again');

    await page.click('.phone-hangup');
    await page.waitForSelector('.phone-dial', { timeout: 10_000 });
    const rec = await closedCall(s, 'caller_number', '0909888001');
    assert.equal(rec.agent_id, a0.agent_id);
    assert.ok(rec.answered_at, 'answered');
    assert.equal(rec.hangup_by, 'callee');
    assert.deepEqual(problemsOf(page), []);

    // The recording's agent channel: the tone, then silence for the mute's span (≥ 0.6 s), then the tone again.
    assert.ok(rec.recording_id, 'the call record points at its recording');
    const trace = toneTrace((await storedRecording(s, rec.recording_id))[1]!, TONES.agent);
    // A window straddling the mute's start or end is neither tone nor silence (`?`).
    assert.match(trace, /T\??\.{3,}[.?]*T/, `agent channel in 200 ms windows (T tone, . silence): ${trace}`);
  });

  it('a refused microphone: dialling out or answering says the browser refused it; no call is placed or answered', async () => {
    const a1 = s.demo.agents[1]!;
    const refusing = await phoneBrowser(TONES.agent, false);
    try {
      const page = await agentPage(refusing, s, 1, { grant: false });
      await page.fill('.phone-dial input[name=number]', '0901234567');
      await page.click('.phone-dial button[type=submit]');
      const alert = page.locator('.phone .alert');
      await alert.waitFor({ timeout: 10_000 });
      assert.match((await alert.textContent()) ?? '', /không cho dùng micro/);
      await page.waitForSelector('.phone-dial', { timeout: 5000 });
      assert.equal(
        [...s.t.telephony.core.calls.values()].filter((c) => c.record.start.callerAgentId === a1.agent_id)
          .length,
        0,
        'nothing reached tongdai',
      );

      // Answering: the same message, the caller is turned away from this phone (480) and the page is idle again.
      const a0 = s.demo.agents[0]!.agent_id;
      await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [a0], 'Lunch', 'test'); // only agent 1 is offered it
      await page.reload();
      await page.waitForSelector('.phone[data-reg=registered]', { timeout: 20_000 });
      audios.push(await toneCustomer(peers, s, '0909888002', TONES.customer));
      await page.waitForSelector('.phone-banner', { timeout: 20_000 });
      await page.click('.phone-answer');
      await alert.waitFor({ timeout: 10_000 });
      assert.match((await alert.textContent()) ?? '', /không cho dùng micro/);
      await page.waitForSelector('.phone-dial', { timeout: 10_000 });
      const live = await waitFor(
        () =>
          [...s.t.telephony.core.calls.values()].find((c) => c.record.start.callerNumber === '0909888002'),
        5000,
        'the customer’s call',
      );
      assert.equal(live.record.answeredAt ?? null, null, 'not answered');
      const hangup = await call(`${s.url}/api/calls/${live.callId}/hangup`, {
        method: 'POST',
        headers: { 'x-api-key': s.demo.api_key },
      });
      assert.equal(hangup.status, 200);
      const rec = await closedCall(s, 'caller_number', '0909888002');
      assert.equal(rec.answered_at, null, 'the record: never answered');
      assert.deepEqual(problemsOf(page), []);
    } finally {
      await refusing.close();
    }
  });

  it('a dropped SIP WebSocket: the page says the connection is lost, then registers again once it is back', async () => {
    const a2 = s.demo.agents[2]!;
    const proxy = await new SipDropProxy(Number(new URL(s.url).port)).open();
    try {
      const page = await agentPage(browser, s, 2, { url: proxy.url });
      pages.push(page);
      const wsBindings = () =>
        s.t.telephony.sip.location
          .lookup(s.demo.tenant_id, a2.agent_id)
          .filter((b) => b.remote.transport === 'ws')
          .map((b) => b.remote.port);
      const [port] = await waitFor(() => wsBindings().length > 0 && wsBindings(), 5000, 'a ws binding');
      assert.ok(proxy.drop(4000) >= 1, 'the page’s SIP WebSocket went through the proxy');
      const alert = page.locator('.phone .alert');
      await alert.waitFor({ timeout: 10_000 });
      assert.match((await alert.textContent()) ?? '', /Mất kết nối tới tổng đài/);
      assert.notEqual(await page.getAttribute('.phone', 'data-reg'), 'registered');
      // JsSIP retries (2 s, then backing off); the first attempts are refused while the outage lasts.
      await page.waitForSelector('.phone[data-reg=registered]', { timeout: 45_000 });
      assert.equal(await page.$('.phone .alert'), null, 'the error is gone once registered');
      await waitFor(() => wsBindings().some((p) => p !== port), 5000, 'a binding on the new connection');
    } finally {
      await proxy.close();
    }
  });
});
