import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { systemClock } from '../../src/clock.js';
import { setConsolePassword } from '../../src/domain/console-accounts.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, waitFor } from '../sip/helpers/peers.js';
import { chromiumMissing, launch, newPage, problemsOf, shot, signIn } from './browser.js';

const skip = (await requireTool('sipp')) || (await chromiumMissing());
const CALLER = '0909777888';
const CALLER_2 = '0909777999';
const AGENT_PASSWORD = 'agent-pass-123';

interface El {
  textContent: string | null;
}
declare const document: {
  querySelector(sel: string): El | null;
  querySelectorAll(sel: string): Iterable<El>;
};

/**
 * How long after `since` the page showed something, by the page's clock: `fn` runs in the page (polled every 20 ms)
 * and returns `Date.now()` once it holds (0 until then), so what is measured is the wallboard's delay, not the test
 * process's round trip to the browser on a loaded machine.
 */
async function shownWithin<A>(page: Page, since: number, fn: (arg: A) => number, arg: A): Promise<number> {
  // Playwright's own argument type (Unboxed<A>) cannot be resolved for a generic A; the runtime value is `arg`.
  const shownAt = await page.waitForFunction(fn as (a: unknown) => number, arg as unknown, {
    timeout: 10_000,
    polling: 20,
  });
  return Number(await shownAt.jsonValue()) - since;
}

describe('wallboard follows a real call: queue → answered by a sipp agent → ended', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  const peers = new Peers();
  const at = new Map<string, number>();

  before(async () => {
    s = await startTestServer({ clock: systemClock });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0, ring_timeout_sec: 5 }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
    s.t.ctx.bus.subscribe((e) => {
      const p = e.payload as { callerNumber?: string };
      if (e.type.startsWith('call.') && p.callerNumber === CALLER && !at.has(e.type))
        at.set(e.type, Date.now());
    });
    browser = await launch();
  });
  after(async () => {
    peers.killAll();
    await browser?.close();
    await s?.close();
  });

  it('shows the waiting call, the agent on the call, then the answered count, each within 1 s', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, s.demo.console_email, s.demo.console_password);
    await page.waitForSelector('.tile[data-queue]');
    await page.waitForSelector('.live-dot.up');

    // The agent's phone is registered and it is logged in, but on a break: the customer waits in the queue.
    const agentId = s.demo.agents[0]!.agent_id;
    const agent = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 300 });
    await s.t.ctx.statuses.login(s.demo.tenant_id, agentId, 'test');
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [agentId], 'Break', 'test');
    const customer = await startCustomer(peers, s, 'customer-call.xml', 6000, CALLER);
    const waitMs = await shownWithin(
      page,
      await untilEvent(at, 'call.created'),
      (caller: string) =>
        [...document.querySelectorAll('.waiting li .caller')].some((e) => e.textContent === caller)
          ? Date.now()
          : 0,
      CALLER,
    );
    assert.equal(await page.textContent('.tile [data-k=waiting]'), '1');
    await shot(page, 'wallboard-waiting');

    // The supervisor puts the agent back to Available (the agents screen's call, from the page).
    const status = await page.evaluate(async (id: number) => {
      const { csrf } = (await fetch('/console/api/session').then((x) => x.json())) as { csrf: string };
      const res = await fetch(`/console/api/agents/${id}/status`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-csrf-token': csrf },
        body: JSON.stringify({ status: 'Available' }),
      });
      return res.status;
    }, agentId);
    assert.equal(status, 200);
    const answeredMs = await shownWithin(
      page,
      await untilEvent(at, 'call.answered'),
      ([id, caller]: readonly [number, string]) =>
        (document.querySelector(`[data-agent="${id}"] .agent-call`)?.textContent ?? '').includes(caller)
          ? Date.now()
          : 0,
      [agentId, CALLER] as const,
    );
    await shot(page, 'wallboard-on-call');

    const endedMs = await shownWithin(
      page,
      await untilEvent(at, 'call.ended', 20_000),
      ([id, caller]: readonly [number, string]) =>
        document.querySelector('.tile [data-k=answered]')?.textContent === '1' &&
        !(document.querySelector(`[data-agent="${id}"] .agent-call`)?.textContent ?? '').includes(caller)
          ? Date.now()
          : 0,
      [agentId, CALLER] as const,
    );
    assert.ok(waitMs < 1000, `waiting shown after ${waitMs} ms`);
    assert.ok(answeredMs < 1000, `answered shown after ${answeredMs} ms`);
    assert.ok(endedMs < 1000, `end shown after ${endedMs} ms`);
    assert.equal((await customer.done).code, 0);
    assert.equal((await agent.done).code, 0);
    assert.deepEqual(problemsOf(page), []);
    await page.context().close();
  });
});

describe('live call actions from the wallboard', { skip }, () => {
  let s: TestServer;
  let browser: Browser;
  const peers = new Peers();

  before(async () => {
    s = await startTestServer({ clock: systemClock });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0, ring_timeout_sec: 5 }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
    browser = await launch();
  });
  after(async () => {
    peers.killAll();
    await browser?.close();
    await s?.close();
  });

  it('a supervisor hangs up a bridged call from the wallboard: both sipp peers get BYE', async () => {
    const page = await newPage(browser);
    await signIn(page, s.url, s.demo.console_email, s.demo.console_password);
    await page.waitForSelector('.live-dot.up');
    // Agent 1 answers; the demo supervisor (agent 0, the console login) has no phone registered here.
    const agentId = s.demo.agents[1]!.agent_id;
    // Both scenarios end only on a BYE received (agent-answer, customer-wait-bye): exit 0 proves it came.
    const agent = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 200 });
    await s.t.ctx.statuses.login(s.demo.tenant_id, agentId, 'test');
    const customer = await startCustomer(peers, s, 'customer-wait-bye.xml', 0, CALLER_2);
    const onCall = `[data-agent="${agentId}"] .agent-call.actionable`;
    await page.waitForFunction(
      ([sel, caller]: readonly [string, string]) =>
        (document.querySelector(sel)?.textContent ?? '').includes(caller),
      [onCall, CALLER_2] as const,
      { timeout: 15_000 },
    );
    await page.click(onCall);
    await page.waitForSelector('.call-actions button.hangup');
    // Listening rings the signed-in supervisor's own phone; the demo supervisor has none registered.
    await page.click('.call-actions button.monitor[data-mode=listen]');
    await page.waitForSelector('.call-actions .alert');
    assert.match((await page.textContent('.call-actions .alert'))!, /no registered SIP phone/);
    await shot(page, 'wallboard-call-actions');
    await page.click('.call-actions button.hangup');
    await page.waitForSelector('.call-actions', { state: 'detached', timeout: 10_000 });
    assert.equal((await customer.done).code, 0, 'the customer got BYE');
    assert.equal((await agent.done).code, 0, 'the agent got BYE');
    const row = await waitFor(
      () =>
        s.t.ctx.db
          .selectFrom('calls')
          .select(['ended_at', 'answered_at'])
          .where('caller_number', '=', CALLER_2)
          .where('ended_at', 'is not', null)
          .executeTakeFirst(),
      10_000,
      'the ended call record',
    );
    assert.ok(row.answered_at !== null);
    await page.waitForFunction(
      (sel: string) => document.querySelector(sel) === null,
      `[data-agent="${agentId}"] .agent-call.actionable`,
      { timeout: 10_000 },
    );
    // The browser logs the refused monitor request (400) as a failed resource load: that one is expected.
    const problems = problemsOf(page);
    assert.deepEqual(
      problems.filter((p) => !/status of 400/.test(p)),
      [],
    );
    assert.equal(problems.length <= 1, true);
    await page.context().close();
  });

  it('refuses the live call routes to an agent login (403) and answers 404 for an unknown call', async () => {
    const email = s.demo.agents[2]!.email;
    await setConsolePassword(s.t.ctx.db, systemClock, s.demo.tenant_id, email, AGENT_PASSWORD, 'agent');
    const login = async (e: string, p: string) => {
      const r = await call(`${s.url}/console/api/login`, { method: 'POST', body: { email: e, password: p } });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      const cookie = (r.headers.get('set-cookie') ?? '').split(';')[0]!;
      return { cookie, 'x-csrf-token': r.body.csrf as string };
    };
    const writes: [string, unknown][] = [
      ['/live-calls/abc-1/hangup', undefined],
      ['/live-calls/abc-1/transfer', { extension: '101' }],
      ['/live-calls/abc-1/monitor', { mode: 'listen' }],
    ];
    const agent = await login(email, AGENT_PASSWORD);
    const list = await call(`${s.url}/console/api/live-calls`, { headers: { cookie: agent.cookie } });
    assert.equal(list.status, 403);
    for (const [path, body] of writes) {
      const r = await call(`${s.url}/console/api${path}`, { method: 'POST', headers: agent, body });
      assert.equal(r.status, 403, `${path}: ${JSON.stringify(r.body)}`);
    }
    const sup = await login(s.demo.console_email, s.demo.console_password);
    assert.equal((await call(`${s.url}/console/api/live-calls`, { headers: sup })).status, 200);
    for (const [path, body] of writes) {
      const r = await call(`${s.url}/console/api${path}`, { method: 'POST', headers: sup, body });
      assert.equal(r.status, 404, `${path}: ${JSON.stringify(r.body)}`);
    }
  });
});

const untilEvent = (at: Map<string, number>, type: string, timeoutMs = 10_000) =>
  waitFor(() => at.get(type), timeoutMs, `the ${type} event`);
