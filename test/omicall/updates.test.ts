import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import {
  STRONG,
  agentRow as agentByEmail,
  assertError,
  assertOk,
  omi,
  seedPackagesAndRole,
} from './helpers.js';
import { insertCallRecord } from '../../src/domain/call-history.js';

// Lifecycle updates: role/update, service_package/update and delete (invites are in lifecycle.test.ts).

let s: TestServer;
let api: ReturnType<typeof omi>;
let smallPkg: string;
let bigPkg: string;
let supervisorRole: string;

const agentRow = (email: string) => agentByEmail(s, email);

before(async () => {
  s = await startTestServer();
  api = omi(s);
  ({ smallPkg, bigPkg, supervisorRole } = await seedPackagesAndRole(s));
  assertOk(
    await api.post('/api/agent/invite', {
      full_name: 'Tien',
      identify_info: 'vietnam12@gmail.com',
      password: STRONG,
    }),
  );
  assertOk(await api.post('/api/agent/invite', { full_name: 'Sup', identify_info: 'sup@acme.vn' }));
  const p1 = { full_name: 'P1', identify_info: 'p1@acme.vn', service_package_id: smallPkg };
  assertOk(await api.post('/api/agent/invite_with_package_v2', p1));
});
after(() => s.close());

test('POST /api/agent/role/update: sets the role by id; unknown agent or role is not found', async () => {
  const agent = await agentRow('vietnam12@gmail.com');
  const p = assertOk(await api.post('/api/agent/role/update', { id: agent.uid, role_id: supervisorRole }));
  assert.deepEqual(Object.keys(p).sort(), [
    'contact_id',
    'email',
    'full_name',
    'id',
    'pbx_account',
    'role_id',
    'tenant_id',
    'type',
  ]);
  assert.equal(p.id, agent.uid.slice(0, 24), 'the 24-hex id the document shows');
  assert.match(p.tenant_id, /^[0-9a-f]{24}$/);
  // The 24-hex id an OmiCall answer carries works as input too.
  const again = assertOk(await api.post('/api/agent/role/update', { id: p.id, role_id: supervisorRole }));
  assert.equal(again.id, p.id);
  assertError(
    await api.post('/api/agent/role/update', {
      id: p.id.replace(/.$/, (c: string) => (c === '0' ? '1' : '0')),
      role_id: supervisorRole,
    }),
    404,
    'agent_not_found',
  );
  assert.equal(p.role_id, supervisorRole);
  assert.equal(p.type, 'agent');
  assert.equal(p.pbx_account.sip_user, agent.extension);
  assertError(
    await api.post('/api/agent/role/update', { id: agent.uid, role_id: 'a'.repeat(24) }),
    404,
    'role_not_found',
  );
  assertError(
    await api.post('/api/agent/role/update', { id: 'b'.repeat(32), role_id: supervisorRole }),
    404,
    'agent_not_found',
  );
  assertError(await api.post('/api/agent/role/update', { id: agent.uid }), 400, 'invalid_request', /role_id/);
});

test('POST /api/agent/service_package/update: set, no-op, full package, remove when absent', async () => {
  const agent = await agentRow('sup@acme.vn');
  assertError(
    await api.post('/api/agent/service_package/update', { id: agent.uid, service_package_id: smallPkg }),
    409,
    'limit_agent',
  );
  assert.equal(
    assertOk(
      await api.post('/api/agent/service_package/update', {
        id: agent.uid.slice(0, 24),
        service_package_id: bigPkg,
      }),
    ),
    true,
  );
  assert.notEqual((await agentRow('sup@acme.vn')).service_package_id, null);
  const p1 = await agentRow('p1@acme.vn');
  assert.equal(
    assertOk(
      await api.post('/api/agent/service_package/update', { id: p1.uid, service_package_id: smallPkg }),
    ),
    true,
    'already there',
  );
  assert.equal(assertOk(await api.post('/api/agent/service_package/update', { id: agent.uid })), true);
  assert.equal((await agentRow('sup@acme.vn')).service_package_id, null);
  assertError(
    await api.post('/api/agent/service_package/update', {
      id: agent.uid,
      service_package_id: 'c'.repeat(24),
    }),
    404,
    'service_package_not_found',
  );
  assertError(
    await api.post('/api/agent/service_package/update', { id: 'nope', service_package_id: bigPkg }),
    404,
    'agent_not_found',
  );
});

test('DELETE /api/agent/delete: soft delete keeps history, revokes SIP, frees the email and the seat', async () => {
  const a = await agentRow('p1@acme.vn');
  const now = s.clock.now();
  await s.t.ctx.db
    .insertInto('sip_registrations')
    .values({
      tenant_id: a.tenant_id,
      agent_id: a.id,
      contact: 'sip:x@127.0.0.1',
      source_ip: '127.0.0.1',
      source_port: 5062,
      transport: 'udp',
      user_agent: null,
      expires_at: now + 3600_000,
      created_at: now,
    })
    .execute();
  await insertCallRecord(s.t.ctx.db, a.tenant_id, {
    callId: 'c-del-1',
    direction: 'inbound',
    callerNumber: '0900',
    calleeNumber: a.extension,
    calleeAgentId: a.id,
    agentId: a.id,
    createdAt: now,
    endedAt: now,
    durationSec: 0,
    billingSec: 0,
    statusDetail: 'SUCCESS',
    sipCode: 200,
  });
  // Logged in when deleted: the delete logs it out like any other logout, with a history row and an event.
  await s.t.ctx.statuses.login(a.tenant_id, a.id, 'test');
  const changes: { previous: string; current: string }[] = [];
  const stop = s.t.ctx.bus.on('agent.status_changed', (t, p) => {
    if (t === a.tenant_id && p.agentId === a.id) changes.push({ previous: p.previous, current: p.current });
  });
  assert.equal(assertOk(await api.del('/api/agent/delete?identify_info=P1@acme.vn')), true);
  stop();
  assert.deepEqual(changes, [{ previous: 'Available', current: 'Offline' }]);
  const last = await s.t.ctx.db
    .selectFrom('status_history')
    .selectAll()
    .where('agent_id', '=', a.id)
    .orderBy('id', 'desc')
    .executeTakeFirstOrThrow();
  assert.deepEqual(
    [last.previous_status, last.new_status, last.reason],
    ['Available', 'Offline', 'agent deleted'],
  );
  const gone = await s.t.ctx.db
    .selectFrom('agents')
    .selectAll()
    .where('id', '=', a.id)
    .executeTakeFirstOrThrow();
  assert.notEqual(gone.deleted_at, null);
  assert.equal(gone.is_active, 0);
  assert.notEqual(gone.sip_password_enc, a.sip_password_enc, 'SIP password replaced');
  const regs = await s.t.ctx.db
    .selectFrom('sip_registrations')
    .select('id')
    .where('agent_id', '=', a.id)
    .execute();
  assert.equal(regs.length, 0);
  const calls = await s.t.ctx.db.selectFrom('calls').select('call_id').where('agent_id', '=', a.id).execute();
  assert.deepEqual(
    calls.map((c) => c.call_id),
    ['c-del-1'],
    'call history stays',
  );
  assertError(await api.post('/api/v2/agent/get-by-email', { email: 'p1@acme.vn' }), 404, 'agent_not_found');
  assertError(await api.del('/api/agent/delete?identify_info=p1@acme.vn'), 404, 'agent_not_found');
  assertError(await api.del('/api/agent/delete'), 400, 'invalid_request', /identify_info/);
  const again = assertOk(
    await api.post('/api/agent/invite_with_package_v2', {
      full_name: 'Back',
      identify_info: 'p1@acme.vn',
      service_package_id: smallPkg,
    }),
  );
  assert.equal(again.agent.email, 'p1@acme.vn', 'email and seat are free again');
  assert.notEqual(again.agent.id, a.uid);
});
