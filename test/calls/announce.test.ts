// Position and estimated-wait announcements in the queue, on a FakeClock: which files the caller hears, when.
import assert from 'node:assert/strict';
import { basename, dirname } from 'node:path';
import { describe, it } from 'node:test';
import type { Incoming } from '../../src/calls/engine.js';
import { QueueFlow } from '../../src/calls/queue-flow.js';
import { FakeClock } from '../../src/clock.js';
import type { UasSession } from '../../src/sip/uas.js';
import { type FakeEndpoint, type Kit, kit, settle } from './flow-kit.js';

function queueFlow(k: Kit, ready: number[]) {
  const driver = k.driver(ready);
  const flow = new QueueFlow({
    legB: k.legB,
    follower: k.follower,
    driver,
    store: k.store,
    statuses: { setCustomStatus: () => Promise.resolve([]) },
    routing: {
      agentDestination: () => Promise.resolve({ kind: 'invalid' }),
      outboundTrunk: () => Promise.resolve(undefined),
      tenant: () => Promise.resolve(undefined),
    },
    location: { lookup: (_t, agentId) => [k.binding(agentId)] },
    hostport: () => '127.0.0.1:5060',
    dataDir: '/nonexistent',
    clock: k.clock,
  });
  return { flow, driver };
}

async function waitingCaller(k: Kit, flow: QueueFlow) {
  const { call, a } = k.call({ queueId: 4 });
  const session = { answer: () => undefined, progress: () => undefined } as unknown as UasSession;
  const inc: Incoming = { call, session, side: a, answerSdp: 'v=0' };
  await flow.enter(inc, 4, '0901');
  await settle();
  return { call, ep: a.media.endpoint as FakeEndpoint };
}

/** `en/caller-number` for each file played. */
const heard = (ep: FakeEndpoint) =>
  ep.prompts.map((files) => files.map((f) => `${basename(dirname(f))}/${basename(f, '.wav')}`).join(' '));

describe('queue announcements on a FakeClock', () => {
  it('at entry and every interval: the position in the queue language, no estimate without history', async () => {
    const k = kit(new FakeClock(0), {
      announce_position: 1,
      announce_interval_sec: 30,
      announce_language: 'en',
    });
    const { flow, driver } = queueFlow(k, []); // members logged in but not ready: the caller waits
    const { call, ep } = await waitingCaller(k, flow);
    assert.deepEqual(heard(ep), ['en/caller-number en/1 en/in-queue'], 'announced on entry');
    assert.equal(ep.moh, 'default', 'hold music between announcements');
    k.clock.advance(29_999);
    await settle();
    assert.equal(ep.prompts.length, 1, 'nothing before the interval');
    k.clock.advance(1);
    await settle();
    k.clock.advance(30_000);
    await settle();
    assert.deepEqual(heard(ep), Array(3).fill('en/caller-number en/1 en/in-queue'));
    assert.ok(ep.prompts.flat().every((f) => f.endsWith('.wav') && f.includes('/assets/prompts/')));
    call.end('ORIGINATOR_CANCEL', 'caller', {});
    await settle();
    k.clock.advance(60_000);
    await settle();
    assert.equal(ep.prompts.length, 3, 'nothing after the caller left');
    driver.stop();
  });

  it('with enough answered calls the estimate follows: Vietnamese ordinal, then the wait in minutes', async () => {
    const k = kit(new FakeClock(0), {
      announce_position: 1,
      announce_interval_sec: 0, // on entry only
      announce_language: 'vi',
    });
    const { flow, driver } = queueFlow(k, [7]);
    await driver.ensureTenant(1);
    // Five calls handled by agent 7, 120 s each: the queue's average handle time.
    for (let i = 0; i < 5; i++) {
      driver.feed({ type: 'call_entered', callId: `h${i}`, tenantId: 1, queueId: 4, callerNumber: '0902' });
      driver.feed({ type: 'agent_answered', callId: `h${i}`, agentId: 7 });
      k.clock.advance(120_000);
      driver.feed({ type: 'call_ended', callId: `h${i}` });
    }
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'not_ready' });
    const first = await waitingCaller(k, flow);
    const second = await waitingCaller(k, flow);
    // 2 logged-in members (7 and 8, both not ready), 120 s each: position 1 → 1 minute, position 2 → 2.
    assert.deepEqual(heard(first.ep), [
      'vi/caller-number vi/thu vi/nhat vi/in-queue vi/estimated-wait vi/1 vi/minutes',
    ]);
    assert.deepEqual(heard(second.ep), [
      'vi/caller-number vi/thu vi/2 vi/in-queue vi/estimated-wait vi/2 vi/minutes',
    ]);
    first.call.end('ORIGINATOR_CANCEL', 'caller', {});
    second.call.end('ORIGINATOR_CANCEL', 'caller', {});
    await settle();
    driver.stop();
  });
});
