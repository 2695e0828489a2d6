import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { chromium } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { startCustomer } from '../sip/helpers/agents.js';
import { Peers } from '../sip/helpers/peers.js';
import { chromiumMissing, newPage, problemsOf, shot, signIn } from './browser.js';

/**
 * The workspace's browser phone in Debian Chromium (fake microphone, fake permission prompt): the agent signs in,
 * the phone registers over the SIP WebSocket with session-derived credentials, a sipp carrier call to the hotline
 * rings the page, the agent answers (media is WebRTC to tongdai: ICE, DTLS-SRTP, G.711), then hangs up.
 */
const skip = (await requireTool('sipp')) || (await chromiumMissing());
const AGENT_PASSWORD = 'agent-pass-123';
const CALLER = '0909444555';

describe('browser phone in the agent workspace', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  const peers = new Peers();

  before(async () => {
    s = await startTestServer({ clock: systemClock });
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--use-fake-device-for-media-stream',
        '--use-fake-ui-for-media-stream',
        '--autoplay-policy=no-user-gesture-required',
      ],
    });
  });
  after(async () => {
    peers.killAll();
    await browser?.close();
    await s?.close();
  });

  it('registers on sign-in; a hotline call rings the page, is answered over WebRTC and hung up', async () => {
    const agent = s.demo.agents[0]!;
    await setConsolePassword(s.t.ctx.db, systemClock, s.demo.tenant_id, agent.email, AGENT_PASSWORD, 'agent');
    const page = await newPage(browser);
    await page.context().grantPermissions(['microphone']);
    await signIn(page, s.url, agent.email, AGENT_PASSWORD);
    await page.waitForSelector('.phone[data-reg=registered]', { timeout: 20_000 });
    const bindings = s.t.telephony.sip.location.lookup(s.demo.tenant_id, agent.agent_id);
    assert.ok(
      bindings.some((b) => b.remote.transport === 'ws'),
      'the browser is bound over its WebSocket',
    );
    await shot(page, 'workspace-phone');

    const customer = await startCustomer(peers, s, 'customer-call.xml', 6000, CALLER);
    await page.waitForSelector('.phone-banner', { timeout: 15_000 });
    assert.equal((await page.textContent('.phone-from'))?.trim(), CALLER);
    await shot(page, 'workspace-phone-ringing');
    await page.click('.phone-answer');
    await page.waitForSelector('.phone-call[data-state=confirmed]', { timeout: 15_000 });
    // The carrier's audio (sipp's G.711 pcap) reaches the page through tongdai's WebRTC leg: the page's analyser.
    await page.waitForFunction(
      () =>
        ((globalThis as unknown as { tongdaiPhone?: { remote?: { level: number } } }).tongdaiPhone?.remote
          ?.level ?? 0) > 0.005,
      undefined,
      { timeout: 10_000 },
    );
    // Hold and resume: the browser's re-INVITEs are answered from the same peer connection.
    await page.click('.phone-hold');
    await page.waitForSelector('.phone-hold:text("Tiếp tục")', { timeout: 10_000 });
    await page.click('.phone-hold');
    await page.waitForSelector('.phone-hold:text("Giữ máy")', { timeout: 10_000 });
    await page.click('.phone-hangup');
    await page.waitForSelector('.phone-dial', { timeout: 10_000 });
    await customer.done;
    assert.deepEqual(problemsOf(page), []);
  });
});
