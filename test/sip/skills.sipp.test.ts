import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, startAgent, startCustomer } from './helpers/agents.js';
import { Peers, waitFor } from './helpers/peers.js';

const skip = await requireTool('sipp');
const RELAX_SEC = 3;

/**
 * Skills-based routing with real phones: two sipp agents registered in the demo queue, which requires a skill
 * only the second holds (set up through the native API); the requirement is dropped after RELAX_SEC seconds.
 */
describe('skills: trunk → hotline → ACD picks the skilled sipp agent, then relaxes', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  const api = async (method: string, path: string, body: unknown) => {
    const res = await fetch(s.url + path, {
      method,
      headers: { 'x-api-key': s.demo.api_key, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as Record<string, any>;
    assert.ok(res.ok, `${method} ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
  };
  const statusOf = async (index: number) =>
    (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [s.demo.agents[index]!.agent_id]))[0]?.status;

  before(async () => {
    s = await startTestServer({ clock: systemClock });
    const db = s.t.ctx.db;
    // Longest-idle would pick the first agent to register (index 0); only the skill makes it pick index 1.
    await db
      .updateTable('inbound_queues')
      .set({ wrapup_sec: 0, ring_timeout_sec: 10, agent_selector: 'longest-idle', max_wait_sec: null })
      .execute();
    await db.updateTable('queue_members').set({ priority: 1 }).execute();
    await bumpRevision(db, s.demo.tenant_id);
    const queue = await db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', s.demo.tenant_id)
      .executeTakeFirstOrThrow();
    const skill = (await api('POST', '/api/skills', { name: 'Tiếng Anh' })).id as number;
    await api('PUT', `/api/agents/${s.demo.agents[1]!.agent_id}/skills`, {
      skills: [{ skill_id: skill, proficiency: 4 }],
    });
    await api('PUT', `/api/queues/${queue.id}/skills`, {
      requirements: [
        { skill_id: skill, min_proficiency: 3, relax: [{ after_sec: RELAX_SEC, min_proficiency: 0 }] },
      ],
    });
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  /** Both agents' phones registered, index 0 first (so it is idle longer), both Available. */
  async function twoAgents() {
    const first = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 300 });
    await waitFor(async () => (await statusOf(0)) === 'Available', 5000, 'agent 0 Available');
    const second = await startAgent(peers, s, 1, 'agent-answer.xml', { pauseMs: 300 });
    await waitFor(async () => (await statusOf(1)) === 'Available', 5000, 'agent 1 Available');
    return [first, second] as const;
  }

  it('the call rings only the agent who holds the skill, though the other is idle longer', async () => {
    const [, skilled] = await twoAgents();
    const customer = await startCustomer(peers, s, 'customer-call.xml', 3000, '0909100001');
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    assert.equal((await skilled.done).code, 0);
    const rec = await closedCall(s, 'caller_number', '0909100001');
    assert.equal(rec.agent_id, s.demo.agents[1]!.agent_id);
    assert.equal(rec.status_detail, 'SUCCESS');
    const stat = JSON.parse(rec.queue_stat!) as { outcome: string; misses: unknown[] };
    assert.equal(stat.outcome, 'answered');
    assert.deepEqual(stat.misses, [], 'the agent without the skill was never rung');
    assert.ok(
      rec.answered_at! - rec.created_at < RELAX_SEC * 1000,
      'answered before the requirement relaxed',
    );
  });

  it('with the skilled agent away, the call waits for the relax step and then goes to the other agent', async () => {
    const [other] = await twoAgents();
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [s.demo.agents[1]!.agent_id], 'Lunch', 'test');
    const customer = await startCustomer(
      peers,
      s,
      'customer-call.xml',
      RELAX_SEC * 1000 + 4000,
      '0909100002',
    );
    const c = await customer.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    assert.equal((await other.done).code, 0);
    const rec = await closedCall(s, 'caller_number', '0909100002');
    assert.equal(rec.agent_id, s.demo.agents[0]!.agent_id);
    assert.equal(rec.status_detail, 'SUCCESS');
    const waited = rec.answered_at! - rec.created_at;
    assert.ok(waited >= RELAX_SEC * 1000 - 100, `rung only after the relax step (${waited} ms)`);
    assert.ok(waited < RELAX_SEC * 1000 + 3000, `and soon after it (${waited} ms)`);
  });
});
