import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { getAgentByExtension } from '../../src/domain/agents.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { SEED, seedDocumentFixtures } from './fixtures.js';
import { type ExampleRequest, requestsOf, substitute } from './replay.js';
import { SEED_EXAMPLES } from './seed-examples.js';

type FieldType = 'string' | 'number' | 'string|null' | 'number|null';

/** The "Response Fields" tables of the seeds, field by field. */
const AGENT_FIELDS: Record<string, FieldType> = {
  tenantId: 'number',
  tenantName: 'string',
  agentId: 'string',
  status: 'number',
  userName: 'string|null',
  queueCallin: 'string|null',
  queueCallinId: 'string|null',
  queueCallout: 'number|null',
  queueCalloutName: 'string|null',
  isFollowMe: 'number|null',
  priority: 'string|null',
  systemStatus: 'string|null',
  userStatus: 'string|null',
};
const QUEUE_FIELDS: Record<string, FieldType> = {
  callinId: 'number',
  callinName: 'string',
  strategy: 'number|null',
  musicinQueue: 'string|null',
  timeWait: 'string|null',
  agentSelector: 'string|null',
  nguongRanhRoi: 'string|null',
  callinNumber: 'string|null',
};

function assertShape(obj: any, fields: Record<string, FieldType>, where: string): void {
  assert.deepEqual(Object.keys(obj).sort(), Object.keys(fields).sort(), `${where}: field set`);
  for (const [k, t] of Object.entries(fields)) {
    const v = obj[k];
    const ok = t.split('|').some((one) => (one === 'null' ? v === null : typeof v === one));
    assert.ok(ok, `${where}.${k} should be ${t}, got ${JSON.stringify(v)}`);
  }
}

function assertWriteEnvelope(body: any, message: string, where: string): void {
  assert.deepEqual(body, { success: '1', error_code: 'SUCCESS', error_message: message }, where);
}

async function send(r: ExampleRequest) {
  const res = await fetch(r.url, { method: r.method, headers: r.headers, body: r.body });
  for (const h of ['Tenant', 'Route']) {
    assert.match(
      res.headers.get(`x-ratelimit-limit-${h.toLowerCase()}`) ?? '',
      /^\d+$/,
      `${r.label}: limit header`,
    );
    assert.match(res.headers.get(`x-ratelimit-remaining-${h.toLowerCase()}`) ?? '', /^\d+$/);
  }
  return { status: res.status, body: (await res.json()) as any };
}

describe('AloHub contract: every curl, axios and python example of seeds 000 and 001, on both prefixes', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
    await seedDocumentFixtures(s);
  });
  after(() => s.close());

  test('the examples are all there: 3 kinds for each of the 6 endpoints, 23 requests', () => {
    assert.equal(SEED_EXAMPLES.length, 18);
    assert.equal(SEED_EXAMPLES.flatMap(requestsOf).length, 23);
    // The curl examples keep the seeds' literal X-Tenant-ID, which is the demo tenant's id.
    assert.equal(s.demo.tenant_id, SEED.tenantId);
  });

  for (const prefix of ['/v1', '/api/v1'] as const) {
    for (const ex of SEED_EXAMPLES) {
      test(`${prefix}: ${ex.endpoint} — ${ex.kind}`, async () => {
        const sub = {
          baseUrl: s.url,
          apiKey: s.demo.api_key,
          tenantId: s.demo.tenant_id,
          ids: {
            'PUT /v1/agents/{id}/queues': SEED.agent,
            'PUT /v1/agents/{id}/recording': SEED.agent,
            'GET /v1/queues/inbound/{id}': String(SEED.callinQueue),
            'PUT /v1/queues/inbound/{id}': String(SEED.callinQueue),
          },
        };
        for (const raw of requestsOf(ex)) {
          const r = substitute(ex, raw, sub, prefix);
          assert.ok(r.url.startsWith(`${s.url}${prefix}/`), r.url);
          const res = await send(r);
          assert.equal(res.status, 200, `${r.label} ${r.method} ${r.url}: ${JSON.stringify(res.body)}`);
          await checkResponse(s, ex.endpoint, r, res.body);
        }
      });
    }
  }
});

async function checkResponse(s: TestServer, endpoint: string, r: ExampleRequest, body: any): Promise<void> {
  const where = `${endpoint} ${r.label}`;
  const sent = r.body ? JSON.parse(r.body) : undefined;
  switch (endpoint) {
    case 'GET /v1/agents': {
      assert.equal(body.success, '1');
      assert.equal(body.error_code, 'SUCCESS');
      assert.equal(body.error_message, 'SUCCESS');
      assert.equal(typeof body.totalRecord, 'number');
      assert.ok(Array.isArray(body.data) && body.data.length > 0, where);
      assert.deepEqual(Object.keys(body).sort(), [
        'data',
        'error_code',
        'error_message',
        'success',
        'totalRecord',
      ]);
      for (const a of body.data) {
        assertShape(a, AGENT_FIELDS, where);
        assert.equal(a.tenantId, s.demo.tenant_id);
        assert.ok(['AVAILABLE', 'NOT AVAILABLE'].includes(a.systemStatus));
        assert.ok(['AVAILABLE', 'LOGOUT'].includes(a.userStatus));
      }
      const filtered = new URL(r.url).searchParams.has('queue_id');
      if (filtered) {
        assert.ok(
          body.data.every((a: any) => a.status === 1 && a.queueCallinId.split(',').includes('1001226')),
        );
      }
      const mine = body.data.find((a: any) => a.agentId === SEED.agent);
      assert.ok(mine, `${where}: agent "082018" keeps its leading zero`);
      assert.equal(mine.userName, 'AloHub.admin');
      return;
    }
    case 'PUT /v1/agents/{id}/queues': {
      assertWriteEnvelope(body, 'Agent queues updated successfully', where);
      const list = await agentRow(s);
      if (new URL(r.url).searchParams.get('type') === 'callout') {
        assert.equal(list.queueCallout, SEED.calloutQueue);
        assert.equal(list.queueCalloutName, 'AloHub');
      } else {
        assert.equal(list.queueCallinId, '1000886,1001226');
        assert.equal(list.queueCallin, '1000886-sales,1001226-test');
        assert.equal(list.priority, String(sent.priority) + ',' + String(sent.priority));
      }
      return;
    }
    case 'PUT /v1/agents/{id}/recording': {
      const on = sent.enabled === true;
      assertWriteEnvelope(body, `Recording ${on ? 'enabled' : 'disabled'} for agent 082018`, where);
      const agent = await getAgentByExtension(s.t.ctx.db, s.demo.tenant_id, SEED.agent);
      assert.equal(agent.recording_enabled, on ? 1 : 0);
      return;
    }
    case 'GET /v1/queues/inbound':
      assert.deepEqual(Object.keys(body).sort(), ['data', 'error_code', 'success', 'totalRecord']);
      assert.equal(body.success, '1');
      assert.equal(body.error_code, 'SUCCESS');
      assert.equal(typeof body.totalRecord, 'number');
      assert.ok(
        body.data.length > 0 && body.data.length <= Number(new URL(r.url).searchParams.get('size') ?? 20),
      );
      for (const q of body.data) assertShape(q, QUEUE_FIELDS, where);
      return;
    case 'GET /v1/queues/inbound/{id}':
      assertShape(body, QUEUE_FIELDS, where);
      assert.equal(body.callinId, SEED.callinQueue);
      assert.equal(body.callinName, 'test');
      return;
    case 'PUT /v1/queues/inbound/{id}': {
      assertWriteEnvelope(body, 'Inbound queue updated successfully', where);
      const detail = await fetch(`${s.url}/v1/queues/inbound/${SEED.callinQueue}`, {
        headers: { Authorization: s.demo.api_key },
      }).then((x) => x.json() as Promise<any>);
      assert.equal(detail.strategy, sent.strategy);
      if (sent.moh_file_id) assert.equal(detail.musicinQueue, sent.moh_file_id);
      if (sent.max_wait_sec) assert.equal(detail.timeWait, sent.max_wait_sec);
      if (sent.announce_position) assert.equal(detail.nguongRanhRoi, sent.announce_position);
      return;
    }
    default:
      assert.fail(`no check for ${endpoint}`);
  }
}

async function agentRow(s: TestServer): Promise<any> {
  const res = await fetch(`${s.url}/v1/agents?size=100`, { headers: { 'X-Api-Key': s.demo.api_key } });
  const body = (await res.json()) as any;
  return body.data.find((a: any) => a.agentId === SEED.agent);
}
