/**
 * kill -9 of a real tongdai process in the middle of a call, then a restart on the same storage (SQLite, or
 * PostgreSQL when DATABASE_URL is set): no call stays open, no agent stays in a call-owned status, the recording
 * is complete and linked to its call record, and every reset has its history row and event.
 */
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import type { Envelope } from '../../src/domain/events.js';
import { RECOVERY_BY } from '../../src/domain/recovery.js';
import {
  type Storage,
  type TestServer,
  call,
  newStorage,
  requireTool,
  startTestServer,
} from '../helpers/harness.js';
import { type ChildLine, type SpawnedServer, spawnServer } from '../helpers/spawn.js';
import { startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, waitFor } from '../sip/helpers/peers.js';

const skip = await requireTool('sipp');
// The same node restarting: recovery treats its previous run's calls and agents as its own.
const NODE_ID = 'crash-node';

/** Bytes of audio the newest recording's header declares (the recorder patches it while recording). */
function declaredRecordingBytes(dataDir: string): number {
  const files: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name));
      else if (e.name.endsWith('.wav')) files.push(join(d, e.name));
    }
  };
  try {
    walk(join(dataDir, 'recordings'));
  } catch {
    return 0;
  }
  const f = files[0];
  if (!f) return 0;
  const head = readFileSync(f).subarray(0, 44);
  return head.length === 44 ? head.readUInt32LE(40) : 0;
}

const statusIs = (status: string) => (l: ChildLine) =>
  l.event === 'agent.status_changed' && l.payload?.current === status;

describe('kill -9 during a call, then restart', { skip }, () => {
  const peers = new Peers();
  afterEach(() => peers.killAll());

  async function crashAt(
    ringSec: number,
    scenario: { agent: string; customer: string },
    until: (srv: SpawnedServer, dataDir: string, s: TestServer) => Promise<void>,
  ) {
    const st = newStorage('tongdai-crash-');
    const srv = spawnServer(st, { NODE_ID, CHILD_RING_TIMEOUT_SEC: String(ringSec) });
    try {
      const ready = await srv.next((l) => l.ready === true, 'ready', 120_000);
      // The SIP helpers read only the SIP port and the demo tenant of a test server.
      const s = {
        t: { sipPort: ready.sipPort! },
        demo: ready.demo!,
        url: ready.url!,
      } as unknown as TestServer;
      await startAgent(peers, s, 0, scenario.agent, { pauseMs: 300 });
      await startCustomer(peers, s, scenario.customer, 60_000);
      await until(srv, st.dataDir, s);
    } finally {
      srv.kill();
    }
    assert.equal(await srv.exited, 'SIGKILL');
    peers.killAll();
    return st;
  }

  async function restart(st: Storage) {
    const events: Envelope[] = [];
    const s = await startTestServer({
      storage: st,
      clock: systemClock,
      demo: false,
      env: { NODE_ID },
      beforeListen: (x) => x.ctx.bus.subscribe((e) => void events.push(e)),
    });
    return { t: s.t, events };
  }

  async function assertInvariants(t: Awaited<ReturnType<typeof restart>>, agentId: number, wasIn: string) {
    const db = t.t.ctx.db;
    const open = await db.selectFrom('calls').select('call_id').where('ended_at', 'is', null).execute();
    assert.deepEqual(open, [], 'no call open');
    const stuck = await db
      .selectFrom('agents')
      .select(['id', 'status'])
      .where('status', 'in', ['Ringing', 'In-call', 'Wrap-up'])
      .execute();
    assert.deepEqual(stuck, [], 'no agent stuck in a call-owned status');
    await assertReset(t, agentId, wasIn);
  }

  /** The agent is Available again, with recovery's history row and event (from `wasIn`). */
  async function assertReset(t: Awaited<ReturnType<typeof restart>>, agentId: number, wasIn: string) {
    const db = t.t.ctx.db;
    const [view] = await t.t.ctx.statuses.getStatuses(
      (await db.selectFrom('agents').select('tenant_id').where('id', '=', agentId).executeTakeFirstOrThrow())
        .tenant_id,
      [agentId],
    );
    assert.equal(view?.status, 'Available', 'back to the status the agent had before the call');
    const history = await db
      .selectFrom('status_history')
      .selectAll()
      .where('agent_id', '=', agentId)
      .orderBy('id', 'desc')
      .executeTakeFirstOrThrow();
    assert.equal(history.previous_status, wasIn);
    assert.equal(history.new_status, 'Available');
    assert.equal(history.changed_by, RECOVERY_BY);
    const ev = t.events.find(
      (e) => e.type === 'agent.status_changed' && (e.payload as { agentId: number }).agentId === agentId,
    );
    assert.ok(ev, 'agent.status_changed announced');
    assert.equal((ev.payload as { previous: string }).previous, wasIn);
  }

  it('bridged and recording: the call closes, the agent is Available, the recording is linked', async () => {
    let agentId = 0;
    const st = await crashAt(
      3,
      { agent: 'agent-answer.xml', customer: 'customer-call.xml' },
      async (srv, dir) => {
        const inCall = await srv.next(statusIs('In-call'), 'agent In-call');
        agentId = inCall.payload!.agentId!;
        // At least a second of stereo audio declared in the header before the kill.
        await waitFor(async () => declaredRecordingBytes(dir) >= 8000 * 4, 15_000, 'recording under way');
      },
    );
    const t = await restart(st);
    try {
      await assertInvariants(t, agentId, 'In-call');
      const db = t.t.ctx.db;
      const call = await db.selectFrom('calls').selectAll().executeTakeFirstOrThrow();
      assert.equal(call.hangup_cause, 'NORMAL_TEMPORARY_FAILURE');
      assert.ok(call.recording_id, 'recording linked to the call record');
      const rec = await db
        .selectFrom('recordings')
        .selectAll()
        .where('id', '=', call.recording_id)
        .executeTakeFirstOrThrow();
      assert.equal(rec.call_id, call.call_id);
      assert.ok(rec.completed_at, 'recording completed');
      // The WAV's size until the restarted node has encoded it, then the MP3's (24 kbit/s: 3 KB a second).
      const minSize = rec.state === 'encoding' ? 44 + 8000 * 4 : 3000;
      assert.ok(rec.size_bytes > minSize, `recording size ${rec.size_bytes} (${rec.state})`);
      assert.ok(rec.duration_ms >= 1000, `recording duration ${rec.duration_ms}`);
    } finally {
      await t.t.close();
      await st.remove();
    }
  });

  it('ringing (an offer): the call closes and the agent is Available again', async () => {
    let agentId = 0;
    const st = await crashAt(
      60,
      { agent: 'agent-ring-noanswer.xml', customer: 'customer-call.xml' },
      async (srv) => {
        agentId = (await srv.next(statusIs('Ringing'), 'agent Ringing')).payload!.agentId!;
      },
    );
    const t = await restart(st);
    try {
      await assertInvariants(t, agentId, 'Ringing');
    } finally {
      await t.t.close();
      await st.remove();
    }
  });

  it('blind transfer, the new side ringing: the call closes, both agents are Available, the recording is linked', async () => {
    let first = 0;
    let second = 0;
    let callId = '';
    const st = await crashAt(
      60,
      { agent: 'agent-answer.xml', customer: 'customer-call.xml' },
      async (srv, dir, s) => {
        first = (await srv.next(statusIs('In-call'), 'agent 0 In-call')).payload!.agentId!;
        await waitFor(async () => declaredRecordingBytes(dir) >= 8000 * 4, 15_000, 'recording under way');
        const key = { 'x-api-key': s.demo.api_key };
        const live = await waitFor(
          async () => (await call(`${s.url}/api/calls?state=active`, { headers: key })).body.items?.[0],
          10_000,
          'the live call',
        );
        callId = live.call_id;
        second = s.demo.agents[1]!.agent_id;
        assert.notEqual(second, first);
        await startAgent(peers, s, 1, 'agent-ring-noanswer.xml');
        const r = await call(`${s.url}/api/calls/${callId}/transfer`, {
          method: 'POST',
          headers: key,
          body: { agent_id: second },
        });
        assert.equal(r.status, 200, JSON.stringify(r.body));
        assert.equal(r.body.state, 'transferring');
        // The new side's phone rings: its 180 has reached tongdai once the call record says so.
        await srv.next(
          (l) =>
            l.event === 'agent.status_changed' &&
            l.payload?.agentId === second &&
            l.payload.current === 'Ringing',
          'agent 1 Ringing (the transfer leg)',
        );
      },
    );
    const t = await restart(st);
    try {
      await assertInvariants(t, first, 'In-call');
      await assertReset(t, second, 'Ringing');
      const db = t.t.ctx.db;
      const rec = await db
        .selectFrom('calls')
        .selectAll()
        .where('call_id', '=', callId)
        .executeTakeFirstOrThrow();
      assert.equal(rec.hangup_cause, 'NORMAL_TEMPORARY_FAILURE');
      assert.equal(rec.agent_id, first, 'the new side never answered: the record keeps the first agent');
      assert.ok(rec.recording_id, 'recording linked to the call record');
      const recording = await db
        .selectFrom('recordings')
        .selectAll()
        .where('id', '=', rec.recording_id)
        .executeTakeFirstOrThrow();
      assert.equal(recording.call_id, callId);
      assert.ok(recording.completed_at, 'recording completed');
      assert.ok(recording.duration_ms >= 1000, `recording duration ${recording.duration_ms}`);
    } finally {
      await t.t.close();
      await st.remove();
    }
  });
});
