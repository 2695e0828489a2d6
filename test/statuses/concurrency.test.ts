import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import type { DomainEvents } from '../../src/domain/events.js';
import { basic, insertAgents } from './fixtures.js';

type Changed = DomainEvents['agent.status_changed'];

describe('status model under concurrency', () => {
  let s: TestServer;
  let tenantId: number;
  let ids: number[];
  const events: Changed[] = [];

  before(async () => {
    s = await startTestServer();
    tenantId = s.demo.tenant_id;
    ids = (await insertAgents(s, tenantId, 20, 'Busy')).map((a) => a.id);
    for (const id of ids) await s.t.ctx.statuses.login(tenantId, id, 'test');
    await s.t.ctx.statuses.createStatus(tenantId, { name: 'Training' });
    s.t.ctx.bus.on('agent.status_changed', (t, p) => {
      if (t === tenantId && ids.includes(p.agentId)) events.push(p);
    });
  });
  after(() => s.close());

  it('50 simultaneous bulk updates over overlapping agents: serial outcome, one history row and one event per change', async () => {
    const names = ['Lunch', 'Meeting', 'Break', 'Training', 'Available'];
    const requests = Array.from({ length: 50 }, (_, i) => ({
      status: names[i % names.length]!,
      // 10 agents per request, sliding by 3: every agent is in many requests, in different orders.
      agent_ids: Array.from({ length: 10 }, (_, k) => ids[(i * 3 + k * (i % 2 ? 1 : 7)) % ids.length]!),
    }));
    const responses = await Promise.all(
      requests.map((body) =>
        call(s.url + '/apps/api/v1/agent_statuses', {
          method: 'POST',
          headers: { authorization: basic(s.demo.api_key) },
          body,
        }),
      ),
    );
    const reported: string[] = [];
    responses.forEach((r, i) => {
      assert.equal(r.status, 200, JSON.stringify(r.body));
      for (const e of r.body) {
        if (e.message === undefined) reported.push(`${e.agent_id}:${e.previous_status}>${e.current_status}`);
        else assert.equal(e.message, `Agent is already in status '${requests[i]!.status}'`);
      }
    });

    const history = await s.t.ctx.db
      .selectFrom('status_history')
      .select(['agent_id', 'previous_status', 'new_status', 'changed_by'])
      .where('tenant_id', '=', tenantId)
      .where('agent_id', 'in', ids)
      .where('changed_by', 'like', 'ccai:%')
      .orderBy('id')
      .execute();
    const views = new Map((await s.t.ctx.statuses.getStatuses(tenantId, ids)).map((v) => [v.id, v]));
    for (const id of ids) {
      const set = new Set(requests.filter((r) => r.agent_ids.includes(id)).map((r) => r.status));
      const final = views.get(id)!.status;
      assert.ok(set.has(final), `agent ${id} ended in ${final}, which no request for it set`);
      // The history of each agent is one unbroken chain from where it started to where it is.
      let at = 'Available';
      for (const h of history.filter((x) => x.agent_id === id)) {
        assert.equal(h.previous_status, at, `agent ${id}: history chain broken`);
        at = h.new_status;
      }
      assert.equal(at, final, `agent ${id}: history does not end at the current status`);
    }
    const fromHistory = history.map((h) => `${h.agent_id}:${h.previous_status}>${h.new_status}`).sort();
    const fromEvents = events.map((e) => `${e.agentId}:${e.previous}>${e.current}`).sort();
    assert.deepEqual(reported.sort(), fromHistory, 'every change reported is in the history, once');
    assert.deepEqual(fromEvents, fromHistory, 'one event per change, none lost');
    assert.ok(history.length >= ids.length, 'the run actually changed statuses');
  });

  it('deleting and renaming a status while bulk updates move agents into it: nobody is left in a deleted status', async () => {
    const st = s.t.ctx.statuses;
    const temp = await st.createStatus(tenantId, { name: 'Temp' });
    const tries = await Promise.allSettled([
      ...Array.from({ length: 10 }, (_, k) =>
        st.setCustomStatus(tenantId, ids.slice(k, k + 8), 'Temp', 'test'),
      ),
      st.updateStatus(tenantId, temp.id, { name: 'Temporary' }),
      st.deleteStatus(tenantId, temp.id),
      ...Array.from({ length: 5 }, (_, k) =>
        st.setCustomStatus(tenantId, ids.slice(k * 3, k * 3 + 6), 'Temporary', 'test'),
      ),
    ]);
    for (const t of tries) {
      if (t.status === 'rejected')
        assert.ok(
          t.reason instanceof Error && /does not exist|in use|not found/.test(t.reason.message),
          String(t.reason),
        );
    }
    const stranded = await s.t.ctx.db
      .selectFrom('agents')
      .innerJoin('statuses', 'statuses.id', 'agents.status_id')
      .select('agents.id')
      .where('agents.tenant_id', '=', tenantId)
      .where('statuses.deleted_at', 'is not', null)
      .execute();
    assert.deepEqual(stranded, []);
    const names = new Set((await st.getStatuses(tenantId, ids)).map((v) => v.status));
    assert.ok(
      !names.has('Temp') || !names.has('Temporary'),
      'agents follow a rename: never both names at once',
    );
  });
});
