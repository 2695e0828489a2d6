import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';

/**
 * The agent list's statuses under writes from everywhere: this node's status service (served from the live state
 * on the embedded store), another server instance on the same storage (another process on SQLite, another node
 * on PostgreSQL + Redis).
 */
describe(`AloHub agent list: live statuses (${storageKind})`, () => {
  let a: TestServer;
  let b: TestServer;
  let tenantId: number;
  let agentId: number;
  const list = async (s: TestServer) => {
    const res = await call(`${s.url}/v1/agents?size=100`, { headers: { Authorization: s.demo.api_key } });
    assert.equal(res.status, 200);
    return res.body.data.find((x: any) => x.agentId === '1001') as {
      systemStatus: string;
      userStatus: string;
    };
  };
  const shows = async (s: TestServer, system: string, user: string) =>
    assert.deepEqual(Object.values(await list(s)).slice(-2), [system, user]);

  before(async () => {
    a = await startTestServer();
    // A second instance on the same data: a second node (PostgreSQL) or a second process on the SQLite file.
    b = await startTestServer({ storage: a.storage });
    tenantId = a.demo.tenant_id;
    agentId = a.demo.agents[0]!.agent_id;
  });
  after(async () => {
    await b.close();
    await a.close();
  });

  test("this node's status changes show on its next request", async () => {
    await a.t.ctx.statuses.login(tenantId, agentId, 'test');
    await shows(a, 'AVAILABLE', 'AVAILABLE');
    await a.t.ctx.statuses.setCustomStatus(tenantId, [agentId], 'Lunch', 'test');
    await shows(a, 'NOT AVAILABLE', 'AVAILABLE');
    await a.t.ctx.statuses.setSystemStatus(tenantId, agentId, 'In-call', 'call');
    await shows(a, 'NOT AVAILABLE', 'AVAILABLE');
    await a.t.ctx.statuses.resumeCustomStatus(tenantId, agentId, 'call');
    await shows(a, 'NOT AVAILABLE', 'AVAILABLE');
    await a.t.ctx.statuses.setCustomStatus(tenantId, [agentId], 'Available', 'test');
    await shows(a, 'AVAILABLE', 'AVAILABLE');
  });

  test("another instance's status changes show in this one's list on the next request", async () => {
    await shows(a, 'AVAILABLE', 'AVAILABLE');
    await b.t.ctx.statuses.setCustomStatus(tenantId, [agentId], 'Break', 'other node');
    await shows(a, 'NOT AVAILABLE', 'AVAILABLE');
    await shows(b, 'NOT AVAILABLE', 'AVAILABLE');
    // And back through this one, then out through the other: each sees both.
    await a.t.ctx.statuses.setCustomStatus(tenantId, [agentId], 'Available', 'this node');
    await shows(b, 'AVAILABLE', 'AVAILABLE');
    await b.t.ctx.statuses.logout(tenantId, agentId, 'other node');
    await shows(a, 'NOT AVAILABLE', 'LOGOUT');
    await shows(b, 'NOT AVAILABLE', 'LOGOUT');
  });
});
