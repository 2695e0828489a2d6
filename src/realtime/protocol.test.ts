import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matches, parseBinding, roomsFor } from './protocol.js';

describe('parseBinding', () => {
  it('reads the documented bindings and the Kazoo wildcards', () => {
    assert.deepEqual(parseBinding('call.CHANNEL_CREATE.*'), [{ event: 'CHANNEL_CREATE', key: '*' }]);
    assert.deepEqual(parseBinding('call.DTMF.*'), [{ event: 'DTMF', key: '*' }]);
    for (const b of ['call.*.*', 'call.*', 'call.#', 'call']) {
      assert.deepEqual(
        parseBinding(b)?.map((t) => t.event),
        ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY', 'DTMF'],
        b,
      );
    }
    assert.deepEqual(parseBinding('agent.status_changed.*'), [{ event: 'AGENT_STATUS_CHANGED', key: '*' }]);
    assert.deepEqual(parseBinding('agent.*'), [{ event: 'AGENT_STATUS_CHANGED', key: '*' }]);
  });

  it('reads callback and voicemail bindings, for all or for one id', () => {
    for (const b of ['callback.*', 'callback', 'callback.#']) {
      assert.deepEqual(parseBinding(b), [{ event: 'CALLBACK', key: '*' }], b);
    }
    assert.deepEqual(parseBinding('callback.12'), [{ event: 'CALLBACK', key: '12' }]);
    assert.deepEqual(parseBinding('voicemail.*'), [{ event: 'VOICEMAIL', key: '*' }]);
    assert.deepEqual(parseBinding('voicemail.3'), [{ event: 'VOICEMAIL', key: '3' }]);
  });

  it('keeps dotted call ids whole', () => {
    assert.deepEqual(parseBinding('call.CHANNEL_ANSWER.abc@10.0.0.1'), [
      { event: 'CHANNEL_ANSWER', key: 'abc@10.0.0.1' },
    ]);
  });

  it('refuses unknown domains and events', () => {
    for (const b of ['', 'calls.*', 'call.CHANNEL_PARK.*', 'agent.login.*', 'x'.repeat(300)]) {
      assert.equal(parseBinding(b), null, b);
    }
  });

  it('an event goes to the wildcard room and its own key room, tenant-scoped', () => {
    assert.deepEqual(roomsFor(7, 'CHANNEL_CREATE', 'c1'), ['t:7:CHANNEL_CREATE:*', 't:7:CHANNEL_CREATE:c1']);
    const targets = parseBinding('call.CHANNEL_CREATE.c1')!;
    assert.equal(matches(targets, 'CHANNEL_CREATE', 'c1'), true);
    assert.equal(matches(targets, 'CHANNEL_CREATE', 'c2'), false);
    assert.equal(matches(targets, 'CHANNEL_DESTROY', 'c1'), false);
  });
});
