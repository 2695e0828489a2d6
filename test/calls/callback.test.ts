// Queued callback on a FakeClock: the key press, the agent first, the customer through the trunk, retries with
// back-off up to the queue's limit, and the rows the flow writes.
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { describe, it } from 'node:test';
import { CallbackFlow } from '../../src/calls/callback-flow.js';
import type { Incoming } from '../../src/calls/engine.js';
import { IvrFlows } from '../../src/calls/ivr-flow.js';
import { QueueFlow } from '../../src/calls/queue-flow.js';
import { FakeClock } from '../../src/clock.js';
import type { CallTenant } from '../../src/domain/call-store.js';
import type { Callback, CallbackChange, CallbackStore } from '../../src/domain/callbacks.js';
import { validateFlow } from '../../src/ivr/validate.js';
import type { UasSession } from '../../src/sip/uas.js';
import type { InboundQueue } from '../../src/store/schema.js';
import { type FakeEndpoint, type Kit, kit, settle } from './flow-kit.js';

const tenant = {
  id: 1,
  sip_domain: 't.example',
  max_concurrent_calls: 10,
  max_calls_per_second: 10,
  allow_international: 0,
  allow_premium: 0,
} as CallTenant;
const trunk = { id: 1, tenant_id: 1, host: '127.0.0.1', port: 5099, transport: 'udp', allowed_ips: '[]' };

/** Callback rows in memory, with every change kept in order. */
class MemoryCallbacks implements CallbackStore {
  readonly rows = new Map<number, Callback>();
  readonly changes: string[] = [];
  create(c: Parameters<CallbackStore['create']>[0]): Promise<Callback> {
    const cb: Callback = {
      ...c,
      id: this.rows.size + 1,
      state: 'waiting',
      attempts: 0,
      nextAttemptAt: null,
      agentId: null,
      outcome: null,
      createdAt: 0,
      updatedAt: 0,
    };
    this.rows.set(cb.id, cb);
    return Promise.resolve({ ...cb });
  }
  update(_t: number, id: number, ch: CallbackChange): Promise<void> {
    Object.assign(this.rows.get(id)!, ch);
    this.changes.push(ch.state);
    return Promise.resolve();
  }
  open(): Promise<Callback[]> {
    return Promise.resolve([...this.rows.values()].filter((r) => !['completed', 'failed'].includes(r.state)));
  }
}

function setup(queue: Partial<InboundQueue>) {
  const k = kit(new FakeClock(0), {
    callback_enabled: 1,
    callback_key: '1',
    callback_max_attempts: 3,
    callback_retry_sec: 30,
    ...queue,
  });
  const driver = k.driver([]); // logged in, not ready: callers wait
  const rows = new MemoryCallbacks();
  const routing = {
    agentDestination: () => Promise.resolve({ kind: 'invalid' as const }),
    outboundTrunk: () => Promise.resolve(trunk),
    tenant: () => Promise.resolve(tenant as never),
  };
  const location = { lookup: (_t: number, agentId: number) => [k.binding(agentId)] };
  const callbacks = new CallbackFlow({
    store: rows,
    driver,
    core: k.core,
    legB: k.legB,
    follower: k.follower,
    routing,
    location,
    media: k.media,
    bus: k.bus,
    clock: k.clock,
    hostport: () => '127.0.0.1:5060',
    publicIp: () => '127.0.0.1',
    dataDir: mkdtempSync(join(tmpdir(), 'tongdai-callback-')),
    logger: k.legB.logger,
  });
  const flow = new QueueFlow({
    legB: k.legB,
    follower: k.follower,
    driver,
    store: k.store,
    statuses: { setCustomStatus: () => Promise.resolve([]) },
    routing,
    location,
    hostport: () => '127.0.0.1:5060',
    dataDir: '/nonexistent',
    clock: k.clock,
    callbacks,
  });
  return { k, driver, rows, callbacks, flow };
}

async function waiting(k: Kit, flow: QueueFlow, callerNumber = '0901234567') {
  const { call, a } = k.call({ queueId: 4, callerNumber, calleeNumber: '02873019555' });
  const session = { answer: () => undefined, progress: () => undefined } as unknown as UasSession;
  const inc: Incoming = { call, session, side: a, answerSdp: 'v=0' };
  await flow.enter(inc, 4, callerNumber);
  await settle();
  return { call, ep: a.media.endpoint as FakeEndpoint };
}

const cbEvents = (k: Kit) => k.events.filter((e) => e.type.startsWith('callback.')).map((e) => e.type);
const prompts = (ep: FakeEndpoint) => ep.prompts.map((p) => p.map((f) => basename(f, '.wav')).join(' '));

describe('queued callback on a FakeClock', () => {
  it('key 1: confirmed and hung up; the agent rings first, then the customer through the trunk', async () => {
    const { k, driver, rows, flow } = setup({});
    const { call, ep } = await waiting(k, flow);
    ep.press('2');
    await settle();
    assert.equal(rows.rows.size, 0, 'another key does nothing');
    ep.press('1');
    await settle();
    assert.equal(prompts(ep).at(-1), 'callback-confirmed');
    assert.equal(call.state, 'ended', 'the caller is hung up after the confirmation');
    const cb = rows.rows.get(1)!;
    assert.deepEqual(
      [cb.number, cb.callerId, cb.state, cb.callId],
      ['0901234567', '02873019555', 'waiting', call.callId],
    );
    assert.equal(k.dialer.attempts.length, 0, 'nobody is ready yet');
    // Agent 7 becomes ready: the callback, still in its place, is offered to the agent's phone.
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'ready' });
    await settle();
    const agentLeg = k.dialer.attempts[0]!;
    assert.equal(agentLeg.targets[0]!.requestUri, 'sip:1007@127.0.0.1:5070');
    assert.match(agentLeg.from, /0901234567/, "the agent sees the customer's number");
    agentLeg.answer();
    await settle();
    const customer = k.dialer.attempts[1]!;
    assert.equal(customer.targets[0]!.requestUri, 'sip:0901234567@127.0.0.1:5099', 'through the trunk');
    assert.match(customer.from, /02873019555/, "with the queue's caller id (the DID dialled)");
    assert.equal(rows.rows.get(1)!.state, 'dialing');
    customer.answer();
    await settle();
    assert.equal(rows.rows.get(1)!.state, 'completed');
    assert.equal(rows.rows.get(1)!.attempts, 1);
    assert.deepEqual(cbEvents(k), ['callback.requested', 'callback.offered', 'callback.completed']);
    const abandoned = driver.acd.queueStats(4)!.abandoned;
    assert.equal(abandoned, 0, 'the caller who asked for a callback did not abandon');
    agentLeg.bye();
    await settle();
    driver.stop();
  });

  it('busy and no answer are retried after 30 s then 60 s; the third miss fails the callback', async () => {
    const { k, driver, rows, flow, callbacks } = setup({ wrapup_sec: 10 });
    const { ep } = await waiting(k, flow);
    ep.press('1');
    await settle();
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'ready' });
    await settle();
    const attempt = async (status: number) => {
      const agentLeg = k.dialer.last;
      assert.equal(agentLeg.targets[0]!.requestUri, 'sip:1007@127.0.0.1:5070', 'the agent first');
      agentLeg.answer();
      await settle();
      const customer = k.dialer.last;
      assert.match(customer.targets[0]!.requestUri, /^sip:0901234567@/);
      customer.fail(status);
      await settle();
    };
    await attempt(486);
    assert.ok(k.follower.steps.includes('7:Wrap-up'), `the agent wraps up: ${k.follower.steps.join(' ')}`);
    let cb = rows.rows.get(1)!;
    assert.deepEqual(
      [cb.state, cb.attempts, cb.nextAttemptAt, cb.outcome],
      ['retry_wait', 1, 30_000, 'busy'],
    );
    const before = k.dialer.attempts.length;
    k.clock.advance(29_999);
    await settle();
    assert.equal(k.dialer.attempts.length, before, 'nothing rings before the back-off is over');
    k.clock.advance(1);
    await settle();
    assert.equal(k.dialer.attempts.length, before + 1, 'the agent rings again at 30 s');
    await attempt(480);
    cb = rows.rows.get(1)!;
    assert.deepEqual([cb.state, cb.attempts, cb.nextAttemptAt], ['retry_wait', 2, 30_000 + 60_000]);
    k.clock.advance(59_999);
    await settle();
    assert.equal(k.dialer.attempts.length, before + 2);
    k.clock.advance(1);
    await settle();
    await attempt(408);
    cb = rows.rows.get(1)!;
    assert.deepEqual([cb.state, cb.attempts, cb.outcome], ['failed', 3, 'no_answer']);
    assert.equal(cbEvents(k).at(-1), 'callback.failed');
    assert.equal(callbacks.active.length, 0);
    k.clock.advance(600_000);
    await settle();
    assert.equal(k.dialer.attempts.length, before + 4, 'nothing after the limit');
    driver.stop();
    callbacks.stop();
  });

  it('a barred callback number is refused at the key press with a prompt; the caller keeps waiting', async () => {
    const { k, driver, rows, flow } = setup({});
    const { call, ep } = await waiting(k, flow, '00441632960000');
    ep.press('1');
    await settle();
    assert.equal(prompts(ep).at(-1), 'callback-refused');
    assert.equal(rows.rows.size, 0, 'nothing saved');
    assert.equal(call.state, 'queued', 'still waiting');
    call.end('ORIGINATOR_CANCEL', 'caller', {});
    await settle();
    driver.stop();
  });

  it('a queue without callbacks ignores the key', async () => {
    const { k, driver, rows, flow } = setup({ callback_enabled: 0 });
    const { call, ep } = await waiting(k, flow);
    ep.press('1');
    await settle();
    assert.equal(rows.rows.size, 0);
    assert.equal(call.state, 'queued');
    call.end('ORIGINATOR_CANCEL', 'caller', {});
    await settle();
    driver.stop();
  });

  it('after a restart the open callbacks go back in their queues, a pending retry at its time', async () => {
    const { k, driver, rows, callbacks } = setup({});
    rows.rows.set(1, {
      id: 1,
      tenantId: 1,
      queueId: 4,
      number: '0901234567',
      callId: 'old-call',
      enteredAt: 0,
      callerId: '02873019555',
      state: 'dialing',
      attempts: 1,
      nextAttemptAt: null,
      agentId: 7,
      outcome: null,
      createdAt: 0,
      updatedAt: 0,
    });
    rows.rows.set(2, {
      ...rows.rows.get(1)!,
      id: 2,
      state: 'retry_wait',
      nextAttemptAt: 10_000,
      agentId: null,
    });
    assert.equal(await callbacks.resume(), 2);
    await settle();
    assert.equal(rows.rows.get(1)!.state, 'waiting', 'the interrupted attempt waits again');
    assert.equal(rows.rows.get(2)!.state, 'retry_wait');
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'ready' });
    await settle();
    assert.equal(k.dialer.attempts.length, 1, 'the first is offered to the agent');
    k.clock.advance(10_000);
    await settle();
    assert.equal(rows.rows.get(2)!.state, 'waiting', 'the second re-entered at its retry time');
    driver.stop();
    callbacks.stop();
  });
});

describe('a callback keeps its place across a restart (FakeClock)', () => {
  it('callbacks put back after a restart go before a caller who arrived after them, in the order of their places', async () => {
    const { k, driver, rows, flow, callbacks } = setup({});
    k.clock.advance(300_000);
    const row = (id: number, number: string, c: Partial<Callback>): Callback => ({
      id,
      tenantId: 1,
      queueId: 4,
      number,
      callId: `old-${id}`,
      enteredAt: 0,
      callerId: '02873019555',
      state: 'waiting',
      attempts: 0,
      nextAttemptAt: null,
      agentId: null,
      outcome: null,
      createdAt: 0,
      updatedAt: 0,
      ...c,
    });
    // Read back oldest entered_at first (openCallbacks); their places are not in that order.
    rows.rows.set(1, row(1, '0901000001', { enteredAt: 100_000, attempts: 1, nextAttemptAt: 280_000 }));
    rows.rows.set(2, row(2, '0901000002', { enteredAt: 200_000 }));
    rows.rows.set(3, row(3, '0901000003', { enteredAt: 250_000, state: 'dialing', attempts: 1, agentId: 7 }));
    // The process starts: a caller rings in before the open callbacks are back in the queue.
    const live = await waiting(k, flow, '0907654321');
    assert.equal(await callbacks.resume(), 3);
    await settle();
    const order = driver.acd.waitingCalls(4).map((w) => w.callerNumber);
    assert.deepEqual(order, ['0901000002', '0901000003', '0901000001', '0907654321']);
    const waits = driver.acd.waitingCalls(4).map((w) => w.waitSec);
    assert.deepEqual(waits, [100, 50, 20, 0], 'their waits count from their places');
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'ready' });
    await settle();
    assert.match(k.dialer.last.from, /0901000002/, 'the agent is offered the oldest place first');
    live.call.end('ORIGINATOR_CANCEL', 'caller', {});
    await settle();
    driver.stop();
    callbacks.stop();
  });

  it('a retry re-enters at its due time: behind a caller already waiting, and its place survives a restart', async () => {
    const { k, driver, rows, flow, callbacks } = setup({});
    const first = await waiting(k, flow);
    first.ep.press('1');
    await settle();
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'ready' });
    await settle();
    k.dialer.last.answer();
    await settle();
    k.dialer.last.fail(486); // busy: retry at 30 s
    await settle();
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'not_ready' });
    await settle();
    k.clock.advance(10_000);
    const other = await waiting(k, flow, '0907654321'); // arrives at 10 s, before the retry is due
    k.clock.advance(20_000);
    await settle();
    assert.equal(rows.rows.get(1)!.state, 'waiting');
    assert.equal(rows.rows.get(1)!.nextAttemptAt, 30_000, 'the place of the retry is kept on the row');
    assert.deepEqual(
      driver.acd.waitingCalls(4).map((w) => w.callerNumber),
      ['0907654321', '0901234567'],
    );
    other.call.end('ORIGINATOR_CANCEL', 'caller', {});
    await settle();
    driver.stop();
    callbacks.stop();
    // Restart on the same rows: a new caller at 40 s stays behind the retry's place (30 s).
    const again = setup({});
    for (const [id, cb] of rows.rows) again.rows.rows.set(id, { ...cb });
    again.k.clock.advance(40_000);
    const late = await waiting(again.k, again.flow, '0907777777');
    await again.callbacks.resume();
    await settle();
    assert.deepEqual(
      again.driver.acd.waitingCalls(4).map((w) => w.callerNumber),
      ['0901234567', '0907777777'],
    );
    late.call.end('ORIGINATOR_CANCEL', 'caller', {});
    await settle();
    again.driver.stop();
    again.callbacks.stop();
  });
});

describe('queued callback and the queue max wait', () => {
  it('a waiting callback is not timed out of the queue; a caller on the line is', async () => {
    const { k, driver, rows, flow, callbacks } = setup({ max_wait_sec: 30 });
    const { ep } = await waiting(k, flow);
    ep.press('1');
    await settle();
    const other = await waiting(k, flow, '0907654321');
    k.clock.advance(30_000);
    await settle();
    assert.equal(other.call.state, 'ended', 'the caller on the line reached the max wait');
    k.clock.advance(600_000);
    await settle();
    assert.equal(rows.rows.get(1)!.state, 'waiting', 'the callback still waits for its turn');
    assert.deepEqual(cbEvents(k), ['callback.requested']);
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'ready' });
    await settle();
    assert.equal(
      k.dialer.last.targets[0]!.requestUri,
      'sip:1007@127.0.0.1:5070',
      'offered when its turn came',
    );
    driver.stop();
    callbacks.stop();
  });
});

describe("an IVR menu's callback branch", () => {
  const MENU = {
    language: 'en',
    start: 'main',
    nodes: {
      main: { type: 'menu', prompt: ['welcome'], options: { '3': { type: 'callback', queueId: 4 } } },
    },
  };

  async function inFlow(callerNumber: string) {
    const base = setup({ callback_caller_id: '02873019000' });
    const { k, flow, callbacks } = base;
    k.store.flows.set(1, { flowId: 1, version: 1, flow: validateFlow(MENU) });
    const ivr = new IvrFlows({
      store: k.store,
      queues: flow,
      callbacks,
      direct: { legB: k.legB, follower: k.follower },
      routing: {
        agentDestination: () => Promise.resolve({ kind: 'invalid' }),
        outboundTrunk: () => Promise.resolve(trunk),
        tenant: () => Promise.resolve(tenant as never),
      },
      location: { lookup: () => [] },
      promptFile: (_t, lang, p) => `${lang}/${p}`,
      hostport: () => '127.0.0.1:5060',
      clock: k.clock,
      logger: k.legB.logger,
    });
    const { call, a } = k.call({ callerNumber, calleeNumber: '02873019555', didNumber: '02873019555' });
    const session = { answer: () => undefined, progress: () => undefined } as unknown as UasSession;
    await ivr.enter({ call, session, side: a, answerSdp: 'v=0' }, 1);
    await settle();
    return { ...base, call, ep: a.media.endpoint as FakeEndpoint };
  }

  it("the key asks for a callback in queue 4: confirmed, hung up as IVR, offered to the agent with the queue's caller id", async () => {
    const { k, driver, rows, callbacks, call, ep } = await inFlow('0901234567');
    ep.press('3');
    await settle();
    assert.deepEqual(ep.prompts.slice(1), [['en/callback-confirmed']]);
    assert.equal(call.state, 'ended');
    const row = k.store.rows.get(call.callId)!;
    assert.deepEqual([row.end?.reason, row.end?.statusDetail], ['IVR: callback requested', 'IVR']);
    const cb = rows.rows.get(1)!;
    assert.deepEqual(
      [cb.queueId, cb.number, cb.callId, cb.callerId, cb.state],
      [4, '0901234567', call.callId, '02873019000', 'waiting'],
    );
    driver.feed({ type: 'agent_availability', tenantId: 1, agentId: 7, presence: 'ready' });
    await settle();
    const agentLeg = k.dialer.last;
    assert.equal(agentLeg.targets[0]!.requestUri, 'sip:1007@127.0.0.1:5070', 'the agent rings first');
    agentLeg.answer();
    await settle();
    assert.equal(k.dialer.last.targets[0]!.requestUri, 'sip:0901234567@127.0.0.1:5099');
    assert.match(k.dialer.last.from, /02873019000/);
    assert.deepEqual(cbEvents(k), ['callback.requested', 'callback.offered']);
    driver.stop();
    callbacks.stop();
  });

  it('a number the destination rules bar is refused at the key with a prompt and waits in the queue instead', async () => {
    const { k, driver, rows, call, ep } = await inFlow('00441632960000');
    ep.press('3');
    await settle();
    assert.deepEqual(ep.prompts.slice(1)[0], ['en/callback-refused']);
    assert.equal(rows.rows.size, 0, 'nothing saved');
    assert.equal(call.state, 'queued', 'the caller waits in queue 4');
    assert.equal(cbEvents(k).length, 0);
    call.end('ORIGINATOR_CANCEL', 'caller', {});
    await settle();
    driver.stop();
  });
});
