import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import type { DomainEvents } from '../../src/domain/events.js';
import { StatusService } from '../../src/domain/status-service.js';
import { EventBus } from '../../src/domain/events.js';
import { DomainError } from '../../src/errors.js';
import { insertAgents, otherTenantWithAgent } from './fixtures.js';

type Changed = DomainEvents['agent.status_changed'];

describe('status service: the platform side, history and readiness', () => {
  let s: TestServer;
  let tenantId: number;
  let ids: number[];
  const events: Changed[] = [];

  before(async () => {
    s = await startTestServer();
    tenantId = s.demo.tenant_id;
    ids = (await insertAgents(s, tenantId, 4, 'Svc')).map((a) => a.id);
    s.t.ctx.bus.on('agent.status_changed', (t, p) => {
      if (t === tenantId) events.push(p);
    });
  });
  beforeEach(() => {
    events.length = 0;
  });
  after(() => s.close());

  const st = () => s.t.ctx.statuses;
  const statusOf = async (id: number) => (await st().getStatuses(tenantId, [id]))[0]!.status;
  const history = (id: number) =>
    s.t.ctx.db
      .selectFrom('status_history')
      .select(['previous_status', 'new_status', 'changed_by'])
      .where('tenant_id', '=', tenantId)
      .where('agent_id', '=', id)
      .orderBy('id')
      .execute();

  it('a queued call: Ringing → In-call → Wrap-up → back to the status the agent had before', async () => {
    const a = ids[0]!;
    await st().login(tenantId, a, 'agent:self');
    await st().setCustomStatus(tenantId, [a], 'Meeting', 'supervisor');
    await st().setSystemStatus(tenantId, a, 'Ringing', 'platform:acd');
    assert.equal(await st().isReady(tenantId, a), false);
    await st().setSystemStatus(tenantId, a, 'In-call', 'platform:sip');
    await st().setSystemStatus(tenantId, a, 'Wrap-up', 'platform:acd');
    const back = await st().resumeCustomStatus(tenantId, a, 'platform:acd');
    assert.equal(back.result, 'changed');
    assert.equal(await statusOf(a), 'Meeting');
    assert.deepEqual(await history(a), [
      { previous_status: 'Offline', new_status: 'Available', changed_by: 'agent:self' },
      { previous_status: 'Available', new_status: 'Meeting', changed_by: 'supervisor' },
      { previous_status: 'Meeting', new_status: 'Ringing', changed_by: 'platform:acd' },
      { previous_status: 'Ringing', new_status: 'In-call', changed_by: 'platform:sip' },
      { previous_status: 'In-call', new_status: 'Wrap-up', changed_by: 'platform:acd' },
      { previous_status: 'Wrap-up', new_status: 'Meeting', changed_by: 'platform:acd' },
    ]);
    assert.deepEqual(
      events.map((e) => `${e.previous}>${e.current}`),
      [
        'Offline>Available',
        'Available>Meeting',
        'Meeting>Ringing',
        'Ringing>In-call',
        'In-call>Wrap-up',
        'Wrap-up>Meeting',
      ],
    );
  });

  it('a call placed while logged out returns the agent to Offline', async () => {
    const a = ids[1]!;
    await st().setSystemStatus(tenantId, a, 'In-call', 'platform:sip');
    await st().resumeCustomStatus(tenantId, a, 'platform:sip');
    assert.equal(await statusOf(a), 'Offline');
  });

  it('an impossible platform transition is refused whole: no row, no event', async () => {
    const a = ids[2]!;
    await st().login(tenantId, a, 'test');
    events.length = 0;
    const before = (await history(a)).length;
    await assert.rejects(st().setSystemStatus(tenantId, a, 'Wrap-up', 'platform:acd'), (e: unknown) => {
      assert.ok(e instanceof DomainError);
      assert.equal(e.code, 'CONFLICT');
      assert.equal(e.message, "agent can't go from 'Available' to 'Wrap-up'");
      return true;
    });
    assert.equal((await history(a)).length, before);
    assert.equal(events.length, 0);
    assert.equal(await statusOf(a), 'Available');
  });

  it('no-ops are reported and leave no trace', async () => {
    const a = ids[2]!;
    const r = await st().login(tenantId, a, 'test');
    assert.equal(r.result, 'unchanged');
    assert.equal(r.result === 'unchanged' && r.reason, 'already_logged_in');
    const same = await st().setSystemStatus(tenantId, ids[3]!, 'Offline', 'platform');
    assert.equal(same.result, 'unchanged');
    assert.equal(events.length, 0);
  });

  it('readiness for the ACD follows the status flag, not the name', async () => {
    const [a, b] = [ids[2]!, ids[3]!];
    await st().login(tenantId, b, 'test');
    assert.equal(await st().isReady(tenantId, a), true);
    const ready = await st().readyAgentIds(tenantId);
    assert.ok(ready.includes(a) && ready.includes(b));
    const outbound = await st().createStatus(tenantId, { name: 'Outbound campaign', isReady: true });
    await st().setCustomStatus(tenantId, [b], 'outbound CAMPAIGN', 'test');
    assert.equal(await st().isReady(tenantId, b), true);
    await st().updateStatus(tenantId, outbound.id, { isReady: false });
    assert.equal(await st().isReady(tenantId, b), false, 'read from the database: no stale cache');
    assert.ok(!(await st().readyAgentIds(tenantId)).includes(b));
    await st().setSystemStatus(tenantId, a, 'Ringing', 'platform:acd');
    assert.ok(!(await st().readyAgentIds(tenantId)).includes(a));
    await st().resumeCustomStatus(tenantId, a, 'platform:acd');
  });

  it('a second service on the same database (another node, the CLI) sees and makes the same state', async () => {
    const other = new StatusService(s.t.ctx.db, s.t.ctx.store.dialect, s.clock, new EventBus());
    const a = ids[2]!;
    await other.setCustomStatus(tenantId, [a], 'Break', 'node-2');
    assert.equal(await statusOf(a), 'Break');
    assert.equal(events.length, 0, 'events go to the bus of the node that made the change');
  });

  it("another tenant's agents are not found; login needs a ready status", async () => {
    const o = await otherTenantWithAgent(s);
    const [r] = await st().setCustomStatus(tenantId, [o.agent.id], 'Lunch', 'test');
    assert.deepEqual(r, { agentId: o.agent.id, result: 'not_found' });
    await assert.rejects(st().login(tenantId, o.agent.id, 'test'), /agent \d+ not found/);
    await assert.rejects(st().setSystemStatus(tenantId, o.agent.id, 'Ringing', 'x'), /not found/);
    const bare = await s.t.ctx.db
      .deleteFrom('statuses')
      .where('tenant_id', '=', o.tenantId)
      .where('is_ready', '=', 1)
      .executeTakeFirst();
    assert.ok(Number(bare.numDeletedRows) > 0);
    await assert.rejects(st().login(o.tenantId, o.agent.id, 'test'), /no ready status/);
  });
});
