import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import pino from 'pino';
import { Call, type Side } from '../../src/calls/call.js';
import { MediaLeg } from '../../src/calls/media-leg.js';
import { CallRecord } from '../../src/calls/records.js';
import { FakeClock } from '../../src/clock.js';
import { createCallStore } from '../../src/domain/call-store.js';
import { type Envelope, EventBus } from '../../src/domain/events.js';
import { MediaEngine } from '../../src/media/engine.js';
import { type Store, openStore } from '../../src/store/db.js';

let dir: string;
let store: Store;
let media: MediaEngine;
before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'tongdai-call-'));
  store = await openStore({ dataDir: dir });
  await store.migrate();
  media = new MediaEngine({ publicIp: '127.0.0.1', bindIp: '127.0.0.1', portMin: 36000, portMax: 36199 });
});
after(async () => {
  await media.close();
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A side whose hang-ups are counted (the SIP session behind a real side is not what is under test). */
async function side(): Promise<Side & { hangups: number }> {
  const leg = new MediaLeg(await media.allocate());
  const s = {
    media: leg,
    hangups: 0,
    answered: true,
    hangup() {
      s.hangups++;
    },
  };
  return s;
}

async function newCall(clock: FakeClock) {
  const bus = new EventBus();
  const events: Envelope[] = [];
  bus.subscribe((e) => events.push(e));
  const record = new CallRecord(
    { store: createCallStore(store.db, clock, dir), bus, clock, logger: pino({ level: 'silent' }) },
    { tenantId: 1, direction: 'inbound', callerNumber: '0901', calleeNumber: '1900' },
  );
  const a = await side();
  return { call: new Call(media, record, a, clock), a, events, record };
}

test('answered call: offering → bridged → held → bridged → ended, with its events in order', async () => {
  const clock = new FakeClock(1_000);
  const { call, a, events } = await newCall(clock);
  call.attempt({ cancel: () => undefined });
  assert.equal(call.state, 'offering');
  clock.advance(2_000);
  const b = await side();
  call.connect(b, 7);
  assert.equal(call.state, 'bridged');
  b.media.peerDirection = 'sendonly';
  call.holdChanged(b);
  assert.equal(call.state, 'held');
  b.media.peerDirection = 'sendrecv';
  call.holdChanged(b);
  assert.equal(call.state, 'bridged');
  clock.advance(5_000);
  call.end('NORMAL_CLEARING', 'callee', { from: b });
  assert.equal(call.state, 'ended');
  assert.equal(a.hangups, 1);
  assert.equal(b.hangups, 0);
  assert.deepEqual(
    events.map((e) => e.type),
    ['call.created', 'call.answered', 'call.ended'],
  );
  const ended = events.at(-1)!.payload as { answeredAt: number; endedAt: number; agentId: number };
  assert.deepEqual([ended.answeredAt, ended.endedAt, ended.agentId], [3_000, 8_000, 7]);
  assert.deepEqual(
    call.machine.history.map((t) => `${t.to}@${t.at}`),
    ['offering@1000', 'bridged@3000', 'held@3000', 'bridged@3000', 'ended@8000'],
  );
});

test('hang-up race: the caller hangs up while B rings, then B answers: B is hung up, nothing is answered', async () => {
  const clock = new FakeClock();
  const { call, events } = await newCall(clock);
  let cancelled = 0;
  call.attempt({ cancel: () => cancelled++ });
  call.end('ORIGINATOR_CANCEL', 'caller');
  call.end('NORMAL_CLEARING', 'callee');
  const b = await side();
  call.connect(b, 7);
  assert.equal(cancelled, 1);
  assert.equal(b.hangups, 1);
  assert.equal(call.state, 'ended');
  assert.deepEqual(
    events.map((e) => e.type),
    ['call.created', 'call.ended'],
  );
  const ended = events.at(-1)!.payload as { hangupCause: string };
  assert.equal(ended.hangupCause, 'ORIGINATOR_CANCEL');
  b.media.endpoint.close();
});

test('a queued call waits, is offered, goes back to waiting on a miss, and DTMF is the call engine’s event', async () => {
  const clock = new FakeClock();
  const { call, events } = await newCall(clock);
  call.queued();
  call.offering();
  call.queued();
  assert.equal(call.state, 'queued');
  call.inQueue(4);
  call.record.dtmf('caller', '5', 100);
  call.end('NO_ANSWER', 'system', { reason: 'queue: max_wait' });
  assert.deepEqual(
    events.map((e) => e.type),
    ['call.created', 'call.dtmf', 'call.ended'],
  );
  assert.equal((events.at(-1)!.payload as { queueId: number }).queueId, 4);
  // Digits after the end belong to no call.
  call.record.dtmf('caller', '6', 100);
  assert.equal(events.length, 3);
  await call.record.flushed();
});
