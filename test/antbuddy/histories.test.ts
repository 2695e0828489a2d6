import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { statusDetailOf } from '../../src/calls/q850.js';
import { FakeClock } from '../../src/clock.js';
import { insertCallRecord } from '../../src/domain/call-history.js';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import { signedQuery } from './helpers.js';

// Call histories as an integrator's client asks for them (the document's hash order
// created_from+created_to+limit+page+appId+secret, dates as the client has them) and reads them: status_detail,
// callee and queue_stat.misses of queued inbound calls stored the way the call engine stores them.

describe('AntBuddy call histories: what integrations send and read', () => {
  let s: TestServer;
  let agents: { id: number; uid: string; username: string | null; extension: string }[];
  const t0 = Date.UTC(2026, 2, 10, 8, 0, 0);
  const HOTLINE = '02873019555';

  /** The request an integration's client builds: every documented parameter, signed in the document's order. */
  const histories = (from: string, to: string, limit = '20', page = '1') =>
    call(
      `${s.url}/oapi/v1/call/histories?${signedQuery(
        { appId: s.demo.app_id, created_from: from, created_to: to, limit, page },
        [from, to, limit, page, s.demo.app_id],
        s.demo.app_secret,
      )}`,
    );

  before(async () => {
    s = await startTestServer({ clock: new FakeClock(t0 + 86_400_000) });
    const db = s.t.ctx.db;
    agents = await db
      .selectFrom('agents')
      .select(['id', 'uid', 'username', 'extension'])
      .where('tenant_id', '=', s.demo.tenant_id)
      .orderBy('id')
      .execute();
    const queue = await db
      .selectFrom('inbound_queues')
      .select('id')
      .where('tenant_id', '=', s.demo.tenant_id)
      .executeTakeFirstOrThrow();
    // The caller gave up while the queue rang two agents: what the engine writes (records.ts, queue-flow.ts).
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'abandoned-1',
      direction: 'inbound',
      callerNumber: '0909111222',
      calleeNumber: HOTLINE,
      didNumber: HOTLINE,
      queueId: queue.id,
      createdAt: t0,
      endedAt: t0 + 25_000,
      durationSec: 25,
      billingSec: 0,
      hangupCause: 'ORIGINATOR_CANCEL',
      hangupBy: 'caller',
      statusDetail: statusDetailOf(false, 'ORIGINATOR_CANCEL', 'caller'),
      queueStat: { outcome: 'abandoned', wait_sec: 25, entered: 1, handled: 0, misses: 2, reason: null },
    });
    // Answered by agent 2 after agent 1 did not answer; misses recorded as a list.
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'answered-1',
      direction: 'inbound',
      callerNumber: '0909333444',
      calleeNumber: HOTLINE,
      didNumber: HOTLINE,
      queueId: queue.id,
      agentId: agents[1]!.id,
      createdAt: t0 + 60_000,
      answeredAt: t0 + 70_000,
      endedAt: t0 + 130_000,
      durationSec: 70,
      billingSec: 60,
      hangupCause: 'NORMAL_CLEARING',
      hangupBy: 'callee',
      statusDetail: 'SUCCESS',
      queueStat: {
        outcome: 'answered',
        wait_sec: 10,
        entered: 1,
        handled: 1,
        misses: [{ agent_id: agents[0]!.id, at: t0 + 65_000, reason: 'no_answer' }],
        reason: null,
      },
    });
    // An outbound call the agent cancelled while the customer's phone rang: CANCELLED stays.
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'out-cancel',
      direction: 'outbound',
      callerNumber: agents[0]!.extension,
      callerAgentId: agents[0]!.id,
      calleeNumber: '0909555666',
      createdAt: t0 + 200_000,
      endedAt: t0 + 205_000,
      hangupCause: 'ORIGINATOR_CANCEL',
      hangupBy: 'caller',
      statusDetail: statusDetailOf(false, 'ORIGINATOR_CANCEL', 'caller'),
    });
    // An inbound call that failed (no trunk capacity): UNSUCCESS stays.
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'in-failed',
      direction: 'inbound',
      callerNumber: '0909777888',
      calleeNumber: HOTLINE,
      didNumber: HOTLINE,
      createdAt: t0 + 300_000,
      endedAt: t0 + 300_100,
      hangupCause: 'NORMAL_TEMPORARY_FAILURE',
      hangupBy: 'system',
      sipCode: 503,
      statusDetail: 'UNSUCCESS',
    });
  });
  after(() => s?.close());

  const byId = async (from: string, to: string) => {
    const res = await histories(from, to);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return new Map<string, any>(res.body.data.map((d: any) => [d.call_id, d]));
  };

  it('an inbound call abandoned before any agent answered is IVR; outbound CANCELLED and failures stay', async () => {
    const d = await byId('2026-03-10', '2026-03-10');
    assert.equal(d.get('abandoned-1').status_detail, 'IVR');
    assert.equal(d.get('abandoned-1').direction, 'to_ab');
    assert.deepEqual(d.get('abandoned-1').callee, { number: HOTLINE, type: 'realnumber' });
    assert.equal(d.get('out-cancel').status_detail, 'CANCELLED');
    assert.equal(d.get('in-failed').status_detail, 'UNSUCCESS');
    assert.equal(d.get('answered-1').status_detail, 'SUCCESS');
  });

  it("an answered inbound call's callee is the agent who answered (type user, username)", async () => {
    const a = (await byId('2026-03-10', '2026-03-10')).get('answered-1');
    assert.deepEqual(a.callee, {
      number: agents[1]!.extension,
      type: 'user',
      username: agents[1]!.username ?? agents[1]!.extension,
    });
    assert.deepEqual(a.caller, { number: '0909333444', type: 'realnumber' });
    assert.equal(a.did_number, HOTLINE);
  });

  it('queue_stat.misses carries the misses, counted or listed', async () => {
    const d = await byId('2026-03-10', '2026-03-10');
    const abandoned = d.get('abandoned-1').queue_stat[0];
    assert.equal(abandoned.status, 'abandoned');
    assert.deepEqual(abandoned.misses, [
      { agent_id: null, username: null, timestamp: null, reason: null },
      { agent_id: null, username: null, timestamp: null, reason: null },
    ]);
    const answered = d.get('answered-1').queue_stat[0];
    assert.deepEqual(answered.misses, [
      {
        agent_id: agents[0]!.uid,
        username: agents[0]!.username ?? agents[0]!.extension,
        timestamp: Math.floor((t0 + 65_000) / 1000),
        reason: 'no_answer',
      },
    ]);
    assert.equal(answered.agent_id, agents[1]!.uid);
  });

  it('created_from/created_to: dates, ISO 8601 date-times, unix seconds and milliseconds select the same calls', async () => {
    const all = ['abandoned-1', 'answered-1', 'out-cancel', 'in-failed'];
    const ids = async (from: string, to: string) => [...(await byId(from, to)).keys()].sort();
    assert.deepEqual(await ids('2026-03-10', '2026-03-10'), [...all].sort());
    assert.deepEqual(await ids('2026-03-10T00:00:00Z', '2026-03-10T23:59:59Z'), [...all].sort());
    // Vietnam time as a client formats it (moment().format()): 08:00 UTC is 15:00 +07:00.
    assert.deepEqual(await ids('2026-03-10T15:00:00+07:00', '2026-03-10T15:01:30+07:00'), [
      'abandoned-1',
      'answered-1',
    ]);
    assert.deepEqual(await ids(String(t0 / 1000), String(t0 / 1000 + 90)), ['abandoned-1', 'answered-1']);
    // JavaScript's Date.now() style: milliseconds.
    assert.deepEqual(await ids(String(t0), String(t0 + 90_000)), ['abandoned-1', 'answered-1']);
    assert.deepEqual(await ids(new Date(t0).toISOString(), new Date(t0 + 90_000).toISOString()), [
      'abandoned-1',
      'answered-1',
    ]);
  });

  it("anything else is a 400 in the family's shape, never an empty 200", async () => {
    for (const bad of ['10/03/2026', '2026-02-31', '2026-03-10T24:30:00Z', '1e12', 'yesterday', '-1', ' ']) {
      const res = await histories(bad, '2026-03-10');
      assert.equal(res.status, 400, `${JSON.stringify(bad)} → ${res.status} ${JSON.stringify(res.body)}`);
      assert.deepEqual(Object.keys(res.body).sort(), ['code', 'message']);
      assert.equal(res.body.code, 'invalid_input');
      assert.match(res.body.message, /^created_from must be unix seconds or milliseconds, an ISO date/);
    }
    const to = await histories('2026-03-10', 'tomorrow');
    assert.equal(to.status, 400);
    assert.match(to.body.message, /^created_to must be/);
  });
});
