import { mkdtempSync, readFileSync } from 'node:fs';
import { type Server, Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { type Browser, type Page, chromium } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { parseWav } from '../../src/media/wav.js';
import { type TestServer, requireTool } from '../helpers/harness.js';
import { ABSENT, HEARD, TonePhone, toneAmplitude, writeToneWav } from '../media/tones.js';
import { freeMediaPort } from '../sip/helpers/agents.js';
import { type Peers, freeUdpPort, sleep, waitFor } from '../sip/helpers/peers.js';
import { chromiumMissing, newPage, signIn } from './browser.js';

/** What the browser-phone tests share (test/console/phone-*.test.ts): browsers with a tone microphone, sign-in. */

export const AGENT_PASSWORD = 'agent-pass-123';
/** Why the browser-phone suites skip on a laptop: they need sipp and Debian Chromium (false when both are here). */
export const phoneSkip = async (): Promise<string | false> =>
  (await requireTool('sipp')) || (await chromiumMissing());
/**
 * A browser's microphone tone heard at the far end: Chromium's capture processing (noise suppression, gain control)
 * takes the fake microphone's 8,000 down to ~1,000, so a quarter of HEARD.
 */
export const LOUD = HEARD / 4;

/**
 * A recording channel in 200 ms windows: `T` where `hz` is at least LOUD, `.` where it is ABSENT, `?` between (a
 * window straddling a change). Windowed, because one Goertzel over a whole call cancels itself wherever the
 * tone's phase jumps (a late frame, a hold), which a loaded machine makes common.
 */
export function toneTrace(pcm: Int16Array, hz: number): string {
  let trace = '';
  for (let i = 0; i + 1600 <= pcm.length; i += 1600) {
    const amp = toneAmplitude(pcm.subarray(i, i + 1600), hz);
    trace += amp >= LOUD ? 'T' : amp <= ABSENT ? '.' : '?';
  }
  return trace;
}

/** The channels of a call's recording once it is stored, as 16-bit samples (caller left, agent right). */
export async function storedRecording(s: TestServer, recordingId: number): Promise<Int16Array[]> {
  const file = await waitFor(
    async () => {
      const row = await s.t.ctx.db
        .selectFrom('recordings')
        .selectAll()
        .where('id', '=', recordingId)
        .executeTakeFirst();
      return row?.state === 'stored' ? row : null;
    },
    20_000,
    'recording stored',
  );
  const wav = parseWav(readFileSync(isAbsolute(file.path) ? file.path : join(s.config.dataDir, file.path)));
  return wav.channels.map((ch) => Int16Array.from(ch, (v) => Math.round(v * 32767)));
}
const FIXTURES = new URL('../media/fixtures/', import.meta.url).pathname;

/** What the page exposes for tests (web/screens/phone.js): the far end as heard, and the phone's state. */
export interface PhoneWindow {
  tongdaiPhone?: {
    remote?: { level: number; hz: number } | null;
    state?: { reg: string; call: string; held: boolean; muted: boolean; consult: string; mic: string | null };
  };
}

/**
 * Debian Chromium whose microphone is a WAV of `hz` (Chromium loops the file); `fakeUi` false leaves the permission
 * prompt real, which headless Chromium answers with a refusal unless the context grants the microphone.
 */
export async function phoneBrowser(hz: number, fakeUi = true): Promise<Browser> {
  const mic = writeToneWav(join(mkdtempSync(join(tmpdir(), 'td-phone-')), 'mic.wav'), hz, 30);
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--use-fake-device-for-media-stream',
      ...(fakeUi ? ['--use-fake-ui-for-media-stream'] : []),
      `--use-file-for-fake-audio-capture=${mic}`,
      '--autoplay-policy=no-user-gesture-required',
    ],
  });
}

/** Queue wrap-up off, so an agent is offered the next test's call as soon as the last one ended. */
export async function noWrapup(s: TestServer): Promise<void> {
  await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0 }).execute();
  await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
}

/** Agent `index` signed in on a new page of `browser` (at `url`, the server's by default), its phone registered. */
export async function agentPage(
  browser: Browser,
  s: TestServer,
  index: number,
  opts: { url?: string; grant?: boolean } = {},
): Promise<Page> {
  const agent = s.demo.agents[index]!;
  await setConsolePassword(s.t.ctx.db, systemClock, s.demo.tenant_id, agent.email, AGENT_PASSWORD, 'agent');
  const page = await newPage(browser);
  if (opts.grant ?? true) await page.context().grantPermissions(['microphone']);
  await signIn(page, opts.url ?? s.url, agent.email, AGENT_PASSWORD);
  await page.waitForSelector('.phone[data-reg=registered]', { timeout: 20_000 });
  return page;
}

/** Until the page hears tone `hz` from its far end (the analyser of what the <audio> element plays). */
export function hearsTone(page: Page, hz: number, timeout = 15_000): Promise<unknown> {
  return page.waitForFunction(
    (f) => {
      const r = (globalThis as unknown as PhoneWindow).tongdaiPhone?.remote;
      return !!r && r.level > 0.005 && Math.abs(r.hz - f) < 60;
    },
    hz,
    { timeout },
  );
}

/** The phone's state as the page exposes it. */
export const phoneState = (page: Page) =>
  page.evaluate(() => (globalThis as unknown as PhoneWindow).tongdaiPhone?.state);

/**
 * A carrier call from `caller` to the hotline whose audio is a test socket sending `hz` and keeping what it hears
 * (test/media/fixtures/tone-customer.xml): the customer's side of the call, measured.
 */
export async function toneCustomer(peers: Peers, s: TestServer, caller: string, hz: number) {
  const audio = await new TonePhone(hz, 'PCMA').open();
  audio.talkBack();
  const csv = peers.csv(`customer-${caller}.csv`, [[s.demo.hotline, caller]]);
  peers.sippRun(
    `127.0.0.1:${s.t.sipPort}`,
    [
      ...['-sf', FIXTURES + 'tone-customer.xml', '-inf', csv],
      ...['-p', String(await freeUdpPort()), '-mp', String(await freeMediaPort())],
      ...['-key', 'rtpport', String(audio.port), '-d', '120000', '-m', '1'],
    ],
    150_000,
  );
  return audio;
}

/**
 * The amplitude of each tone the customer heard, in 600 ms windows until `ok` holds (up to ~8 s: a loaded machine's
 * first packets can trail the signalling), then that last measurement.
 */
export async function customerHears(
  audio: TonePhone,
  tones: Record<string, number>,
  ok: (h: Record<string, number>) => boolean,
): Promise<Record<string, number>> {
  let h: Record<string, number> = {};
  for (let i = 0; i < 10; i++) {
    const from = performance.now() + 200;
    await sleep(800);
    h = audio.tonesSince(from, tones, performance.now());
    if (ok(h)) break;
  }
  return h;
}

export { toneAmplitude };

/**
 * A TCP proxy in front of the console (the page is loaded through it) that can drop the SIP WebSockets: `drop(ms)`
 * destroys every open `/sip` connection and refuses new ones for `ms`, as a network outage would; HTTP and
 * Socket.IO connections are left alone.
 */
export class SipDropProxy {
  private server: Server | null = null;
  private readonly sip = new Set<Socket>();
  private readonly all = new Set<Socket>();
  private downUntil = 0;
  url = '';

  constructor(private readonly target: number) {}

  async open(): Promise<this> {
    this.server = createServer((client) => {
      const upstream = new Socket();
      this.all.add(client);
      client.on('close', () => this.all.delete(client));
      let first = true;
      client.on('data', (chunk) => {
        if (first) {
          first = false;
          if (chunk.subarray(0, 9).toString() === 'GET /sip ') {
            if (Date.now() < this.downUntil) return client.destroy();
            this.sip.add(client);
            client.on('close', () => this.sip.delete(client));
          }
        }
        upstream.write(chunk);
      });
      upstream.connect(this.target, '127.0.0.1');
      upstream.on('data', (d: Buffer) => client.write(d));
      const end = () => (client.destroy(), upstream.destroy());
      upstream.on('close', end);
      client.on('close', end);
      upstream.on('error', end);
      client.on('error', end);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', () => r()));
    const addr = this.server.address();
    this.url = `http://127.0.0.1:${typeof addr === 'object' && addr ? addr.port : 0}`;
    return this;
  }

  /** Destroy the open SIP WebSockets (how many) and refuse new ones for `ms`. */
  drop(ms: number): number {
    this.downUntil = Date.now() + ms;
    const n = this.sip.size;
    for (const c of this.sip) c.destroy();
    return n;
  }

  close(): Promise<void> {
    for (const c of this.all) c.destroy();
    return new Promise((r) => (this.server ? this.server.close(() => r()) : r()));
  }
}
