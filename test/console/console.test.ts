import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { insertCallRecord } from '../../src/domain/call-history.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { otherConsoleUser } from '../helpers/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { signedQuery } from '../antbuddy/helpers.js';
import { chromiumMissing, launch, newPage, problemsOf, shot, signIn } from './browser.js';

const skip = await chromiumMissing();

// The page's globals, as the callbacks run inside Chromium see them.
interface El {
  textContent: string | null;
  querySelector(sel: string): El | null;
}
declare const document: { querySelector(sel: string): El | null };
interface Tile {
  queueId: number;
  offered: number;
  answered: number;
  abandoned: number;
  waiting: number;
}
interface WallboardBody {
  queues: Tile[];
  agents: { presence: string }[];
}
interface Listing {
  queues: unknown[];
  agents: { email: string }[];
  total: number;
}
const AGENT_PASSWORD = 'agent-pass-123';
const OTHER_PASSWORD = 'other-tenant-pass';

/** Sign in over HTTP: the session cookie and the CSRF token. */
async function httpLogin(url: string, email: string, password: string) {
  const r = await call(`${url}/console/api/login`, { method: 'POST', body: { email, password } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
  return { cookie, csrf: r.body.csrf as string, body: r.body };
}

describe('web console', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  let other: { tenantId: number; email: string };

  before(async () => {
    // Real time: sessions, lockouts and "time in status" are read against the clock the browser sees.
    s = await startTestServer({ clock: systemClock });
    const { db } = s.t.ctx;
    await setConsolePassword(
      db,
      systemClock,
      s.demo.tenant_id,
      s.demo.agents[1]!.email,
      AGENT_PASSWORD,
      'agent',
    );
    const now = Date.now();
    const queue = await db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', s.demo.tenant_id)
      .executeTakeFirstOrThrow();
    for (const [i, caller] of ['0909111222', '0912333444', '=HYPERLINK("x")'].entries()) {
      await insertCallRecord(db, s.demo.tenant_id, {
        callId: `seed-${i}`,
        direction: 'inbound',
        callerNumber: caller,
        calleeNumber: s.demo.hotline,
        didNumber: s.demo.hotline,
        queueId: queue.id,
        agentId: i === 0 ? s.demo.agents[0]!.agent_id : null,
        createdAt: now - (i + 1) * 60_000,
        answeredAt: i === 0 ? now - (i + 1) * 60_000 + 4000 : null,
        endedAt: now - (i + 1) * 60_000 + 30_000,
        durationSec: 30,
        billingSec: i === 0 ? 26 : 0,
        hangupCause: 'NORMAL_CLEARING',
        statusDetail: i === 0 ? 'SUCCESS' : 'CANCELLED',
      });
    }
    other = await otherConsoleUser(
      s,
      systemClock,
      { name: 'Other Supervisor', email: 'boss@other.example', phone: '0988000111' },
      OTHER_PASSWORD,
      'supervisor',
    );
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it('serves the page with a strict CSP and no CDN, under 150 KB gzipped on first load', async () => {
    const page = await newPage(browser);
    const sizes: { url: string; bytes: number }[] = [];
    page.on('response', async (r) => {
      const len = Number(
        r.headers()['content-length'] ?? (await r.body().catch(() => Buffer.alloc(0))).length,
      );
      sizes.push({ url: r.url(), bytes: len });
    });
    const res = await page.goto(s.url + '/');
    const csp = res!.headers()['content-security-policy']!;
    assert.match(csp, /script-src 'self' 'sha256-/);
    assert.match(csp, /object-src 'none'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    await page.waitForSelector('form.login-card');
    await page.waitForLoadState('networkidle');
    assert.ok(
      sizes.every((x) => x.url.startsWith(s.url)),
      'every request stays on the server',
    );
    const total = sizes.reduce((n, x) => n + x.bytes, 0);
    assert.ok(total < 150 * 1024, `first load ${total} bytes`);
    assert.equal(await page.textContent('button[type=submit]'), 'Đăng nhập', 'Vietnamese by default');
    await shot(page, 'login');
    assert.deepEqual(problemsOf(page), []);
    await page.context().close();
  });

  it('refuses a wrong password with a clear message, then locks the account after five', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, s.demo.console_email, 'not-the-password');
    await page.waitForSelector('.alert');
    assert.equal(await page.textContent('.alert'), 'Sai email hoặc mật khẩu.');
    await shot(page, 'login-error');
    const email = s.demo.agents[2]!.email;
    await setConsolePassword(s.t.ctx.db, systemClock, s.demo.tenant_id, email, 'right-password-1');
    for (let i = 0; i < 4; i++) {
      const r = await call(`${s.url}/console/api/login`, {
        method: 'POST',
        body: { email, password: `bad-${i}` },
      });
      assert.equal(r.status, 401);
    }
    const fifth = await call(`${s.url}/console/api/login`, {
      method: 'POST',
      body: { email, password: 'bad-4' },
    });
    assert.equal(fifth.status, 429);
    assert.match(fifth.body.error.message, /locked for 15 more minute/);
    assert.ok(Number(fifth.headers.get('retry-after')) > 800);
    // Locked means locked: the right password is refused too, and the page says why.
    await page.fill('input[name=email]', email);
    await page.fill('input[name=password]', 'right-password-1');
    await page.click('button[type=submit]');
    await page.waitForFunction(() => /khoá/.test(document.querySelector('.alert')?.textContent ?? ''));
    await page.context().close();
  });

  it('limits sign-in attempts per address on the default setting (10 per 10 s) with a clear message', async () => {
    const own = await startTestServer({ clock: systemClock, env: { CONSOLE_LOGIN_PER_10S: '10' } });
    try {
      const codes: number[] = [];
      for (let i = 0; i < 21; i++) {
        const r = await call(`${own.url}/console/api/login`, {
          method: 'POST',
          body: { email: `nobody-${i}@example.com`, password: 'x' },
        });
        codes.push(r.status);
        if (r.status === 429) {
          assert.match(r.body.error.message, /Too many sign-in attempts from this address: wait \d+ s\./);
          break;
        }
      }
      // 21 quick attempts span at most two fixed windows, so one of them sees an 11th attempt and answers 429.
      assert.ok(codes.includes(429), JSON.stringify(codes));
      assert.ok(codes.filter((c) => c === 401).length >= 1);
    } finally {
      await own.close();
    }
  });

  it('signs the supervisor in to the wallboard; figures match the AntBuddy dashboard', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, s.demo.console_email, s.demo.console_password);
    await page.waitForSelector('.tile[data-queue]');
    await page.waitForSelector('.live-dot.up');
    const cookie = (await page.context().cookies()).find((c) => c.name === 'td_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    const { app_id: id, app_secret: secret, sip_domain: domain, console_email: email } = s.demo;
    const qs = signedQuery({ appId: id, domain, email }, [id, domain, email], secret);
    const dash = await call(`${s.url}/oapi/v1/call/dashboard?${qs}`);
    assert.equal(dash.status, 200, JSON.stringify(dash.body));
    const wall = await page.evaluate(() =>
      fetch('/console/api/wallboard').then((r) => r.json() as Promise<WallboardBody>),
    );
    const q = dash.body.queue.status_details[0];
    const tile = wall.queues[0]!;
    assert.deepEqual(
      [tile.queueId, tile.offered, tile.answered, tile.abandoned, tile.waiting],
      [q.queue_id, q.offered, q.handled, q.abandoned, q.waiting],
    );
    assert.deepEqual([tile.offered, tile.answered, tile.abandoned], [3, 1, 2]);
    assert.equal(
      dash.body.agent.logged_out,
      wall.agents.filter((a: { presence: string }) => a.presence === 'offline').length,
    );
    assert.equal(await page.textContent('.tile [data-k=offered]'), String(tile.offered));
    assert.equal(await page.textContent('.tile [data-k=cb-offered]'), '0', 'no callback requested today');
    await shot(page, 'wallboard');
    await page.click('.tv-toggle');
    await page.setViewportSize({ width: 1920, height: 1080 });
    await page.waitForSelector('.shell.tv');
    await shot(page, 'wallboard-tv');
    await page.click('.tv-toggle');
    await page.setViewportSize({ width: 1440, height: 900 });
    assert.deepEqual(problemsOf(page), []);
    await page.context().close();
  });

  it("changes an agent's status from the agents screen and the AloHub API agrees", async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, s.demo.console_email, s.demo.console_password);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/agents"]');
    const minh = s.demo.agents[1]!;
    const row = `tr[data-agent="${minh.agent_id}"]`;
    await page.waitForSelector(row);
    await page.selectOption(`${row} select`, 'Available');
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.querySelector('.dot-inline.s-ready'),
      row,
    );
    const list = await call(`${s.url}/v1/agents?size=100`, { headers: { Authorization: s.demo.api_key } });
    const a = list.body.data.find((x: { agentId: string }) => x.agentId === minh.extension);
    assert.deepEqual([a.systemStatus, a.userStatus], ['AVAILABLE', 'AVAILABLE']);
    await shot(page, 'agents');
    // Queue membership off, then force logout.
    // A click, not uncheck(): a live re-render may land between the click and the PUT's answer.
    await page.click(`${row} input[type=checkbox]`);
    await page.waitForFunction(async () => {
      const r = await fetch('/console/api/agents').then(
        (x) => x.json() as Promise<{ agents: { queue_ids: number[]; extension: string }[] }>,
      );
      return r.agents.some(
        (x: { queue_ids: number[]; extension: string }) => x.extension === '1002' && x.queue_ids.length === 0,
      );
    });
    await page.click(`${row} button.danger`);
    await page.waitForFunction(
      (sel) => document.querySelector(sel)?.querySelector('.dot-inline.s-offline'),
      row,
    );
    const after = await call(`${s.url}/v1/agents?size=100`, { headers: { Authorization: s.demo.api_key } });
    assert.equal(
      after.body.data.find((x: { agentId: string }) => x.agentId === minh.extension).userStatus,
      'LOGOUT',
    );
    await page.click('a[href="#/queues"]');
    await page.waitForSelector('tr[data-queue]');
    await shot(page, 'queues');
    await page.context().close();
  });

  it('searches call history by number and exports the filtered list as CSV', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, s.demo.console_email, s.demo.console_password);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/calls"]');
    await page.waitForSelector('tr[data-call]');
    assert.equal(await page.textContent('[data-k=total]'), '3');
    await shot(page, 'calls');
    await page.fill('input[name=number]', '0909111');
    await page.click('form.filters button[type=submit]');
    await page.waitForFunction(() => document.querySelector('[data-k=total]')?.textContent === '1');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('a[download]')]);
    const chunks: Buffer[] = [];
    for await (const c of (await download.createReadStream())!) chunks.push(c as Buffer);
    const lines = Buffer.concat(chunks)
      .toString('utf8')
      .replace(/^\ufeff/, '')
      .trim()
      .split('\r\n');
    assert.equal(lines.length, 2);
    assert.match(lines[1]!, /^seed-0,inbound,0909111222,/);
    // Unfiltered, a formula-looking caller id is neutralised for spreadsheets.
    const all = await page.evaluate(() => fetch('/console/api/calls.csv').then((r) => r.text()));
    assert.match(all, /,"'=HYPERLINK\(""x""\)",/);
    await page.context().close();
  });

  it("gives an agent login its own workspace and 403 on the supervisor's APIs", async () => {
    const agent = s.demo.agents[1]!;
    const { cookie, csrf } = await httpLogin(s.url, agent.email, AGENT_PASSWORD);
    for (const path of ['/wallboard', '/agents', '/queues', '/calls', '/calls.csv']) {
      const r = await call(`${s.url}/console/api${path}`, { headers: { cookie } });
      assert.equal(r.status, 403, path);
    }
    const write = await call(`${s.url}/console/api/agents/${s.demo.agents[0]!.agent_id}/logout`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf },
    });
    assert.equal(write.status, 403);
    const page = await newPage(browser);
    await signIn(page, s.url, agent.email, AGENT_PASSWORD);
    await page.waitForSelector('.workspace');
    assert.equal(await page.locator('nav a').count(), 1, 'an agent sees only the workspace');
    await page.selectOption('.me-status select', 'Available');
    await page.waitForSelector('.me.s-ready');
    await shot(page, 'workspace');
    await page.context().close();
  });

  it('refuses writes without the CSRF token or from another origin, and ends sessions on password change', async () => {
    const { cookie, csrf } = await httpLogin(s.url, s.demo.console_email, s.demo.console_password);
    const target = `${s.url}/console/api/agents/${s.demo.agents[0]!.agent_id}/status`;
    const noToken = await call(target, {
      method: 'POST',
      headers: { cookie },
      body: { status: 'Available' },
    });
    assert.equal(noToken.status, 403);
    const cross = await call(target, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf, origin: 'https://evil.example' },
      body: { status: 'Available' },
    });
    assert.equal(cross.status, 403);
    const ok = await call(target, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrf },
      body: { status: 'Available' },
    });
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    const email = s.demo.agents[1]!.email;
    const agent = await httpLogin(s.url, email, AGENT_PASSWORD);
    await setConsolePassword(s.t.ctx.db, systemClock, s.demo.tenant_id, email, 'a-new-password');
    const gone = await call(`${s.url}/console/api/session`, { headers: { cookie: agent.cookie } });
    assert.equal(gone.status, 401);
  });

  it("shows a second tenant's supervisor none of the first tenant's data", async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, other.email, OTHER_PASSWORD);
    await page.waitForSelector('.wallboard');
    const [wall, agents, calls] = (await page.evaluate(() =>
      Promise.all(
        ['/wallboard', '/agents', '/calls'].map((p) =>
          fetch(`/console/api${p}`).then((r) => r.json() as Promise<Listing>),
        ),
      ),
    )) as Listing[];
    assert.deepEqual(wall!.queues, []);
    assert.deepEqual(
      agents!.agents.map((a) => a.email),
      ['boss@other.example'],
    );
    assert.equal(calls!.total, 0);
    const foreign = await page.evaluate(
      (id) => fetch(`/console/api/calls/seed-0/recording`).then((r) => r.status + ':' + id),
      s.demo.agents[0]!.agent_id,
    );
    assert.match(foreign, /^404:/);
    await page.context().close();
  });
});
