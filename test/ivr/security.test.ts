/**
 * The native IVR routes' security file: missing, broken and revoked credentials, a key without the `queue` scope,
 * another tenant's flows and numbers. Every refusal is in the native error shape, and tenant A's flows, versions
 * and numbers are byte for byte what they were before.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type TestServer, call, startTestServer } from '../helpers/harness.js';
import {
  type NativeRoute,
  assertNativeRefusals,
  assertOutOfScope,
  assertUnauthenticated,
} from '../helpers/native-security.js';
import { type OtherTenant, otherTenant } from '../helpers/tenants.js';

const FLOW = {
  start: 'main',
  nodes: { main: { type: 'menu', prompt: ['welcome'], options: { '1': { type: 'hangup' } } } },
};

describe('native IVR routes — security', () => {
  let s: TestServer;
  let b: OtherTenant;
  let flowA = 0;
  let flowB = 0;
  let numberA = '';
  let numberB = '';
  const as = (key: string | undefined, method: string, path: string, body?: unknown) =>
    call(`${s.url}${path}`, { method, headers: { 'x-api-key': key }, body });
  const asA = (method: string, path: string, body?: unknown) => as(s.demo.api_key, method, path, body);
  const asB = (method: string, path: string, body?: unknown) => as(b.apiKey, method, path, body);

  before(async () => {
    s = await startTestServer();
    b = await otherTenant(s);
    const made = await asA('POST', '/api/ivr/flows', { name: 'A hotline', flow: FLOW });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    flowA = made.body.id;
    const v2 = structuredClone(FLOW);
    v2.nodes.main.prompt = ['goodbye'];
    assert.equal((await asA('PUT', `/api/ivr/flows/${flowA}`, { flow: v2 })).status, 200);
    numberA = s.demo.hotline;
    const madeB = await asB('POST', '/api/ivr/flows', { name: 'B hotline', flow: FLOW });
    assert.equal(madeB.status, 201, JSON.stringify(madeB.body));
    flowB = madeB.body.id;
    numberB = '02873019999';
    const now = s.t.ctx.clock.now();
    await s.t.ctx.db
      .insertInto('numbers')
      .values({
        tenant_id: b.tenantId,
        number: numberB,
        target_type: 'queue',
        target_id: 0,
        trunk_id: null,
        created_at: now,
      })
      .execute();
  });
  after(() => s?.close());

  const routes = () =>
    [
      ['GET', '/api/ivr/flows'],
      ['POST', '/api/ivr/flows', { name: 'x', flow: FLOW }],
      ['GET', `/api/ivr/flows/${flowA}`],
      ['GET', `/api/ivr/flows/${flowA}?version=1`],
      ['PUT', `/api/ivr/flows/${flowA}`, { name: 'x', flow: FLOW }],
      ['DELETE', `/api/ivr/flows/${flowA}`],
      ['PUT', `/api/ivr/numbers/${numberA}`, { flow_id: flowA }],
    ] as NativeRoute[];

  /** A's flows, their versions and numbers, to compare before and after an attack. */
  const snapshotA = async () => {
    const db = s.t.ctx.db;
    const tid = s.demo.tenant_id;
    return {
      flows: await db
        .selectFrom('ivr_flows')
        .selectAll()
        .where('tenant_id', '=', tid)
        .orderBy('id')
        .execute(),
      versions: await db
        .selectFrom('ivr_flow_versions')
        .selectAll()
        .where('tenant_id', '=', tid)
        .orderBy('flow_id')
        .orderBy('version')
        .execute(),
      numbers: await db
        .selectFrom('numbers')
        .selectAll()
        .where('tenant_id', '=', tid)
        .orderBy('number')
        .execute(),
    };
  };

  it('no credential, a broken key or a revoked key: 401 in the native shape, nothing changed', async () => {
    const before = await snapshotA();
    await assertUnauthenticated(s, as, routes());
    assert.deepEqual(await snapshotA(), before);
  });

  it("a key without the routes' `queue` scope: 403, nothing changed", async () => {
    const before = await snapshotA();
    await assertOutOfScope(s, as, routes());
    assert.deepEqual(await snapshotA(), before);
  });

  it("another tenant's flow and number are not found for every verb, and A's rows are unchanged", async () => {
    const before = await snapshotA();
    const ofA = routes().filter(([, p]) => p.includes(`/${flowA}`) || p.includes(numberA));
    await assertNativeRefusals(as, ofA, [b.apiKey], 404, 'NOT_FOUND');
    // Crossing the two: B points A's number at B's flow, and B's own number at A's flow; A points its number at B's.
    const point = (number: string, flow: number): NativeRoute => [
      'PUT',
      `/api/ivr/numbers/${number}`,
      { flow_id: flow },
    ];
    await assertNativeRefusals(
      as,
      [point(numberA, flowB), point(numberB, flowA)],
      [b.apiKey],
      404,
      'NOT_FOUND',
    );
    await assertNativeRefusals(as, [point(numberA, flowB)], [s.demo.api_key], 404, 'NOT_FOUND');
    // B's own number and flow work (the refusals above are about ownership, not a broken route).
    const own = await asB('PUT', `/api/ivr/numbers/${numberB}`, { flow_id: flowB });
    assert.equal(own.status, 200, JSON.stringify(own.body));
    assert.deepEqual(own.body, { number: numberB, flow_id: flowB });
    assert.deepEqual(await snapshotA(), before);
  });

  it("B's list shows only B's flows; a flow name A uses is free in B", async () => {
    const before = await snapshotA();
    const listB = (await asB('GET', '/api/ivr/flows')).body.flows as { id: number; name: string }[];
    assert.deepEqual(
      listB.map((f) => f.id),
      [flowB],
    );
    const same = await asB('POST', '/api/ivr/flows', { name: 'A hotline', flow: FLOW });
    assert.equal(same.status, 201, JSON.stringify(same.body));
    assert.notEqual(same.body.id, flowA);
    const listA = (await asA('GET', '/api/ivr/flows')).body.flows as { id: number }[];
    assert.deepEqual(
      listA.map((f) => f.id),
      [flowA],
    );
    assert.deepEqual(await snapshotA(), before);
  });

  it('mass-assignment: tenant_id, id or current_version in a body are dropped (docs/decisions.md), never applied', async () => {
    const before = await snapshotA();
    for (const body of [
      { name: 'sneaky', flow: FLOW, tenant_id: s.demo.tenant_id },
      { name: 'sneaky 2', flow: FLOW, id: flowA, current_version: 9 },
    ]) {
      const r = await asB('POST', '/api/ivr/flows', body);
      assert.equal(r.status, 201, `${JSON.stringify(body)}: ${r.status} ${JSON.stringify(r.body)}`);
      assert.notEqual(r.body.id, flowA);
      assert.equal(r.body.current_version, 1);
    }
    const renamed = await asB('PUT', `/api/ivr/flows/${flowB}`, { name: 'sneaky 3', current_version: 9 });
    assert.equal(renamed.status, 200, JSON.stringify(renamed.body));
    assert.equal(renamed.body.current_version, 1);
    const moved = await asB('PUT', `/api/ivr/numbers/${numberB}`, {
      flow_id: flowB,
      tenant_id: s.demo.tenant_id,
    });
    assert.equal(moved.status, 200, JSON.stringify(moved.body));
    const sneaky = await s.t.ctx.db
      .selectFrom('ivr_flows')
      .select('tenant_id')
      .where('name', 'like', 'sneaky%')
      .execute();
    assert.ok(sneaky.length === 3 && sneaky.every((x) => x.tenant_id === b.tenantId), JSON.stringify(sneaky));
    const nb = await s.t.ctx.db
      .selectFrom('numbers')
      .select('tenant_id')
      .where('number', '=', numberB)
      .execute();
    assert.deepEqual(nb, [{ tenant_id: b.tenantId }]);
    assert.deepEqual(await snapshotA(), before);
  });
});
