/**
 * Transfers as real softphones send them, on the server's default settings: baresip's blind transfer (its menu's
 * `transfer` command: an in-dialog REFER, RFC 3515) and linphone's blind and attended transfer (`transfer <id>
 * --to-call <id>`: REFER with Replaces, RFC 3891). The customer is a sipp carrier call whose audio is a test socket
 * sending its own tone; each phone plays its own tone file. Who hears whom before and after the transfer proves the
 * media followed the signalling.
 */
import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { Call } from '../../src/calls/call.js';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { ABSENT, HEARD, TonePhone, toneAmplitude } from '../media/tones.js';
import { Baresip } from '../sip/helpers/baresip.js';
import { Linphone } from '../sip/helpers/linphone.js';
import { closedCall, freeMediaPort } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, sleep, waitFor } from '../sip/helpers/peers.js';

const FIXTURES = fileURLToPath(new URL('../media/fixtures/', import.meta.url));
const TONES = { customer: 500, first: 1100, second: 1900 };
const skipBaresip = (await requireTool('baresip')) || (await requireTool('sipp'));
const skipLinphone = (await requireTool('linphonec')) || (await requireTool('sipp'));

describe('transfers from real softphones', () => {
  let s: TestServer;
  const peers = new Peers();
  const cleanups: (() => Promise<unknown> | void)[] = [];
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0 }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
  });
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
    peers.killAll();
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  const api = (path: string, method = 'GET') =>
    call(`${s.url}${path}`, { method, headers: { 'x-api-key': s.demo.api_key } });
  const status = async (index: number) =>
    (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [s.demo.agents[index]!.agent_id]))[0]?.status;

  /** A carrier call from `caller` to the hotline; its audio is a test socket sending the customer's tone. */
  async function customer(caller: string) {
    const audio = await new TonePhone(TONES.customer, 'PCMA').open();
    audio.talkBack();
    cleanups.push(() => audio.close());
    const csv = peers.csv(`customer-${caller}.csv`, [[s.demo.hotline, caller]]);
    peers.sippRun(
      `127.0.0.1:${s.t.sipPort}`,
      [
        '-sf',
        FIXTURES + 'tone-customer.xml',
        '-inf',
        csv,
        '-p',
        String(await freeUdpPort()),
        '-mp',
        String(await freeMediaPort()),
        '-key',
        'rtpport',
        String(audio.port),
        '-d',
        '120000',
        '-m',
        '1',
      ],
      150_000,
    );
    return audio;
  }

  /** The live call of `caller` once `ok` holds for it. */
  const liveCall = (caller: string, ok: (c: Call) => boolean, what: string) =>
    waitFor(
      () =>
        [...s.t.telephony.core.calls.values()].find(
          (c: Call) => c.record.start.callerNumber === caller && ok(c),
        ),
      30_000,
      what,
    );

  /**
   * What the customer hears, in 600 ms windows until `ok` holds (up to ~6 s: a loaded machine's first packets can
   * trail the signalling), then that last measurement.
   */
  async function customerHears(audio: TonePhone, ok: (h: Record<string, number>) => boolean) {
    let h: Record<string, number> = {};
    for (let i = 0; i < 10; i++) {
      const from = performance.now() + 200;
      await sleep(800);
      h = audio.tonesSince(from, TONES, performance.now());
      if (ok(h)) break;
    }
    return h;
  }

  /** The amplitude of each tone in the last `ms` of what a phone played out. */
  const lastHeard = (pcm: Int16Array, ms = 1500) => {
    const tail = pcm.subarray(Math.max(0, pcm.length - ms * 8));
    return Object.fromEntries(
      Object.entries(TONES).map(([k, hz]) => [k, Math.round(toneAmplitude(tail, hz))]),
    );
  };

  /** Agent `index`'s phone registered, then set away (Lunch), so the queue offers the call to the other agent only. */
  async function away(index: number) {
    await waitFor(async () => (await status(index)) === 'Available', 30_000, `agent ${index} available`);
    await s.t.ctx.statuses.setCustomStatus(
      s.demo.tenant_id,
      [s.demo.agents[index]!.agent_id],
      'Lunch',
      'test',
    );
  }

  it(
    'baresip blind transfer: agent 1001 REFERs the caller to 1002; the caller then hears 1002 only',
    { skip: skipBaresip },
    async () => {
      const [a0, a1] = s.demo.agents;
      const first = await Baresip.start(peers, s, a0!, { hz: TONES.first });
      const second = await Baresip.start(peers, s, a1!, { hz: TONES.second });
      cleanups.push(
        () => first.quit(),
        () => second.quit(),
      );
      await first.registered(s, a0!);
      await second.registered(s, a1!);
      await away(1);

      const audio = await customer('0909666001');
      const live = await liveCall('0909666001', (c) => c.state === 'bridged', 'the caller bridged to 1001');
      assert.equal(live.record.agentId, a0!.agent_id);
      let h = await customerHears(audio, (x) => x.first! >= HEARD);
      assert.ok(
        h.first! >= HEARD && h.second! <= ABSENT,
        `before: the caller hears 1001 only ${JSON.stringify(h)}`,
      );

      const r = await first.command('transfer', `sip:${a1!.extension}@${s.demo.sip_domain}`);
      assert.ok(r.ok, `baresip accepted the transfer command: ${r.data}`);
      await waitFor(
        () => live.state === 'bridged' && live.record.agentId === a1!.agent_id,
        30_000,
        'the caller bridged to 1002',
      ).catch((e: Error) => {
        throw new Error(`${e.message} (state ${live.state}); baresip 1001:\n${first.output.slice(-2000)}`);
      });
      h = await customerHears(audio, (x) => x.second! >= HEARD && x.first! <= ABSENT);
      assert.ok(
        h.second! >= HEARD && h.first! <= ABSENT,
        `after: the caller hears 1002 only ${JSON.stringify(h)}`,
      );
      await sleep(1000);
      const got = lastHeard(second.heard());
      assert.ok(got.customer! >= HEARD / 2, `1002 hears the caller: ${JSON.stringify(got)}`);
      assert.ok(got.first! <= ABSENT, `1002 does not hear 1001: ${JSON.stringify(got)}`);
      await waitFor(async () => (await status(1)) === 'In-call', 10_000, '1002 In-call');
      await waitFor(async () => (await status(0)) === 'Available', 10_000, '1001 released (no wrap-up here)');

      const detail = (await api(`/api/calls/${live.callId}`)).body;
      assert.deepEqual(
        detail.transfers?.map((t: { from_agent_id: number; outcome: string }) => [
          t.from_agent_id,
          t.outcome,
        ]),
        [[a0!.agent_id, 'done']],
        JSON.stringify(detail),
      );
      assert.equal((await api(`/api/calls/${live.callId}/hangup`, 'POST')).status, 200);
      const rec = await closedCall(s, 'call_id', live.callId);
      assert.equal(rec.agent_id, a1!.agent_id, 'the record names the agent who finished the call');
      assert.equal(rec.status_detail, 'SUCCESS');
      // The stored record keeps the transfer history once the call has ended.
      const ended = (await api(`/api/calls/${live.callId}`)).body;
      assert.deepEqual(
        ended.transfers?.map((t: { from_agent_id: number; outcome: string }) => [t.from_agent_id, t.outcome]),
        [[a0!.agent_id, 'done']],
        JSON.stringify(ended),
      );
    },
  );

  /** A linphone phone (auto-answer) for agent `index`, registered and logged in. */
  async function linphone(index: number, hz: number) {
    const agent = s.demo.agents[index]!;
    const phone = await Linphone.start(peers, s, agent, { hz });
    cleanups.push(() => phone.quit());
    await waitFor(
      async () => (await status(index)) === 'Available',
      30_000,
      `linphone ${agent.extension} registered`,
    ).catch((e: Error) => {
      throw phone.explain(e);
    });
    return phone;
  }

  /**
   * Linphone for 1001, baresip for 1002 (registered, then away so the queue offers 1001 only), and a customer call
   * from `caller` bridged to 1001, whose tone the caller hears.
   */
  async function linphoneCallWithAgent1Away(caller: string) {
    const a1 = s.demo.agents[1]!;
    const first = await linphone(0, TONES.first);
    const second = await Baresip.start(peers, s, a1, { hz: TONES.second });
    cleanups.push(() => second.quit());
    await second.registered(s, a1);
    await away(1);
    const audio = await customer(caller);
    const live = await liveCall(caller, (c) => c.state === 'bridged', 'the caller bridged to 1001');
    const h = await customerHears(audio, (x) => x.first! >= HEARD);
    assert.ok(h.first! >= HEARD, `before: the caller hears linphone 1001 ${JSON.stringify(h)}`);
    return { first, second, live, audio };
  }

  it(
    'linphone blind transfer (`transfer <uri>`): the caller goes to 1002',
    { skip: skipLinphone || skipBaresip },
    async () => {
      const [a0, a1] = s.demo.agents;
      const { first, live, audio } = await linphoneCallWithAgent1Away('0909666002');
      assert.equal(live.record.agentId, a0!.agent_id);

      first.send(`transfer sip:${a1!.extension}@${s.demo.sip_domain}`);
      await waitFor(
        () => live.state === 'bridged' && live.record.agentId === a1!.agent_id,
        30_000,
        'the caller bridged to 1002',
      ).catch((e: Error) => {
        throw first.explain(new Error(`${e.message} (state ${live.state})`));
      });
      const h = await customerHears(audio, (x) => x.second! >= HEARD && x.first! <= ABSENT);
      assert.ok(
        h.second! >= HEARD && h.first! <= ABSENT,
        `after: the caller hears 1002 only ${JSON.stringify(h)}`,
      );
      assert.match(first.log(), /REFER sip:/, 'linphone sent a REFER');
      assert.equal((await api(`/api/calls/${live.callId}/hangup`, 'POST')).status, 200);
      const rec = await closedCall(s, 'call_id', live.callId);
      assert.equal(rec.agent_id, a1!.agent_id);
    },
  );

  it(
    'linphone attended transfer: 1001 holds the caller, consults 1002, then `transfer 1 --to-call 2` (REFER with Replaces)',
    { skip: skipLinphone || skipBaresip },
    async () => {
      const [a0, a1] = s.demo.agents;
      const { first, second, live, audio } = await linphoneCallWithAgent1Away('0909666003');
      let h: Record<string, number>;

      // The consultation: linphone holds call 1 (`pause`: a re-INVITE, sendonly) and calls 1002.
      first.send('pause 1');
      await waitFor(() => live.state === 'held', 15_000, 'the caller held').catch((e: Error) => {
        throw first.explain(e);
      });
      h = await customerHears(audio, (x) => x.first! <= ABSENT && x.second! <= ABSENT);
      assert.ok(
        h.first! <= ABSENT && h.second! <= ABSENT,
        `held: the caller hears neither agent ${JSON.stringify(h)}`,
      );
      first.send(`call sip:${a1!.extension}@${s.demo.sip_domain}`);
      const consult = await waitFor(
        () =>
          [...s.t.telephony.core.calls.values()].find(
            (c: Call) => c.state === 'bridged' && c.record.start.callerAgentId === a0!.agent_id,
          ),
        30_000,
        'the consultation call 1001 → 1002 bridged',
      ).catch((e: Error) => {
        throw first.explain(e);
      });
      assert.equal(live.state, 'held', 'the caller stays held during the consultation');

      // linphone transfers to an established call only: wait until it says call 2 is connected.
      await waitFor(
        () => /Call 2 with [^\n]* connected/.test(first.output),
        15_000,
        'linphone: call 2 connected',
      ).catch((e: Error) => {
        throw first.explain(e);
      });
      first.send('transfer 1 --to-call 2');
      await waitFor(
        () => live.state === 'bridged' && live.record.agentId === a1!.agent_id,
        30_000,
        'the caller bridged to 1002 (attended)',
      ).catch((e: Error) => {
        throw first.explain(new Error(`${e.message} (state ${live.state})`));
      });
      assert.match(first.log(), /Refer-To: [^\n]*Replaces=/i, 'linphone sent a REFER with Replaces');
      await waitFor(() => consult.state === 'ended', 10_000, 'the consultation call ended');
      h = await customerHears(audio, (x) => x.second! >= HEARD && x.first! <= ABSENT);
      assert.ok(
        h.second! >= HEARD && h.first! <= ABSENT,
        `after: the caller hears 1002 only ${JSON.stringify(h)}`,
      );
      await sleep(1000);
      const got = lastHeard(second.heard());
      assert.ok(got.customer! >= HEARD / 2, `1002 hears the caller: ${JSON.stringify(got)}`);
      assert.ok(got.first! <= ABSENT, `1002 no longer hears 1001: ${JSON.stringify(got)}`);
      await waitFor(async () => (await status(0)) === 'Available', 10_000, '1001 released');
      assert.equal(await status(1), 'In-call');
      assert.equal((await api(`/api/calls/${live.callId}/hangup`, 'POST')).status, 200);
      const rec = await closedCall(s, 'call_id', live.callId);
      assert.equal(rec.agent_id, a1!.agent_id, 'the record names the consulted agent who finished the call');
      assert.equal(rec.status_detail, 'SUCCESS');
      // 1002 was away (Lunch) when consulted: after the call it is back in that status, not made Available.
      await waitFor(async () => (await status(1)) === 'Lunch', 10_000, '1002 back to Lunch').catch(
        async (e: Error) => {
          throw new Error(`${e.message}: ${await status(1)}`);
        },
      );
    },
  );
});
