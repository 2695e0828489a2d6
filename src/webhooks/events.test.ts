import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selects, webhookBody } from './events.js';

test('endpoint filters: *, exact types and prefix.* (never a bare prefix)', () => {
  assert.ok(selects('*', 'call.dtmf'));
  assert.ok(selects('call.ended, call.dtmf', 'call.dtmf'));
  assert.ok(selects('call.*', 'call.dtmf'));
  assert.ok(!selects('call.*', 'agent.status_changed'));
  assert.ok(!selects('call', 'call.dtmf'));
  assert.ok(!selects('call.ended', 'call.dtmf'));
  assert.ok(!selects('', 'call.dtmf'));
});

test('bodies: DTMF in wire names; internal revision events are never delivered', () => {
  assert.deepEqual(
    webhookBody({
      tenantId: 7,
      type: 'call.dtmf',
      payload: { callId: 'c1', leg: 'agent', digit: '#', durationMs: 120, at: 5 },
    }),
    {
      type: 'call.dtmf',
      tenant_id: 7,
      data: { call_id: 'c1', leg: 'agent', digit: '#', duration_ms: 120, at: 5 },
    },
  );
  assert.equal(webhookBody({ tenantId: 7, type: 'agent.changed', payload: { agentId: 1, at: 1 } }), null);
  assert.equal(webhookBody({ tenantId: 7, type: 'queue.changed', payload: { queueId: 1, at: 1 } }), null);
});
