import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { addNumber } from '../../src/domain/console-numbers.js';
import { otherConsoleUser } from '../helpers/tenants.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { SCREENSHOTS, chromiumMissing, launch, newPage, problemsOf, signIn } from './browser.js';

const skip = await chromiumMissing();
const ADMIN_PASSWORD = 'admin-pass-123';
const AGENT_PASSWORD = 'agent-pass-123';
const OTHER_PASSWORD = 'other-admin-pass';
const SECOND_NUMBER = '02873001235';

/** Page problems, less the console lines Chromium writes for the 4xx answers these tests provoke on purpose. */
const realProblems = (page: Page) => problemsOf(page).filter((m) => !/status of 4\d\d/.test(m));

declare const document: { documentElement: { scrollHeight: number } };

/**
 * The whole editor (taller than a laptop screen): the viewport grows to the page's height for the picture, so the
 * layout is the one a tall screen shows, then goes back to 1440×900. Vietnamese, then English.
 */
async function tallShot(page: Page, name: string): Promise<void> {
  const size = page.viewportSize()!;
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  await page.setViewportSize({ width: size.width, height: Math.max(size.height, height) });
  await page.screenshot({ path: `${SCREENSHOTS}${name}.png` });
  await page.setViewportSize(size);
}

async function shotBoth(page: Page, name: string, ready: string): Promise<void> {
  await page.waitForSelector(ready);
  await tallShot(page, name);
  await page.locator('.lang button:has-text("EN")').dispatchEvent('click');
  await page.waitForSelector('html[lang=en]');
  await page.waitForSelector(ready);
  await tallShot(page, `${name}-en`);
  await page.locator('.lang button:has-text("VI")').dispatchEvent('click');
  await page.waitForSelector('html[lang=vi]');
}

async function httpLogin(url: string, email: string, password: string) {
  const r = await call(`${url}/console/api/login`, { method: 'POST', body: { email, password } });
  assert.equal(r.status, 200, JSON.stringify(r.body));
  return { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: r.body.csrf as string };
}

describe('console: IVR flow editor', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  let adminEmail: string;
  let queueId: number;
  let other: { tenantId: number; email: string };
  const native = (path: string, init: { method?: string; body?: unknown } = {}) =>
    call(`${s.url}${path}`, { ...init, headers: { 'x-api-key': s.demo.api_key } });

  before(async () => {
    s = await startTestServer({ clock: systemClock });
    const { db } = s.t.ctx;
    const tenantId = s.demo.tenant_id;
    adminEmail = s.demo.agents[2]!.email;
    await setConsolePassword(db, systemClock, tenantId, adminEmail, ADMIN_PASSWORD, 'admin');
    await setConsolePassword(db, systemClock, tenantId, s.demo.agents[1]!.email, AGENT_PASSWORD, 'agent');
    const numbers = await call(`${s.url}/console/api/numbers`, {
      headers: { cookie: (await httpLogin(s.url, adminEmail, ADMIN_PASSWORD)).cookie },
    });
    queueId = numbers.body.numbers[0].targetId as number;
    await addNumber(db, systemClock, tenantId, {
      number: SECOND_NUMBER,
      targetType: 'queue',
      targetId: queueId,
    });
    other = await otherConsoleUser(
      s,
      systemClock,
      { name: 'Other Admin', email: 'admin@other.example' },
      OTHER_PASSWORD,
      'admin',
    );
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it('builds a flow in the form, shows a bad entry at its path, saves v1 then v2, routes a number to it', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/flows"]');
    await page.waitForSelector('.flows .empty');
    await page.click('.new-flow');
    await page.fill('.editor-head input[name=name]', 'Tổng đài chính');
    const field = (path: string) => page.locator(`[data-field="${path}"]`);
    const opt = (d: string, k: string) => field(`/nodes/main/options/${d}/${k}`);
    // The starter menu: key 1 to the first queue. Add keys 2–7, one destination of each kind.
    const agent = s.demo.agents[1]!;
    const kinds: [string, string][] = [
      ['2', 'agent'],
      ['3', 'external'],
      ['4', 'callback'],
      ['5', 'voicemail'],
      ['6', 'goto'],
      ['7', 'extension'],
    ];
    for (const [digit, kind] of kinds) {
      await page.click('[data-node=main] .add-option');
      await opt(digit, 'type').selectOption(kind);
    }
    await opt('2', 'agentId').selectOption(String(agent.agent_id));
    await opt('3', 'number').fill('0901234567');
    await opt('5', 'mailbox').fill('sales');
    await opt('5', 'maxSec').fill('90');
    await opt('7', 'extension').fill(agent.extension);
    await opt('1', 'prompt').fill('please-hold');
    await field('/nodes/main/prompt').fill('welcome press 1 for sales press 2 for support');
    await field('/nodes/main/timeoutSec').fill('4');
    await field('/nodes/main/maxRetries').fill('1');
    // Key 6 made a sub-menu (menu2): give it a key back to the main menu.
    await page.waitForSelector('[data-node=menu2]');
    await page.click('[data-node=menu2] .add-option');
    await field('/nodes/menu2/options/1/type').selectOption('goto');
    await field('/nodes/menu2/options/1/node').selectOption('main');
    // Opening hours in front of the menu, with a Saturday range that ends before it starts.
    await page.click('.add-hours');
    await field('/nodes/hours/weekly/mon').fill('08:00-12:00, 13:30-17:30');
    await field('/nodes/hours/weekly/sat').fill('17:00-08:00');
    await field('/nodes/hours/holidays').fill('2026-09-02\n2027-01-01');
    await field('/timezone').fill('Asia/Bangkok');
    await page.click('.has-holiday');
    await field('/nodes/hours/holiday/type').selectOption('voicemail');
    await page.click('.save');

    const bad = page.locator('.field-error[data-path="/nodes/hours/weekly/sat/0"]');
    await bad.waitFor();
    assert.equal(await bad.textContent(), '/nodes/hours/weekly/sat/0: must end after it starts');
    // Shown next to the Saturday field itself, which is marked.
    assert.equal(
      await page.locator('label:has([data-field="/nodes/hours/weekly/sat"]) .field-error').count(),
      1,
    );
    assert.equal(await field('/nodes/hours/weekly/sat').getAttribute('class'), 'invalid');
    assert.match((await page.textContent('.alert .err-path'))!, /^\/nodes\/hours\/weekly\/sat\/0$/);
    await page.locator('[data-node=hours]').scrollIntoViewIfNeeded();
    await page.screenshot({ path: `${SCREENSHOTS}flow-error.png` });
    assert.deepEqual((await native('/api/ivr/flows')).body.flows, [], 'nothing saved');

    await field('/nodes/hours/weekly/sat').fill('08:00-12:00');
    await page.click('.save');
    await page.waitForSelector('.version-tag:has-text("v1")');
    assert.equal(await page.locator('.field-error').count(), 0);

    const list = (await native('/api/ivr/flows')).body.flows;
    assert.equal(list.length, 1);
    const id = list[0].id as number;
    const expected = {
      language: 'vi',
      timezone: 'Asia/Bangkok',
      start: 'hours',
      nodes: {
        main: {
          type: 'menu',
          prompt: ['welcome', 'press', '1', 'for', 'sales', 'press', '2', 'for', 'support'],
          options: {
            '1': { type: 'queue', queueId, prompt: ['please-hold'] },
            '2': { type: 'agent', agentId: agent.agent_id },
            '3': { type: 'external', number: '0901234567' },
            '4': { type: 'callback', queueId },
            '5': { type: 'voicemail', mailbox: 'sales', maxSec: 90 },
            '6': { type: 'goto', node: 'menu2' },
            '7': { type: 'extension', extension: agent.extension },
          },
          timeoutSec: 4,
          maxRetries: 1,
        },
        menu2: { type: 'menu', prompt: ['press'], options: { '1': { type: 'goto', node: 'main' } } },
        hours: {
          type: 'hours',
          weekly: {
            mon: ['08:00-12:00', '13:30-17:30'],
            tue: ['08:00-17:30'],
            wed: ['08:00-17:30'],
            thu: ['08:00-17:30'],
            fri: ['08:00-17:30'],
            sat: ['08:00-12:00'],
          },
          holidays: ['2026-09-02', '2027-01-01'],
          open: { type: 'goto', node: 'main' },
          closed: { type: 'hangup', prompt: ['closed'] },
          holiday: { type: 'voicemail', prompt: ['holiday'] },
        },
      },
    };
    const v1 = await native(`/api/ivr/flows/${id}`);
    assert.equal(v1.body.name, 'Tổng đài chính');
    assert.equal(v1.body.current_version, 1);
    assert.deepEqual(v1.body.flow, expected);

    // An edit is version 2; version 1 stays as it was.
    await field('/nodes/main/timeoutSec').fill('6');
    await field('/nodes/main/options/3/number').fill('0281234567');
    await page.click('.save');
    await page.waitForSelector('.version-tag:has-text("v2")');
    await page.waitForSelector('.notice');
    const v2 = await native(`/api/ivr/flows/${id}`);
    assert.equal(v2.body.current_version, 2);
    assert.equal(v2.body.flow.nodes.main.timeoutSec, 6);
    assert.deepEqual(v2.body.flow.nodes.main.options['3'], { type: 'external', number: '0281234567' });
    assert.deepEqual((await native(`/api/ivr/flows/${id}?version=1`)).body.flow, expected);

    // Route a number to it from the editor.
    await page.locator('.assign-number').selectOption(SECOND_NUMBER);
    await page.click('.flow-numbers .assign');
    await page.waitForSelector(`.flow-numbers [data-number="${SECOND_NUMBER}"]`);
    assert.deepEqual((await native(`/api/ivr/flows/${id}`)).body.numbers, [SECOND_NUMBER]);
    await shotBoth(page, 'flow-editor', `.flow-numbers [data-number="${SECOND_NUMBER}"]`);

    await page.click('.tab-versions');
    await page.waitForSelector('.versions tr[data-version="1"]');
    assert.equal(await page.locator('.versions tbody tr').count(), 2);
    await page.click('.versions tr[data-version="1"] .view');
    await page.waitForSelector('.version-doc pre');
    assert.deepEqual(JSON.parse((await page.textContent('.version-doc pre'))!), expected);
    await shotBoth(page, 'flow-versions', '.version-doc pre');

    // The JSON tab holds the same document and edits what the form does not show.
    await page.click('.tab-json');
    const text = await page.inputValue('.json-edit');
    assert.deepEqual(JSON.parse(text), v2.body.flow);
    // A skill the tenant does not have: the form shows it at the branch's type (the branch has no skill field).
    const withSkill = JSON.parse(text);
    withSkill.nodes.main.options['1'].skills = [{ skillId: 999, minProficiency: 3 }];
    await page.fill('.json-edit', JSON.stringify(withSkill, null, 2));
    await page.click('.save');
    await page.waitForSelector('.alert .err-path');
    await page.click('.tab-form');
    const skillErr = page.locator(
      '[data-action="/nodes/main/options/1"] .field-error[data-path="/nodes/main/options/1/skills/0/skillId"]',
    );
    await skillErr.waitFor();
    assert.match((await skillErr.textContent())!, /no skill 999 in this tenant/);
    assert.equal((await native(`/api/ivr/flows/${id}`)).body.current_version, 2);
    await page.click('.tab-json');
    const withError = { ...JSON.parse(text), onError: { type: 'hangup', prompt: ['error'] } };
    await page.fill('.json-edit', JSON.stringify(withError, null, 2));
    await page.click('.save');
    await page.waitForSelector('.version-tag:has-text("v3")');
    assert.deepEqual((await native(`/api/ivr/flows/${id}`)).body.flow.onError, withError.onError);

    // The list (with a second flow saved twice through the API) and the numbers screen show where numbers go.
    const night = {
      start: 'closed',
      nodes: { closed: { type: 'play', prompt: ['closed'], next: { type: 'voicemail' } } },
    };
    const n = await native('/api/ivr/flows', { method: 'POST', body: { name: 'Ngoài giờ', flow: night } });
    await native(`/api/ivr/flows/${n.body.id}`, {
      method: 'PUT',
      body: { flow: { ...night, language: 'en' } },
    });
    await page.click('.back');
    await page.waitForSelector('tr[data-flow="Tổng đài chính"]');
    assert.match((await page.textContent('tr[data-flow="Tổng đài chính"]'))!, /v3.*02873001235/);
    assert.match((await page.textContent('tr[data-flow="Ngoài giờ"]'))!, /v2/);
    await shotBoth(page, 'flows', 'tr[data-flow="Tổng đài chính"]');
    // A flow a number points to cannot be deleted; the server's reason is shown.
    await page.click('tr[data-flow="Tổng đài chính"] .delete');
    await page.waitForSelector('.flows .alert');
    assert.match((await page.textContent('.flows .alert'))!, /is used by 02873001235/);
    await page.click('a[href="#/numbers"]');
    await page.waitForSelector(`tr[data-number="${SECOND_NUMBER}"]`);
    assert.equal(
      (await page.textContent(`tr[data-number="${SECOND_NUMBER}"] td:nth-child(2)`))!.trim(),
      'Kịch bản: Tổng đài chính',
    );
    assert.deepEqual(realProblems(page), []);
    await page.context().close();
  });

  it('deletes a flow no number uses from the list', async () => {
    const flow = { start: 'main', nodes: { main: { type: 'menu', prompt: ['welcome'], options: {} } } };
    const c = await native('/api/ivr/flows', { method: 'POST', body: { name: 'Tạm', flow } });
    assert.equal(c.status, 201, JSON.stringify(c.body));
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/flows"]');
    await page.click('tr[data-flow="Tạm"] .delete');
    await page.waitForSelector('tr[data-flow="Tạm"]', { state: 'detached' });
    assert.equal((await native(`/api/ivr/flows/${c.body.id}`)).status, 404);
    assert.deepEqual(realProblems(page), []);
    await page.context().close();
  });

  it('refuses agents (403), lets supervisors read but not write, and keeps other tenants out (404)', async () => {
    const flow = { start: 'main', nodes: { main: { type: 'menu', prompt: ['welcome'], options: {} } } };
    const c = await native('/api/ivr/flows', { method: 'POST', body: { name: 'Bảo mật', flow } });
    const id = c.body.id as number;
    const reads = ['/ivr/flows', `/ivr/flows/${id}`, `/ivr/flows/${id}/versions`, '/ivr/prompts'];
    const writes: [string, string, unknown][] = [
      ['POST', '/ivr/flows', { name: 'x', flow }],
      ['PUT', `/ivr/flows/${id}`, { flow }],
      ['DELETE', `/ivr/flows/${id}`, undefined],
      ['PUT', `/ivr/numbers/${SECOND_NUMBER}`, { flow_id: id }],
    ];
    const send = (who: { cookie: string; csrf: string }, method: string, p: string, body?: unknown) =>
      call(`${s.url}/console/api${p}`, {
        method,
        headers: { cookie: who.cookie, 'x-csrf-token': who.csrf },
        body,
      });

    const agent = await httpLogin(s.url, s.demo.agents[1]!.email, AGENT_PASSWORD);
    for (const p of reads) {
      const r = await send(agent, 'GET', p);
      assert.equal(r.status, 403, `agent GET ${p}`);
      assert.match(r.body.error.message, /needs the supervisor role/);
    }
    for (const [method, p, body] of writes)
      assert.equal((await send(agent, method, p, body)).status, 403, `agent ${method} ${p}`);

    const supervisor = await httpLogin(s.url, s.demo.console_email, s.demo.console_password);
    for (const p of reads)
      assert.equal((await send(supervisor, 'GET', p)).status, 200, `supervisor GET ${p}`);
    for (const [method, p, body] of writes) {
      const r = await send(supervisor, method, p, body);
      assert.equal(r.status, 403, `supervisor ${method} ${p}`);
      assert.match(r.body.error.message, /needs the admin role/);
    }

    const theirs = await httpLogin(s.url, other.email, OTHER_PASSWORD);
    assert.deepEqual((await send(theirs, 'GET', '/ivr/flows')).body.flows, []);
    for (const [method, p, body] of [['GET', `/ivr/flows/${id}`, undefined], ...writes.slice(1)] as const) {
      const r = await send(theirs, method, p, body);
      assert.equal(r.status, 404, `other tenant ${method} ${p}: ${JSON.stringify(r.body)}`);
    }

    // An admin's invalid flow is 400 with the JSON pointer, and no version is stored.
    const admin = await httpLogin(s.url, adminEmail, ADMIN_PASSWORD);
    const badFlow = structuredClone(flow) as Record<string, any>;
    badFlow.nodes.main.options['1'] = { type: 'queue', queueId: 0 };
    const bad = await send(admin, 'PUT', `/ivr/flows/${id}`, { flow: badFlow });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.path, '/nodes/main/options/1/queueId');
    assert.equal((await native(`/api/ivr/flows/${id}`)).body.current_version, 1);

    // A supervisor's page shows the flow read-only: no save, no number to route, the form disabled.
    const sup = await newPage(browser);
    await signIn(sup, s.url, s.demo.console_email, s.demo.console_password);
    await sup.waitForSelector('.tile');
    await sup.click('a[href="#/flows"]');
    assert.equal(await sup.locator('.new-flow').count(), 0);
    await sup.click('tr[data-flow="Bảo mật"] .edit');
    await sup.waitForSelector('fieldset.flow-body[disabled] [data-node=main]');
    assert.equal(await sup.locator('.save, .assign-number, .delete').count(), 0);
    assert.deepEqual(realProblems(sup), []);
    await sup.context().close();

    // The agent's browser has no flows entry, and the page does not offer it.
    const page = await newPage(browser);
    await signIn(page, s.url, s.demo.agents[1]!.email, AGENT_PASSWORD);
    await page.waitForSelector('.me-row');
    assert.equal(await page.locator('a[href="#/flows"]').count(), 0);
    await page.context().close();
  });
});
