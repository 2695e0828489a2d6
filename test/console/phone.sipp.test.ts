import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { createAgent } from '../../src/domain/agents.js';
import { updateTenantLimits } from '../../src/domain/tenants.js';
import type { Envelope } from '../../src/domain/events.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { closedCall, echoCarrier, startCustomer } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { newPage, problemsOf, shot, signIn } from './browser.js';
import { AGENT_PASSWORD, phoneBrowser, phoneSkip, storedRecording, toneTrace } from './phone-helpers.js';

/**
 * The workspace's browser phone in Debian Chromium (fake microphone, fake permission prompt): the agent signs in,
 * the phone registers over the SIP WebSocket with session-derived credentials, a sipp carrier call to the hotline
 * rings the page, the agent answers (media is WebRTC to tongdai: ICE, DTLS-SRTP, G.711), holds, resumes, sends a
 * digit from the keypad, then hangs up; the recording's agent channel carries the page's microphone (Chromium's fake
 * capture playing a WAV of BROWSER_HZ), the record and events are a SIP phone's. Then the page dials out through
 * the demo trunk to a sipp carrier that echoes the audio back.
 */
const skip = await phoneSkip();
const CALLER = '0909444555';
const OUT_NUMBER = '0901234567';
const BROWSER_HZ = 1000;

type Phone = { tongdaiPhone?: { remote?: { level: number; hz: number } | null } };

describe('browser phone in the agent workspace', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  let trunkPort: number;
  const peers = new Peers();
  const events: Envelope[] = [];
  /** The call's events, in order, as a Socket.IO or webhook subscriber gets them (the bus feeds both). */
  const eventsOf = (callId: string) =>
    events.filter((e) => (e.payload as { callId?: string }).callId === callId);

  before(async () => {
    trunkPort = await freeUdpPort();
    s = await startTestServer({
      clock: systemClock,
      env: { DEMO_TRUNK_PORT: String(trunkPort) },
      beforeListen: (t) => t.ctx.bus.subscribe((e) => void events.push(e)),
    });
    // Chromium loops a WAV of BROWSER_HZ as the microphone: a tone the recording and the carrier's echo can be checked for.
    browser = await phoneBrowser(BROWSER_HZ);
  });
  after(async () => {
    peers.killAll();
    await browser?.close();
    await s?.close();
  });

  it('registers on sign-in; a hotline call rings the page, is answered over WebRTC, recorded, keyed and hung up', async () => {
    const agent = s.demo.agents[0]!;
    const db = s.t.ctx.db;
    await setConsolePassword(db, systemClock, s.demo.tenant_id, agent.email, AGENT_PASSWORD, 'agent');
    await db.updateTable('agents').set({ recording_enabled: 1 }).where('id', '=', agent.agent_id).execute();
    await updateTenantLimits(db, s.demo.tenant_id, { recordingFormat: 'wav' }); // the stored file is the WAV
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

    const customer = await startCustomer(peers, s, 'customer-call.xml', 20_000, CALLER);
    await page.waitForSelector('.phone-banner', { timeout: 15_000 });
    assert.equal((await page.textContent('.phone-from'))?.trim(), CALLER);
    await shot(page, 'workspace-phone-ringing');
    await page.click('.phone-answer');
    await page.waitForSelector('.phone-call[data-state=confirmed]', { timeout: 15_000 });
    // The carrier's audio (sipp's G.711 pcap) reaches the page through tongdai's WebRTC leg: the page's analyser.
    await page.waitForFunction(
      () => ((globalThis as unknown as Phone).tongdaiPhone?.remote?.level ?? 0) > 0.005,
      undefined,
      { timeout: 10_000 },
    );
    // A keypad digit: RFC 4733 over SRTP from the browser's RTCDTMFSender, announced as the agent's call.dtmf.
    await page.click('.keypad button[data-key="5"]');
    const digit = await waitFor(
      () => events.find((e) => e.type === 'call.dtmf'),
      5000,
      'the keypad digit as call.dtmf',
    );
    assert.deepEqual(
      [(digit.payload as { leg: string }).leg, (digit.payload as { digit: string }).digit],
      ['agent', '5'],
    );
    // Hold and resume: the browser's re-INVITEs are answered from the same peer connection.
    await page.click('.phone-hold');
    await page.waitForSelector('.phone-hold:text("Tiếp tục")', { timeout: 10_000 });
    await page.click('.phone-hold');
    await page.waitForSelector('.phone-hold:text("Giữ máy")', { timeout: 10_000 });
    await new Promise((r) => setTimeout(r, 1500)); // the microphone's tone, recorded after the resume too
    await page.click('.phone-hangup');
    await page.waitForSelector('.phone-dial', { timeout: 10_000 });
    await customer.done;
    assert.deepEqual(problemsOf(page), []);

    // The call record, as for a desk phone: answered by the agent, hung up by the agent's side, durations.
    const rec = await closedCall(s, 'caller_number', CALLER);
    assert.equal(rec.direction, 'inbound');
    assert.equal(rec.agent_id, agent.agent_id);
    assert.ok(rec.answered_at, 'answered');
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
    assert.equal(rec.hangup_by, 'callee');
    assert.ok(
      (rec.billing_sec ?? 0) >= 2 && (rec.duration_sec ?? 0) >= (rec.billing_sec ?? 0),
      `${rec.duration_sec}/${rec.billing_sec}`,
    );
    const mine = eventsOf(rec.call_id);
    assert.deepEqual(
      mine.map((e) => e.type).filter((t) => t !== 'call.dtmf' && !t.startsWith('recording.')),
      ['call.created', 'call.answered', 'call.ended'],
    );
    const ended = mine.find((e) => e.type === 'call.ended')!.payload as {
      agentId: number;
      hangupCause: string;
      durationSec: number;
    };
    assert.deepEqual([ended.agentId, ended.hangupCause], [agent.agent_id, 'NORMAL_CLEARING']);
    assert.equal(ended.durationSec, rec.duration_sec);

    // The recording: caller left, agent right; the agent channel carries the browser's microphone tone.
    assert.ok(rec.recording_id, 'the call record points at its recording');
    const [caller, agentChannel] = await storedRecording(s, rec.recording_id);
    const agentSide = toneTrace(agentChannel!, BROWSER_HZ);
    const callerSide = toneTrace(caller!, BROWSER_HZ);
    const toneSpan = (trace: string) => trace.split('').filter((w) => w === 'T').length;
    assert.ok(
      toneSpan(agentSide) >= 5,
      `the browser's tone on the agent channel (200 ms windows): ${agentSide}`,
    );
    assert.equal(toneSpan(callerSide), 0, `not on the caller's channel: ${callerSide}`);
    await page.close();
  });

  it('dials out from the dial box through the trunk; the carrier answers and echoes the browser back', async () => {
    const agent = s.demo.agents[0]!;
    const carrier = await echoCarrier(peers, s, trunkPort, { pauseMs: 200 });
    const page = await newPage(browser);
    await page.context().grantPermissions(['microphone']);
    await signIn(page, s.url, agent.email, AGENT_PASSWORD);
    await page.waitForSelector('.phone[data-reg=registered]', { timeout: 20_000 });
    await page.fill('.phone-dial input[name=number]', OUT_NUMBER);
    await page.click('.phone-dial button[type=submit]');
    await page.waitForSelector('.phone-call[data-state=confirmed]', { timeout: 15_000 });
    // Both ways: the page's microphone tone goes to the carrier, whose RTP echo comes back to the page.
    await page.waitForFunction(
      (hz) => {
        const r = (globalThis as unknown as Phone).tongdaiPhone?.remote;
        return !!r && r.level > 0.005 && Math.abs(r.hz - hz) < 60;
      },
      BROWSER_HZ,
      { timeout: 10_000 },
    );
    await page.click('.phone-hangup');
    await page.waitForSelector('.phone-dial', { timeout: 10_000 });
    const c = await carrier.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500));
    const rec = await closedCall(s, 'callee_number', OUT_NUMBER);
    assert.equal(rec.direction, 'outbound');
    assert.equal(rec.caller_number, s.demo.hotline);
    assert.equal(rec.status_detail, 'SUCCESS');
    assert.equal(rec.hangup_by, 'caller');
    assert.deepEqual(problemsOf(page), []);
    await page.close();
  });

  it('a second tenant’s agent, signed in on its own page, cannot register as the first tenant’s agent', async () => {
    const mine = s.demo.agents[0]!;
    const { db, clock, box } = s.t.ctx;
    const bindingsOfMine = () =>
      s.t.telephony.sip.location
        .lookup(s.demo.tenant_id, mine.agent_id)
        .map((b) => b.contact)
        .sort();
    const other = await otherTenant(s, { statuses: true });
    // The same extension as the first tenant's agent: only the tenant tells them apart.
    const { agent } = await createAgent(db, clock, box, other.tenantId, {
      name: 'Other Agent',
      email: 'phone-agent@other.example',
      phone: '0988000222',
      extension: mine.extension,
      createdBy: 'test',
    });
    await setConsolePassword(db, clock, other.tenantId, agent.email, AGENT_PASSWORD, 'agent');
    const page = await newPage(browser);
    await page.context().grantPermissions(['microphone']);
    await signIn(page, s.url, agent.email, AGENT_PASSWORD);
    await page.waitForSelector('.phone[data-reg=registered]', { timeout: 20_000 });
    assert.ok(
      s.t.telephony.sip.location.lookup(other.tenantId, agent.id).length > 0,
      'bound in its own tenant',
    );
    // The page's own session credentials (same extension), aimed at the first tenant's SIP domain.
    const before = bindingsOfMine();
    const outcome = await page.evaluate(
      async ({ domain, urls }) => {
        const { api } = (await import(urls.api)) as {
          api: (
            p: string,
            o: object,
          ) => Promise<{ extension: string; authorization_user: string; password: string }>;
        };
        const c = await api('/phone/credentials', { method: 'POST', body: {} });
        const JsSIP = (await import(urls.jssip)).default as {
          UA: new (o: object) => {
            on: (e: string, f: (x: { cause?: string; response?: { status_code: number } }) => void) => void;
            start: () => void;
            stop: () => void;
          };
          WebSocketInterface: new (url: string) => object;
        };
        const ua = new JsSIP.UA({
          sockets: [new JsSIP.WebSocketInterface(urls.ws)],
          uri: `sip:${c.extension}@${domain}`,
          authorization_user: c.authorization_user,
          password: c.password,
          register: true,
        });
        return new Promise<string>((resolve) => {
          ua.on('registered', () => (ua.stop(), resolve('registered')));
          ua.on(
            'registrationFailed',
            (e) => (ua.stop(), resolve(`failed ${e.response?.status_code ?? e.cause}`)),
          );
          ua.start();
        });
      },
      {
        domain: s.demo.sip_domain,
        urls: { api: '/app/api.js', jssip: '/vendor/jssip.mjs', ws: `${s.url.replace(/^http/, 'ws')}/sip` },
      },
    );
    assert.match(outcome, /^failed (401|403)/, outcome);
    assert.deepEqual(bindingsOfMine(), before, 'nothing new bound for the first tenant’s agent');
    await page.close();
  });
});
