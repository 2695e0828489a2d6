/**
 * kill -9 of a real tongdai process in the middle of a call, then a restart on the same storage (SQLite, or
 * PostgreSQL when DATABASE_URL is set): no call stays open, no agent stays in a call-owned status, the recording
 * is complete and linked to its call record, and every reset has its history row and event.
 */
import assert from 'node:assert/strict';
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { afterEach, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { createTongdai } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import type { DemoInfo } from '../../src/domain/demo.js';
import type { Envelope } from '../../src/domain/events.js';
import { RECOVERY_BY } from '../../src/domain/recovery.js';
import { type TestServer, dropSchema, requireTool } from '../helpers/harness.js';
import { startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, waitFor } from '../sip/helpers/peers.js';

const CHILD = fileURLToPath(new URL('./fixtures/server-child.ts', import.meta.url));
const skip = await requireTool('sipp');

interface Line {
  ready?: boolean;
  sipPort?: number;
  demo?: DemoInfo;
  event?: string;
  payload?: { current?: string; agentId?: number };
}

/** A storage location (data dir, PostgreSQL schema) and the environment that points a server at it. */
function storage(ringSec: number) {
  const dataDir = mkdtempSync(join(tmpdir(), 'tongdai-crash-'));
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    SIP_PORT: '0',
    SIP_HOST: '127.0.0.1',
    TONGDAI_DATA: dataDir,
    LOG_LEVEL: 'silent',
    // The same node restarting: recovery treats its previous run's calls and agents as its own.
    NODE_ID: 'crash-node',
    CHILD_RING_TIMEOUT_SEC: String(ringSec),
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL, DATABASE_SCHEMA: schema } : {}),
  };
  return {
    env,
    dataDir,
    async remove() {
      if (process.env.DATABASE_URL) await dropSchema(process.env.DATABASE_URL, schema);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The server as a child process; `next` resolves with the first line matching a predicate. */
function spawnServer(env: Record<string, string>) {
  const child: ChildProcessByStdio<null, Readable, null> = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD],
    { env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const seen: Line[] = [];
  const waiters: { match: (l: Line) => boolean; resolve: (l: Line) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as Line;
    seen.push(line);
    for (const w of waiters.filter((x) => x.match(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
  return {
    exited,
    next(match: (l: Line) => boolean, what: string, ms = 20_000): Promise<Line> {
      const hit = seen.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server never said: ${what}`)), ms);
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        child.on('exit', () => reject(new Error(`server exited before: ${what}`)));
      });
    },
    kill: () => child.kill('SIGKILL'),
  };
}

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

const statusIs = (status: string) => (l: Line) =>
  l.event === 'agent.status_changed' && l.payload?.current === status;

describe('kill -9 during a call, then restart', { skip }, () => {
  const peers = new Peers();
  afterEach(() => peers.killAll());

  async function crashAt(
    ringSec: number,
    scenario: { agent: string; customer: string },
    until: (srv: ReturnType<typeof spawnServer>, dataDir: string) => Promise<void>,
  ) {
    const st = storage(ringSec);
    const srv = spawnServer(st.env);
    try {
      const ready = await srv.next((l) => l.ready === true, 'ready', 60_000);
      // The SIP helpers read only the SIP port and the demo tenant of a test server.
      const s = { t: { sipPort: ready.sipPort! }, demo: ready.demo! } as unknown as TestServer;
      await startAgent(peers, s, 0, scenario.agent, { pauseMs: 300 });
      await startCustomer(peers, s, scenario.customer, 60_000);
      await until(srv, st.dataDir);
    } finally {
      srv.kill();
    }
    assert.equal(await srv.exited, 'SIGKILL');
    peers.killAll();
    return st;
  }

  async function restart(st: ReturnType<typeof storage>) {
    const t = await createTongdai(loadConfig(st.env), {
      clock: systemClock,
      logger: pino({ level: 'silent' }),
    });
    const events: Envelope[] = [];
    t.ctx.bus.subscribe((e) => events.push(e));
    await t.listen();
    return { t, events };
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
});
