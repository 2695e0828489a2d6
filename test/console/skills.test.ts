import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { createSkill, getAgentSkills, getQueueSkills } from '../../src/domain/skills.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { chromiumMissing, launch, newPage, problemsOf, signIn } from './browser.js';

const skip = await chromiumMissing();
const ADMIN_PASSWORD = 'admin-pass-123';
const AGENT_PASSWORD = 'agent-pass-123';

describe('console: skills in the agent and queue dialogs', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  let adminEmail: string;
  let billing: number;
  let english: number;
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    const { db } = s.t.ctx;
    adminEmail = s.demo.agents[2]!.email;
    await setConsolePassword(db, systemClock, s.demo.tenant_id, adminEmail, ADMIN_PASSWORD, 'admin');
    await setConsolePassword(
      db,
      systemClock,
      s.demo.tenant_id,
      s.demo.agents[1]!.email,
      AGENT_PASSWORD,
      'agent',
    );
    billing = (await createSkill(db, systemClock, s.demo.tenant_id, { name: 'Thanh toán' })).id;
    english = (await createSkill(db, systemClock, s.demo.tenant_id, { name: 'English' })).id;
    browser = await launch();
  });
  after(async () => {
    await browser?.close();
    await s?.close();
  });

  it("an admin sets an agent's proficiencies and a queue's requirement; the store has them", async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, adminEmail, ADMIN_PASSWORD);
    await page.waitForSelector('.tile');
    await page.click('a[href="#/agents"]');
    const agent = s.demo.agents[0]!;
    const row = page.locator(`tr[data-agent="${agent.agent_id}"]`);
    await row.locator('button.edit').click();
    await page.waitForSelector(`.modal fieldset.skills label[data-skill="${billing}"] select`);
    await page.selectOption(`.modal label[data-skill="${billing}"] select`, '4');
    await page.selectOption(`.modal label[data-skill="${english}"] select`, '2');
    await page.click('.modal button[type=submit]');
    await page.waitForSelector('.modal', { state: 'detached' });
    assert.deepEqual(
      (await getAgentSkills(s.t.ctx.db, s.demo.tenant_id, agent.agent_id)).map((x) => [
        x.skill_id,
        x.proficiency,
      ]),
      [
        [english, 2],
        [billing, 4],
      ],
    );

    await page.click('a[href="#/queues"]');
    await page.click('tr[data-queue] button.edit');
    await page.waitForSelector(`.queue-form tr[data-skill="${english}"] select`);
    await page.selectOption(`.queue-form tr[data-skill="${english}"] select`, '3');
    await page.fill(`.queue-form tr[data-skill="${english}"] input[type=number]`, '45');
    await page.dispatchEvent(`.queue-form tr[data-skill="${english}"] input[type=number]`, 'change');
    await page.click('.queue-form button[type=submit]');
    await page.waitForSelector('.modal', { state: 'detached' });
    const queueId = Number(await page.getAttribute('tr[data-queue]', 'data-queue'));
    assert.deepEqual(await getQueueSkills(s.t.ctx.db, s.demo.tenant_id, queueId), [
      {
        skill_id: english,
        name: 'English',
        min_proficiency: 3,
        relax: [{ after_sec: 45, min_proficiency: 0 }],
      },
    ]);
    // The labels speak the console's language (Vietnamese by default).
    await page.click('tr[data-queue] button.edit');
    await page.waitForSelector('.queue-form fieldset.skills legend');
    assert.equal(await page.textContent('.queue-form fieldset.skills legend'), 'Kỹ năng');
    assert.deepEqual(problemsOf(page), []);
  });

  it('an agent cannot set skills (403) and a bad proficiency is 400 with the field', async () => {
    const login = async (email: string, password: string) => {
      const r = await call(`${s.url}/console/api/login`, { method: 'POST', body: { email, password } });
      return { cookie: (r.headers.get('set-cookie') ?? '').split(';')[0]!, csrf: r.body.csrf as string };
    };
    const id = s.demo.agents[0]!.agent_id;
    const put = (who: { cookie: string; csrf: string }, skills: unknown) =>
      call(`${s.url}/console/api/agents/${id}/skills`, {
        method: 'PUT',
        headers: { cookie: who.cookie, 'x-csrf-token': who.csrf },
        body: { skills },
      });
    const agent = await login(s.demo.agents[1]!.email, AGENT_PASSWORD);
    assert.equal((await put(agent, [])).status, 403);
    const admin = await login(adminEmail, ADMIN_PASSWORD);
    const bad = await put(admin, [{ skill_id: billing, proficiency: 7 }]);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /^\/skills\/0\/proficiency: /);
  });
});
