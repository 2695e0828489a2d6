import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { CallEventPayload, DomainEvents } from '../domain/events.js';
import { webhookBody } from '../webhooks/events.js';
import { TransferLegs, legWire } from './kazoo.js';

const call: CallEventPayload = {
  callId: 'c1',
  direction: 'inbound',
  callerNumber: '0901',
  destinationNumber: '19004',
  didNumber: '19004',
  queueId: 4,
  agentId: 8,
  createdAt: 0,
  answeredAt: 2000,
  endedAt: null,
  durationSec: null,
  hangupCause: null,
  at: 10_000,
};

function transferred(n: number, toAgentId: number, at: number): DomainEvents['call.transferred'] {
  return {
    callId: 'c1',
    fromAgentId: 7,
    toAgentId,
    toKind: 'agent',
    toQueueId: null,
    toNumber: null,
    to: `agent ${1000 + toAgentId}`,
    kind: 'blind',
    by: 'api',
    legCallId: `c1-t${n}`,
    call: { ...call, agentId: toAgentId, at },
    at,
  };
}

describe("a transfer's new leg as Kazoo channels", () => {
  it('created and answered on the transfer, destroyed with the call or by the next transfer', () => {
    const legs = new TransferLegs();
    const first = legs.transferred(transferred(1, 8, 10_000));
    assert.deepEqual(
      first.map((e) => [e.event, e.legCallId, e.agentId]),
      [
        ['CHANNEL_CREATE', 'c1-t1', 8],
        ['CHANNEL_ANSWER', 'c1-t1', 8],
      ],
    );
    const wire = legWire('acc', first[1]!, 'uid-8');
    assert.deepEqual(
      [wire.event_name, wire.call_id, wire.other_leg_call_id, wire.agent_id, wire.caller_id_number],
      ['CHANNEL_ANSWER', 'c1-t1', 'c1', 'uid-8', '0901'],
    );
    assert.equal(wire.unix_timestamp, 10, "the leg's own start");
    const second = legs.transferred(transferred(2, 9, 40_000));
    assert.deepEqual(
      second.map((e) => [e.event, e.legCallId]),
      [
        ['CHANNEL_DESTROY', 'c1-t1'],
        ['CHANNEL_CREATE', 'c1-t2'],
        ['CHANNEL_ANSWER', 'c1-t2'],
      ],
    );
    assert.equal(legWire('acc', second[0]!, null).duration, 30);
    const end = legs.ended({
      ...call,
      agentId: 9,
      endedAt: 70_000,
      hangupCause: 'NORMAL_CLEARING',
      at: 70_000,
    });
    const destroy = legWire('acc', end[0]!, 'uid-9');
    assert.deepEqual(
      [
        destroy.event_name,
        destroy.call_id,
        destroy.other_leg_call_id,
        destroy.duration,
        destroy.hangup_cause,
      ],
      ['CHANNEL_DESTROY', 'c1-t2', 'c1', 30, 'NORMAL_CLEARING'],
    );
    assert.deepEqual(legs.ended({ ...call, endedAt: 70_000 }), [], 'once');
  });

  it('call.transferred reaches webhooks', () => {
    const body = webhookBody({
      type: 'call.transferred',
      tenantId: 1,
      payload: transferred(1, 8, 10_000),
    } as never);
    assert.deepEqual(body, {
      type: 'call.transferred',
      tenant_id: 1,
      data: {
        call_id: 'c1',
        kind: 'blind',
        by: 'api',
        from_agent_id: 7,
        to_kind: 'agent',
        to_agent_id: 8,
        to_queue_id: null,
        to_number: null,
        to: 'agent 1008',
        leg_call_id: 'c1-t1',
        at: 10_000,
      },
    });
  });
});
