/**
 * kill -9 while CCAI bulk status updates are being written (POST /apps/api/v1/agent_statuses, every demo agent
 * in one transaction), then restart on the same storage. No half-written update: every agent is in the status of
 * the same last committed update, and each agent's row agrees with its latest status_history row.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, call, newStorage, startTestServer, storageKind } from '../helpers/harness.js';
import { type Req, authorize, demoCreds, send } from '../fuzz/families.js';
import { loadRoutes } from '../fuzz/spec.js';
import { spawnServer } from '../helpers/spawn.js';

const NODE_ID = 'crash-status-node';

describe(`kill -9 during status bulk updates, then restart (${storageKind})`, () => {
  it('every agent ends in the same committed status; rows and history agree', async () => {
    const st = newStorage('tongdai-crash-status-');
    const srv = spawnServer(st, { NODE_ID, RATE_LIMIT_TENANT: '1000000', RATE_LIMIT_ROUTE: '1000000' });
    let sent = 0;
    try {
      const ready = await srv.next((l) => l.ready === true, 'ready', 120_000);
      const url = ready.url!;
      const route = (await loadRoutes(url)).find(
        (r) => r.method === 'POST' && r.path === '/apps/api/v1/agent_statuses',
      )!;
      assert.ok(route, 'the CCAI bulk update route is published');
      const ids = ready.demo!.agents.map((a) => a.agent_id);
      const creds = demoCreds({ demo: ready.demo! } as unknown as TestServer);
      // Agents start Offline, where custom statuses are refused: log each in (native API).
      for (const id of ids) {
        const r = await call(`${url}/api/agents/${id}/login`, {
          method: 'POST',
          headers: { 'X-Api-Key': ready.demo!.api_key },
        });
        assert.equal(r.status, 200, `login ${id}: ${JSON.stringify(r.body)}`);
      }
      const logins = ids.length;
      let stop = false;
      const loop = async (lane: number) => {
        for (let i = lane; !stop; i += 2) {
          const req: Req = {
            method: 'POST',
            path: route.path,
            query: [],
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({ status: ['Lunch', 'Meeting', 'Break'][i % 3], agent_ids: ids }),
          };
          authorize(route, req, creds);
          sent++;
          await send(url, req).catch(() => (stop = true));
        }
      };
      const lanes = [loop(0), loop(1)];
      // Let some updates commit (each publishes one event per agent after its commit), then kill while the two
      // lanes keep writing: the kill lands at an arbitrary point of a later transaction.
      let seen = 0;
      await srv.next(
        (l) => l.event === 'agent.status_changed' && ++seen >= logins + ids.length * 3 + 1,
        'three bulk updates committed',
        60_000,
      );
      srv.kill();
      stop = true;
      await Promise.all(lanes);
    } finally {
      srv.kill();
    }
    assert.equal(await srv.exited, 'SIGKILL');
    assert.ok(sent >= 3, `bulk updates sent: ${sent}`);

    const s = await startTestServer({ storage: st, clock: systemClock, demo: false, env: { NODE_ID } });
    try {
      const db = s.t.ctx.db;
      const agents = await db.selectFrom('agents').select(['id', 'status']).orderBy('id').execute();
      const statuses = new Set(agents.map((a) => a.status));
      assert.equal(statuses.size, 1, `one status for all agents: ${JSON.stringify(agents)}`);
      assert.ok(['Lunch', 'Meeting', 'Break'].includes([...statuses][0]!), 'a status the updates set');
      for (const a of agents) {
        const last = await db
          .selectFrom('status_history')
          .select(['new_status'])
          .where('agent_id', '=', a.id)
          .orderBy('id', 'desc')
          .executeTakeFirst();
        assert.equal(last?.new_status, a.status, `agent ${a.id}: row and latest history row agree`);
      }
      const counts = await db
        .selectFrom('status_history')
        .select(['agent_id', db.fn.countAll<number>().as('n')])
        .groupBy('agent_id')
        .execute();
      const ns = new Set(counts.map((c) => Number(c.n)));
      assert.equal(ns.size, 1, `every agent has the same number of history rows: ${JSON.stringify(counts)}`);
    } finally {
      await s.close();
      await st.remove();
    }
  });
});
