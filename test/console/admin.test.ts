import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { io, type Socket } from 'socket.io-client';
import { systemClock } from '../../src/clock.js';
import { insertCallRecord } from '../../src/domain/call-history.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { insertRecording } from '../../src/domain/recording-links.js';
import { encodeWav } from '../../src/media/wav.js';
import { WEBHOOK_EVENT_TYPES } from '../../src/webhooks/events.js';
import { verify } from '../../src/webhooks/signing.js';
import { otherConsoleUser } from '../helpers/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { waitFor } from '../sip/helpers/peers.js';
import { chromiumMissing, launch, newPage, problemsOf, shot, signIn } from './browser.js';

const skip = await chromiumMissing();

/** Page problems, less the console lines Chromium writes for the 4xx answers these tests provoke on purpose. */
const realProblems = (page: Page) => problemsOf(page).filter((m) => !/status of 4\d\d/.test(m));

interface El {
  textContent: string | null;
  readyState?: number;
  duration?: number;
  error?: unknown;
}
declare const document: { querySelector(sel: string): El | null; querySelectorAll(sel: string): El[] };

const ADMIN_PASSWORD = 'admin-pass-123';
const AGENT_PASSWORD = 'agent-pass-123';
const OTHER_PASSWORD = 'other-admin-pass';

/** One second of a 440 Hz tone, 8 kHz mono PCM16. */
function toneWav(): Buffer {
  const pcm = new Int16Array(8000);
  for (let i = 0; i < pcm.length; i++) pcm[i] = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 8000));
  return encodeWav(pcm);
}

async function httpLogin(url: string, email: string, password: string) {
  const r = await call(`${url}/console/api/login`, { method: 'POST', body: { email, password } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: r.body.csrf as string };
}

/** A /console socket signed in with `cookie`; resolves once connected. */
function consoleSocket(url: string, cookie: string): Promise<Socket> {
  const socket = io(`${url}/console`, {
    transports: ['websocket'],
    extraHeaders: { cookie },
    reconnection: false,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });
}

/** Resolves with the events a socket saw once the server disconnects it. */
function serverDisconnect(socket: Socket): Promise<{ signedOut: boolean; reason: string }> {
  let signedOut = false;
  socket.on('signed_out', () => (signedOut = true));
  return new Promise((resolve) => socket.once('disconnect', (reason) => resolve({ signedOut, reason })));
}

/** English on, then the screenshot, then back to Vietnamese. */
async function shotBoth(page: Page, name: string, ready: string): Promise<void> {
  await page.waitForSelector(ready);
  await shot(page, name);
  // Dispatched on the button itself: a click at its position would land on an open dialog's backdrop.
  await page.locator('.lang button:has-text("EN")').dispatchEvent('click');
  await page.waitForSelector('html[lang=en]');
  await page.waitForSelector(ready);
  await shot(page, `${name}-en`);
  await page.locator('.lang button:has-text("VI")').dispatchEvent('click');
  await page.waitForSelector('html[lang=vi]');
}

describe('web console administration', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  let adminEmail: string;
  let agentEmail: string;
  let other: { tenantId: number; email: string };
  const hooks: { headers: IncomingHttpHeaders; body: string }[] = [];
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push({ headers: req.headers, body });
      res.writeHead(204).end();
    });
  });

  before(async () => {
    s = await startTestServer({ clock: systemClock });
    const { db } = s.t.ctx;
    adminEmail = s.demo.agents[2]!.email;
    agentEmail = s.demo.agents[1]!.email;
    await setConsolePassword(db, systemClock, s.demo.tenant_id, adminEmail, ADMIN_PASSWORD, 'admin');
    await setConsolePassword(db, systemClock, s.demo.tenant_id, agentEmail, AGENT_PASSWORD, 'agent');
    other = await otherConsoleUser(
      s,
      systemClock,
      { name: 'Other Admin', email: 'admin@other.example' },
      OTHER_PASSWORD,
      'admin',
    );
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
    receiver.close();
  });

  it('refuses every admin API to agents and supervisors (403) and serves it to admins', async () => {
    const queueId = (
      await call(`${s.url}/console/api/queues`, {
        headers: { cookie: (await httpLogin(s.url, adminEmail, ADMIN_PASSWORD)).cookie },
      })
    ).body.queues[0].queue_id as number;
    const writes: [string, string, unknown][] = [
      ['POST', '/agents', { name: 'X', email: 'x@example.com', role: 'agent' }],
      ['PATCH', `/agents/${s.demo.agents[0]!.agent_id}`, { name: 'Y' }],
      ['PUT', `/agents/${s.demo.agents[0]!.agent_id}/active`, { active: false }],
      ['POST', `/agents/${s.demo.agents[0]!.agent_id}/sip-password`, undefined],
      ['PATCH', `/queues/${queueId}`, { ring_timeout_sec: 30 }],
      ['POST', '/moh', { name: 'x', data_base64: 'AAAA' }],
      ['PUT', '/thresholds', { oldestWaitSec: { green: 1, amber: 2 } }],
      ['POST', '/statuses', { name: 'Nope' }],
      ['POST', '/teams', { name: 'Nope' }],
      ['POST', '/numbers', { number: '0281234', target_type: 'queue', target_id: queueId }],
      ['POST', '/trunks', { name: 't', host: 'example.com' }],
      ['POST', '/credentials/api-keys', { name: 'k', scopes: ['call'] }],
      ['POST', '/credentials/apps', undefined],
      ['POST', '/credentials/tokens', {}],
      ['POST', '/webhooks', { url: 'https://example.com/h', events: ['*'] }],
    ];
    const reads = ['/numbers', '/credentials', '/webhooks'];
    for (const [email, password, role] of [
      [agentEmail, AGENT_PASSWORD, 'agent'],
      [s.demo.console_email, s.demo.console_password, 'supervisor'],
    ] as const) {
      const { cookie, csrf } = await httpLogin(s.url, email, password);
      for (const p of [...reads, ...(role === 'agent' ? ['/teams', '/thresholds', '/moh'] : [])]) {
        const r = await call(`${s.url}/console/api${p}`, { headers: { cookie } });
        assert.equal(r.status, 403, `${role} GET ${p}`);
        assert.match(r.body.error.message, /needs the (admin|supervisor) role/);
      }
      for (const [method, p, body] of writes) {
        const r = await call(`${s.url}/console/api${p}`, {
          method,
          headers: { cookie, 'x-csrf-token': csrf },
          body,
        });
        assert.equal(r.status, 403, `${role} ${method} ${p}: ${JSON.stringify(r.body)}`);
      }
    }
    const { cookie } = await httpLogin(s.url, adminEmail, ADMIN_PASSWORD);
    for (const p of reads)
      assert.equal((await call(`${s.url}/console/api${p}`, { headers: { cookie } })).status, 200, p);
  });

  it("keeps another tenant's admin out of every row of the first tenant (404) and its lists empty", async () => {
    const mine = await httpLogin(s.url, adminEmail, ADMIN_PASSWORD);
    const key = await call(`${s.url}/console/api/credentials/api-keys`, {
      method: 'POST',
      headers: { cookie: mine.cookie, 'x-csrf-token': mine.csrf },
      body: { name: 'cross-tenant probe', scopes: ['call'] },
    });
    assert.equal(key.status, 201);
    const hook = await call(`${s.url}/console/api/webhooks`, {
      method: 'POST',
      headers: { cookie: mine.cookie, 'x-csrf-token': mine.csrf },
      body: { url: 'https://example.com/probe', events: ['*'] },
    });
    assert.equal(hook.status, 201, JSON.stringify(hook.body));
    const numbers = (await call(`${s.url}/console/api/numbers`, { headers: { cookie: mine.cookie } })).body;
    const theirs = await httpLogin(s.url, other.email, OTHER_PASSWORD);
    const h = { cookie: theirs.cookie, 'x-csrf-token': theirs.csrf };
    const list = await call(`${s.url}/console/api/numbers`, { headers: h });
    assert.deepEqual(list.body, { numbers: [], trunks: [] });
    const creds = await call(`${s.url}/console/api/credentials`, { headers: h });
    assert.deepEqual([creds.body.api_keys, creds.body.apps, creds.body.tokens], [[], [], []]);
    assert.deepEqual((await call(`${s.url}/console/api/webhooks`, { headers: h })).body.endpoints, []);
    const probes: [string, string, unknown][] = [
      ['DELETE', `/numbers/${numbers.numbers[0].id}`, undefined],
      ['DELETE', `/trunks/${numbers.trunks[0].id}`, undefined],
      ['DELETE', `/credentials/api-keys/${key.body.id}`, undefined],
      ['DELETE', `/webhooks/${hook.body.id}`, undefined],
      ['GET', `/webhooks/${hook.body.id}/deliveries`, undefined],
      ['PATCH', `/agents/${s.demo.agents[0]!.agent_id}`, { name: 'Hijacked' }],
      ['PUT', `/agents/${s.demo.agents[0]!.agent_id}/active`, { active: false }],
      ['PATCH', `/queues/${numbers.numbers[0].targetId}`, { ring_timeout_sec: 30 }],
    ];
    for (const [method, p, body] of probes) {
      const r = await call(`${s.url}/console/api${p}`, { method, headers: h, body });
      assert.equal(r.status, 404, `${method} ${p}: ${JSON.stringify(r.body)}`);
    }
    // The first tenant's key still works: nothing was revoked from outside.
    const still = await call(`${s.url}/v1/agents?size=1`, { headers: { Authorization: s.demo.api_key } });
    assert.equal(still.status, 200);
  });

  it('adds a status and a team from the statuses & teams screen; the wallboard filters by team', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/setup"]');
    await page.fill('.add-status input[name=name]', 'Đào tạo');
    await page.click('.add-status button[type=submit]');
    await page.waitForSelector('tr[data-status="Đào tạo"]');
    await page.fill('.add-team input[name=name]', 'Sales');
    await page.click('.add-team button[type=submit]');
    await page.waitForSelector('.team[data-team=Sales]');
    const minh = s.demo.agents[1]!;
    await page.selectOption('.team[data-team=Sales] select', String(minh.agent_id));
    await page.waitForFunction(() => document.querySelectorAll('.team[data-team=Sales] .tag').length === 1);
    const statuses = await page.evaluate(() =>
      fetch('/console/api/statuses').then((r) => r.json() as Promise<{ statuses: { name: string }[] }>),
    );
    assert.ok(statuses.statuses.some((x) => x.name === 'Đào tạo'));
    // A duplicate is refused with the domain's message.
    await page.fill('.add-status input[name=name]', 'đào tạo');
    await page.click('.add-status button[type=submit]');
    await page.waitForSelector('.statuses .alert');
    assert.match((await page.textContent('.statuses .alert'))!, /already exists/);
    await shotBoth(page, 'statuses-teams', '.team[data-team=Sales]');

    await page.click('a[href="#/wallboard"]');
    await page.waitForSelector('.agent-card');
    const all = await page.locator('.agent-card').count();
    const team = await page.evaluate(() =>
      fetch('/console/api/teams').then((r) => r.json() as Promise<{ teams: { team_id: number }[] }>),
    );
    await page.selectOption('.team-filter', String(team.teams[0]!.team_id));
    await page.waitForFunction(() => document.querySelectorAll('.agent-card').length === 1);
    assert.ok(all > 1);
    assert.equal(await page.getAttribute('.agent-card', 'data-agent'), String(minh.agent_id));
    assert.deepEqual(realProblems(page), []);
    await page.context().close();
  });

  it('counts missed offers per agent today and keeps per-tenant thresholds', async () => {
    const { db } = s.t.ctx;
    const lan = s.demo.agents[0]!;
    const now = Date.now();
    const row = (prev: string, next: string, at: number) => ({
      tenant_id: s.demo.tenant_id,
      agent_id: lan.agent_id,
      previous_status: prev,
      new_status: next,
      changed_by: 'acd',
      reason: null,
      created_at: at,
    });
    await db
      .insertInto('status_history')
      .values([
        row('Ringing', 'Available', now - 5000),
        row('Ringing', 'In-call', now - 4000),
        row('Ringing', 'Break', now - 3000),
        // Yesterday's miss is not today's.
        row('Ringing', 'Available', Math.floor(now / 86_400_000) * 86_400_000 - 1000),
      ])
      .execute();
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector(`.agent-card[data-agent="${lan.agent_id}"]`);
    assert.equal(await page.textContent(`.agent-card[data-agent="${lan.agent_id}"] [data-k=missed]`), '2');

    await page.click('.edit-thresholds');
    await page.fill('input[name=oldestWaitSec_green]', '10');
    await page.fill('input[name=oldestWaitSec_amber]', '5');
    await page.click('.thresholds button[type=submit]');
    await page.waitForSelector('.thresholds .alert');
    assert.match((await page.textContent('.thresholds .alert'))!, /amber must be at least green/);
    await page.fill('input[name=oldestWaitSec_amber]', '20');
    await page.fill('input[name=serviceLevelPct_green]', '90');
    await page.click('.thresholds button[type=submit]');
    await page.waitForSelector('.thresholds', { state: 'detached' });
    await page.reload();
    await page.waitForSelector('.tile');
    const th = await page.evaluate(() =>
      fetch('/console/api/wallboard').then(
        (r) => r.json() as Promise<{ thresholds: Record<string, { green: number; amber: number }> }>,
      ),
    );
    assert.deepEqual(
      [th.thresholds.oldestWaitSec, th.thresholds.serviceLevelPct, th.thresholds.abandonRatePct],
      [
        { green: 10, amber: 20, higherIsBetter: false },
        { green: 90, amber: 60, higherIsBetter: true },
        { green: 5, amber: 10, higherIsBetter: false },
      ],
    );
    // Another tenant keeps the defaults.
    const theirs = await httpLogin(s.url, other.email, OTHER_PASSWORD);
    const otherTh = await call(`${s.url}/console/api/thresholds`, { headers: { cookie: theirs.cookie } });
    assert.equal(otherTh.body.oldestWaitSec.green, 30);
    await shot(page, 'wallboard');
    await page.context().close();
  });

  it('invites an agent (secrets shown once), edits queues with priority, and deactivation ends sessions and sockets', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/agents"]');
    await page.click('button.invite');
    await page.fill('.modal input[name=name]', 'Đỗ Văn Hùng');
    await page.fill('.modal input[name=email]', 'hung@demo.tongdai.local');
    await page.fill('.modal input[name=password]', 'hung-pass-123');
    await page.check('.modal tr[data-queue] input[type=checkbox]');
    await shot(page, 'agent-invite');
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('.modal .shown-once');
    const secrets = await page.locator('.modal [data-secret]').allTextContents();
    assert.equal(secrets.length, 1, 'the chosen console password is not echoed; the SIP password is');
    assert.match(secrets[0]!, /^[A-Za-z0-9]{12}$/);
    await page.click('.modal .shown-once button.primary');
    const row = page.locator('tr', { hasText: 'Đỗ Văn Hùng' });
    await row.waitFor();
    const hungId = Number(await row.getAttribute('data-agent'));

    // The new agent signs in with the invite's password and holds a live socket.
    const hung = await httpLogin(s.url, 'hung@demo.tongdai.local', 'hung-pass-123');
    const socket = await consoleSocket(s.url, hung.cookie);
    const dropped = serverDisconnect(socket);

    await row.locator('button.edit').click();
    await page.fill('.modal tr[data-queue] input[type=number]', '5');
    await page.check('.modal input[name=recording]');
    await shotBoth(page, 'agent-edit', '.modal');
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('.modal', { state: 'detached' });
    const agents = await page.evaluate(() =>
      fetch('/console/api/agents').then(
        (r) =>
          r.json() as Promise<{ agents: { agent_id: number; memberships: unknown; recording: boolean }[] }>,
      ),
    );
    const h = agents.agents.find((a) => a.agent_id === hungId)!;
    assert.equal(h.recording, true);
    assert.deepEqual(h.memberships, [
      { queue_id: (h.memberships as { queue_id: number }[])[0]!.queue_id, priority: 5 },
    ]);

    await row.locator('button.edit').click();
    await page.click('.modal button.deactivate');
    await page.waitForSelector('.modal', { state: 'detached' });
    const gone = await dropped;
    assert.deepEqual(gone, { signedOut: true, reason: 'io server disconnect' });
    assert.equal(
      (await call(`${s.url}/console/api/session`, { headers: { cookie: hung.cookie } })).status,
      401,
    );
    const refused = await call(`${s.url}/console/api/login`, {
      method: 'POST',
      body: { email: 'hung@demo.tongdai.local', password: 'hung-pass-123' },
    });
    assert.equal(refused.status, 403);
    await page.waitForSelector(`tr[data-agent="${hungId}"].inactive`);
    await shotBoth(page, 'agents', `tr[data-agent="${hungId}"].inactive`);
    // An admin cannot lock themselves out.
    const me = await page.evaluate(() =>
      fetch('/console/api/session').then(
        (r) => r.json() as Promise<{ user: { agent_id: number }; csrf: string }>,
      ),
    );
    const self = await page.evaluate(
      ([id, csrf]) =>
        fetch(`/console/api/agents/${id}/active`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
          body: JSON.stringify({ active: false }),
        }).then((r) => r.status),
      [me.user.agent_id, me.csrf] as const,
    );
    assert.equal(self, 409);
    assert.deepEqual(realProblems(page), []);
    await page.context().close();
  });

  it("changes the user's own password: the page signs out and the user's other sockets disconnect", async () => {
    const other = await httpLogin(s.url, agentEmail, AGENT_PASSWORD);
    const socket = await consoleSocket(s.url, other.cookie);
    const dropped = serverDisconnect(socket);
    const page = await newPage(browser);
    await signIn(page, s.url, agentEmail, AGENT_PASSWORD);
    await page.waitForSelector('.password-form');
    await page.fill('input[name=current_password]', 'wrong-password');
    await page.fill('input[name=new_password]', 'agent-pass-456');
    await page.fill('input[name=repeat]', 'agent-pass-456');
    await page.click('.password-form button[type=submit]');
    await page.waitForSelector('.password-form .alert');
    assert.match((await page.textContent('.password-form .alert'))!, /current password is wrong/);
    await page.fill('input[name=current_password]', AGENT_PASSWORD);
    await page.click('.password-form button[type=submit]');
    await page.waitForSelector('form.login-card');
    assert.deepEqual(await dropped, { signedOut: true, reason: 'io server disconnect' });
    await httpLogin(s.url, agentEmail, 'agent-pass-456');
    await page.context().close();
  });

  it('edits a queue and uploads hold music from the queues screen', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/queues"]');
    await page.click('tr[data-queue] button.edit');
    await page.waitForSelector('.queue-form select[name=strategy]');
    const wav = join(s.env.TONGDAI_DATA!, 'upload-test.wav');
    writeFileSync(wav, toneWav());
    await page.setInputFiles('input[name=moh-file]', wav);
    await page.waitForFunction(
      () =>
        (document.querySelector('select[name=moh]') as El & { value?: string })?.value === 'upload-test.wav',
    );
    await page.selectOption('select[name=strategy]', 'round-robin');
    await page.fill('input[name=ring_timeout_sec]', '25');
    await page.fill('input[name=overflow]', '0901234567');
    await shotBoth(page, 'queue-edit', '.queue-form');
    // The typed values survive a re-render (the language switch above re-rendered the dialog).
    assert.equal(await page.inputValue('input[name=ring_timeout_sec]'), '25');
    await page.click('.queue-form button[type=submit]');
    await page.waitForSelector('.modal', { state: 'detached' });
    const q = (
      await page.evaluate(() =>
        fetch('/console/api/queues').then((r) => r.json() as Promise<{ queues: Record<string, unknown>[] }>),
      )
    ).queues[0]!;
    assert.deepEqual(
      [q.strategy, q.ring_timeout_sec, q.overflow, q.moh],
      ['round-robin', 25, '0901234567', 'upload-test.wav'],
    );
    const files = await s.t.ctx.db
      .selectFrom('media_files')
      .select(['name', 'duration_ms'])
      .where('name', '=', 'upload-test.wav')
      .execute();
    assert.deepEqual(files, [{ name: 'upload-test.wav', duration_ms: 1000 }]);
    // Not a WAV: the library's own message, not a 500.
    const bad = await page.evaluate(async () => {
      const { csrf } = (await fetch('/console/api/session').then((r) => r.json())) as { csrf: string };
      const r = await fetch('/console/api/moh', {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ name: 'bad', data_base64: 'aGVsbG8gd29ybGQ=' }),
      });
      return [r.status, ((await r.json()) as { error: { message: string } }).error.message] as const;
    });
    assert.equal(bad[0], 400);
    assert.match(bad[1], /not a usable WAV/);
    const short = await page.evaluate(async (id) => {
      const { csrf } = (await fetch('/console/api/session').then((r) => r.json())) as { csrf: string };
      const r = await fetch(`/console/api/queues/${id}`, {
        method: 'PATCH',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ ring_timeout_sec: 2 }),
      });
      return [r.status, ((await r.json()) as { error: { message: string } }).error.message] as const;
    }, q.queue_id as number);
    assert.deepEqual(short, [400, 'ring_timeout_sec must be an integer from 5 to 300']);
    await page.waitForSelector('tr[data-queue]');
    await shot(page, 'queues');
    await page.context().close();
  });

  it('adds a trunk and a number; refuses deleting a trunk in use', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/numbers"]');
    await page.fill('.add-trunk input[name=name]', 'Viettel SIP');
    await page.fill('.add-trunk input[name=host]', 'sip.viettel.example');
    await page.fill('.add-trunk input[name=allowed_ips]', '203.0.113.10, 203.0.113.11');
    await page.fill('.add-trunk input[name=username]', 'tongdai');
    await page.fill('.add-trunk input[name=password]', 'carrier-secret');
    await page.click('.add-trunk button[type=submit]');
    await page.waitForSelector('tr[data-trunk="Viettel SIP"]');
    await page.fill('.add-number input[name=number]', '02873001234');
    await page.selectOption('.add-number select[name=trunk]', { label: 'Viettel SIP' });
    await page.click('.add-number button[type=submit]');
    await page.waitForSelector('tr[data-number="02873001234"]');
    await page.locator('tr[data-trunk="Viettel SIP"] button.danger').click();
    await page.waitForSelector('.alert');
    assert.match((await page.textContent('.alert'))!, /carries 1 number/);
    const list = await page.evaluate(() => fetch('/console/api/numbers').then((r) => r.text()));
    assert.doesNotMatch(list, /carrier-secret/, 'trunk passwords never leave the store');
    await shotBoth(page, 'numbers-trunks', 'tr[data-number="02873001234"]');
    await page.context().close();
  });

  it('creates credentials shown once that work at once, and revokes them', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/credentials"]');
    await page.fill('.new-key input[name=name]', 'CRM');
    await page.click('.new-key button[type=submit]');
    await page.waitForSelector('.shown-once [data-secret]');
    const key = (await page.textContent('.shown-once [data-secret]'))!;
    assert.match(key, /^td_live_/);
    assert.equal((await call(`${s.url}/v1/agents?size=1`, { headers: { Authorization: key } })).status, 200);
    await shotBoth(page, 'credentials', '.shown-once');
    await page.click('.shown-once button.primary');
    assert.equal(await page.locator('[data-secret]').count(), 0, 'gone once dismissed');
    const listed = await page.evaluate(() => fetch('/console/api/credentials').then((r) => r.text()));
    assert.ok(!listed.includes(key), 'the list never holds the key');
    await page.locator('tr[data-key]', { hasText: 'CRM' }).locator('button.revoke').click();
    await page.waitForSelector('tr[data-key]:has-text("CRM") .tag.off');
    assert.equal((await call(`${s.url}/v1/agents?size=1`, { headers: { Authorization: key } })).status, 401);

    await page.click('.new-app');
    await page.waitForSelector('.shown-once [data-secret]');
    assert.equal(await page.locator('.shown-once [data-secret]').count(), 2);
    await page.click('.shown-once button.primary');
    const tokensBefore = await page.locator('tr[data-token]').count();
    await page.click('.new-token button[type=submit]');
    await page.waitForSelector('.shown-once [data-secret]');
    const token = (await page.textContent('.shown-once [data-secret]'))!;
    // The list re-reads after the secret is shown: take the newest row only once it is there (under load the
    // first row was still the previous token, which the test then revoked instead).
    await waitFor(
      async () => (await page.locator('tr[data-token]').count()) > tokensBefore,
      10_000,
      'the new token listed',
    );
    const tokenId = await page.getAttribute('tr[data-token]', 'data-token');
    await page.click(`tr[data-token="${tokenId}"] button.revoke`);
    await page.waitForSelector(`tr[data-token="${tokenId}"] .tag.off`);
    assert.equal(await s.t.ctx.credentials.verifyToken(token, 'bearer'), null);
    await page.context().close();
  });

  it('adds a webhook endpoint, sends a signed ping and lists the delivery', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/webhooks"]');
    // The screen offers what the webhook code delivers (its wire map), not a hand-kept list.
    await page.waitForSelector('.new-endpoint input[type=checkbox]');
    const offered = await page.$$eval('.new-endpoint input[type=checkbox]', (els) =>
      els.map((e) => (e as unknown as { name: string }).name.slice(3)),
    );
    const families = new Set(WEBHOOK_EVENT_TYPES.map((e) => `${e.split('.')[0]}.*`));
    assert.deepEqual(offered, ['*', ...families, ...WEBHOOK_EVENT_TYPES]);
    assert.ok(families.has('call.*') && families.has('agent.*') && families.has('callback.*'));
    assert.ok(offered.includes('call.dtmf') && !offered.includes('agent.changed'));
    const { port } = receiver.address() as AddressInfo;
    await page.fill('.new-endpoint input[name=url]', `http://127.0.0.1:${port}/hook`);
    await page.click('.new-endpoint button[type=submit]');
    await page.waitForSelector('.shown-once [data-secret]');
    const secret = (await page.textContent('.shown-once [data-secret]'))!;
    assert.match(secret, /^whsec_/);
    await page.click('.shown-once button.primary');
    await page
      .locator('tr[data-endpoint]', { hasText: `${port}/hook` })
      .locator('button.ping')
      .click();
    const got = await waitFor(() => hooks.find((x) => x.body.includes('"ping"')), 10_000, 'the ping');
    const h = got.headers;
    const signed = {
      id: String(h['webhook-id']),
      timestamp: String(h['webhook-timestamp']),
      signature: String(h['webhook-signature']),
    };
    assert.equal(verify(secret, signed, got.body, Math.floor(Date.now() / 1000)), true);
    await page.waitForSelector('tr[data-delivery] .tag.ok');
    assert.match((await page.textContent('tr[data-delivery]'))!, /HTTP 204/);
    await shotBoth(page, 'webhooks', 'tr[data-delivery] .tag.ok');
    // A private address is refused when the operator did not allow it: shown by the API's own message.
    await page.fill('.new-endpoint input[name=url]', 'ftp://example.com/x');
    await page.click('.new-endpoint button[type=submit]');
    await page.waitForSelector('.webhooks .alert');
    assert.match((await page.textContent('.webhooks .alert'))!, /must start with http/);
    await page.context().close();
  });

  it('plays a call recording in the page (signed link, range request, audio loads)', async () => {
    const { db } = s.t.ctx;
    const dir = join(s.env.TONGDAI_DATA!, 'recordings-test');
    mkdirSync(dir, { recursive: true });
    const wav = toneWav();
    writeFileSync(join(dir, 'rec-1.wav'), wav);
    const now = Date.now();
    const rec = await insertRecording(db, s.demo.tenant_id, {
      callId: 'rec-call-1',
      name: 'rec-call-1.wav',
      path: join(dir, 'rec-1.wav'),
      sizeBytes: wav.length,
      durationMs: 1000,
      at: now,
    });
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'rec-call-1',
      direction: 'inbound',
      callerNumber: '0909555666',
      calleeNumber: s.demo.hotline,
      didNumber: s.demo.hotline,
      queueId: null,
      agentId: s.demo.agents[0]!.agent_id,
      createdAt: now - 60_000,
      answeredAt: now - 55_000,
      endedAt: now - 54_000,
      durationSec: 6,
      billingSec: 1,
      hangupCause: 'NORMAL_CLEARING',
      statusDetail: 'SUCCESS',
      recordingId: rec.id,
    });
    const page = await newPage(browser);
    const media: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/recordings/')) media.push(r.status());
    });
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/calls"]');
    await page.click('tr[data-call="rec-call-1"] button');
    await page.waitForFunction(() => {
      const a = document.querySelector('.player audio');
      return !!a && (a.readyState ?? 0) >= 1 && Math.abs((a.duration ?? 0) - 1) < 0.05;
    });
    assert.equal(await page.evaluate(() => document.querySelector('.player audio')?.error ?? null), null);
    assert.ok(
      media.length > 0 && media.every((x) => x === 200 || x === 206),
      `media answers ${media.join(',')}`,
    );
    assert.ok(media.includes(206), 'the browser read the recording with a Range request');
    await shot(page, 'calls-playback');
    assert.deepEqual(realProblems(page), []);
    await page.context().close();
  });
});
