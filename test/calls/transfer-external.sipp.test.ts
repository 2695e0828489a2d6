/**
 * Transfer to an external number through the tenant's trunk, with real peers: a sipp customer (its audio a test
 * socket sending 500 Hz) queued to agent 0's sipp phone (RTP echo), handed to a sipp carrier on the demo trunk's
 * port (its audio a test socket sending 1900 Hz) by the phone's REFER and by the native API. The carrier takes the
 * INVITE only for the dialled number with the agent's trunk caller id in From (the callout queue's, the demo
 * hotline), as an agent's own outbound call shows. Tones prove the customer is then bridged to the carrier.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { DEMO_HOTLINE } from '../../src/domain/demo.js';
import { bumpRevision, updateTenantLimits } from '../../src/domain/tenants.js';
import { parseWav } from '../../src/media/wav.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { ABSENT, HEARD, TonePhone, toneAmplitude } from '../media/tones.js';
import { closedCall, freeMediaPort, startAgent } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, sleep, waitFor } from '../sip/helpers/peers.js';

const skip = await requireTool('sipp');
const MEDIA = fileURLToPath(new URL('../media/fixtures/', import.meta.url));
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const TONES = { customer: 500, carrier: 1900 };
const NUMBER = '0901234567';
const WRAPUP_SEC = 6;

describe('transfer to an external number through the trunk (real peers)', { skip }, () => {
  let s: TestServer;
  let trunkPort: number;
  const peers = new Peers();
  const sockets: TonePhone[] = [];
  before(async () => {
    trunkPort = await freeUdpPort();
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(trunkPort) } });
    // Long enough to see agent 0 wrap up after handing the call over, short enough for the next test.
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: WRAPUP_SEC }).execute();
    // Recordings stay WAV so the test reads each segment's channels.
    await updateTenantLimits(s.t.ctx.db, s.demo.tenant_id, { recordingFormat: 'wav' });
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
  });
  afterEach(() => {
    peers.killAll();
    for (const t of sockets.splice(0)) t.close();
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  const get = (path: string) => call(`${s.url}${path}`, { headers: { 'x-api-key': s.demo.api_key } });
  const post = (path: string, body?: unknown) =>
    call(`${s.url}${path}`, { method: 'POST', headers: { 'x-api-key': s.demo.api_key }, body });
  const status = async () =>
    (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [s.demo.agents[0]!.agent_id]))[0]?.status;

  const tone = async (hz: number, law: 'PCMA' | 'PCMU') => {
    const t = await new TonePhone(hz, law).open();
    sockets.push(t);
    return t;
  };

  /**
   * The customer calling the hotline through the trunk, its audio a test socket's. It talks from the start (to the
   * port of tongdai's endpoint for it): agent 0's phone only echoes, so someone has to speak first.
   */
  async function customer(caller: string) {
    const audio = await tone(TONES.customer, 'PCMA');
    const csv = peers.csv(`customer-${caller}.csv`, [[s.demo.hotline, caller]]);
    const run = peers.sippRun(
      `127.0.0.1:${s.t.sipPort}`,
      [
        ...['-sf', MEDIA + 'tone-customer.xml', '-inf', csv, '-p', String(await freeUdpPort())],
        ...[
          '-mp',
          String(await freeMediaPort()),
          '-key',
          'rtpport',
          String(audio.port),
          '-d',
          '60000',
          '-m',
          '1',
        ],
      ],
      90_000,
    );
    const live = await waitFor(
      () => [...s.t.telephony.core.calls.values()].find((c) => c.record.start.callerNumber === caller),
      30_000,
      `the call from ${caller}`,
    );
    audio.talk(live.a.media.endpoint.localPort);
    return { audio, run };
  }

  /** The carrier: answers only an INVITE for NUMBER whose From carries `callerId`. */
  async function carrier(callerId: string) {
    const audio = await tone(TONES.carrier, 'PCMU');
    audio.talkBack();
    const sf = peers.scenario(FIXTURES + 'carrier-tone.xml', { NUMBER, CALLER_ID: callerId });
    const run = peers.sippRun(
      `127.0.0.1:${s.t.sipPort}`,
      [
        ...['-sf', sf, '-p', String(trunkPort), '-mp', String(await freeMediaPort())],
        ...['-key', 'rtpport', String(audio.port), '-d', '200', '-m', '1'],
      ],
      90_000,
    );
    return { audio, run };
  }

  /** What `audio` hears in 800 ms windows until `ok` holds (a loaded machine's first packets can trail), or the last. */
  async function hears(audio: TonePhone, ok: (h: Record<string, number>) => boolean) {
    let h: Record<string, number> = {};
    for (let i = 0; i < 10; i++) {
      const from = performance.now() + 200;
      await sleep(800);
      h = audio.tonesSince(from, TONES, performance.now());
      if (ok(h)) break;
    }
    return h;
  }

  /** The live call of `caller` once bridged to agent 0 (the agent's phone echoes: the customer hears itself). */
  async function bridgedToAgent(caller: string, audio: TonePhone) {
    const live = await waitFor(
      async () => {
        const c = (await get(`/api/calls?state=active&caller=${caller}`)).body.items?.[0];
        return c?.state === 'bridged' ? c : null;
      },
      30_000,
      'the customer bridged to agent 0',
    );
    assert.equal(live.agent_id, s.demo.agents[0]!.agent_id);
    const h = await hears(audio, (x) => x.customer! >= HEARD);
    assert.ok(
      h.customer! >= HEARD && h.carrier! <= ABSENT,
      `before: agent 0's echo only ${JSON.stringify(h)}`,
    );
    return live.call_id as string;
  }

  /** After the transfer: the customer and the carrier hear each other, and nothing of agent 0's echo. */
  async function bridgedToCarrier(id: string, cust: TonePhone, carr: TonePhone) {
    const live = await waitFor(
      async () => {
        const c = (await get(`/api/calls/${id}`)).body;
        return c.state === 'bridged' && c.transfers?.[0]?.outcome === 'done' ? c : null;
      },
      30_000,
      'the customer bridged to the carrier',
    );
    const h = await hears(cust, (x) => x.carrier! >= HEARD && x.customer! <= ABSENT);
    assert.ok(h.carrier! >= HEARD && h.customer! <= ABSENT, `after: the carrier only ${JSON.stringify(h)}`);
    const c = await hears(carr, (x) => x.customer! >= HEARD);
    assert.ok(c.customer! >= HEARD, `the carrier hears the customer ${JSON.stringify(c)}`);
    return live;
  }

  async function wrapsUp() {
    await waitFor(async () => (await status()) === 'Wrap-up', 10_000, 'agent 0 in wrap-up');
    await waitFor(async () => (await status()) === 'Available', 30_000, 'agent 0 back after wrap-up');
  }

  it("REFER from agent 0's phone: the carrier gets the number with the hotline as caller id; NOTIFY 200; agent 0 wraps up", async () => {
    const a0 = s.demo.agents[0]!;
    const carr = await carrier(DEMO_HOTLINE);
    const phone = await startAgent(peers, s, 0, 'agent-refer.xml', {
      pauseMs: 6000,
      extra: ['-key', 'refer_to', NUMBER],
    });
    const cust = await customer('0909777001');
    const id = await bridgedToAgent('0909777001', cust.audio);
    const f = await phone.done;
    assert.equal(f.code, 0, 'agent 0 saw 202, NOTIFY 100, NOTIFY 200 OK, BYE: ' + f.stdout.slice(-1500));
    const live = await bridgedToCarrier(id, cust.audio, carr.audio);
    assert.deepEqual(
      live.transfers.map((t: Record<string, unknown>) => [t.from_agent_id, t.to_kind, t.to_number, t.by]),
      [[a0.agent_id, 'number', NUMBER, 'refer']],
    );
    await wrapsUp();
    assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
    const c = await carr.run.done;
    assert.equal(c.code, 0, 'the carrier took the INVITE (number and From checked) and the BYE: ' + c.stdout);
    const rec = await closedCall(s, 'call_id', id);
    assert.equal(rec.status_detail, 'SUCCESS');
  });

  it('the native API: a barred number is 403 in the native shape and the call stays; then the number is reached', async () => {
    const carr = await carrier(DEMO_HOTLINE);
    const phone = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 200 });
    const cust = await customer('0909777002');
    const id = await bridgedToAgent('0909777002', cust.audio);

    const barred = await post(`/api/calls/${id}/transfer`, { number: '+14155550100' });
    assert.equal(barred.status, 403, JSON.stringify(barred.body));
    assert.equal(barred.body.error.code, 'FORBIDDEN');
    assert.match(barred.body.error.message, /international/);
    const still = (await get(`/api/calls/${id}`)).body;
    assert.equal(still.state, 'bridged');
    assert.deepEqual(still.transfers, [], 'nothing rang');
    const h = await hears(cust.audio, (x) => x.customer! >= HEARD);
    assert.ok(h.customer! >= HEARD, `the customer still talks to agent 0 ${JSON.stringify(h)}`);

    const r = await post(`/api/calls/${id}/transfer`, { number: NUMBER });
    assert.equal(r.status, 200, JSON.stringify(r.body));
    const f = await phone.done;
    assert.equal(f.code, 0, 'agent 0 was hung up once the carrier answered: ' + f.stdout.slice(-800));
    const live = await bridgedToCarrier(id, cust.audio, carr.audio);
    assert.deepEqual(
      live.transfers.map((t: Record<string, unknown>) => [t.to_kind, t.to_number, t.by, t.outcome]),
      [['number', NUMBER, 'api', 'done']],
    );
    await wrapsUp();
    assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
    const c = await carr.run.done;
    assert.equal(c.code, 0, 'the carrier took the INVITE (number and From checked) and the BYE: ' + c.stdout);
  });

  it('a recording running at the transfer: one file per segment on the one call (agent 0, then the carrier)', async () => {
    const carr = await carrier(DEMO_HOTLINE);
    const phone = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 200 });
    const cust = await customer('0909777003');
    const id = await bridgedToAgent('0909777003', cust.audio);
    const rec = await post(`/api/calls/${id}/recording`, { action: 'start' });
    assert.equal(rec.status, 200, JSON.stringify(rec.body));
    await sleep(2000);
    assert.equal((await post(`/api/calls/${id}/transfer`, { number: NUMBER })).status, 200);
    assert.equal((await phone.done).code, 0);
    await bridgedToCarrier(id, cust.audio, carr.audio);
    await sleep(1500);
    assert.equal((await post(`/api/calls/${id}/hangup`)).status, 200);
    assert.equal((await carr.run.done).code, 0);

    const db = s.t.ctx.db;
    const rows = await waitFor(
      async () => {
        const r = await db
          .selectFrom('recordings')
          .selectAll()
          .where('call_id', '=', id)
          .orderBy('id')
          .execute();
        return r.length === 2 && r.every((x) => x.state === 'stored') ? r : null;
      },
      30_000,
      'two stored recordings of the call',
    );
    const call = await closedCall(s, 'call_id', id);
    assert.equal(call.recording_id, rows[1]!.id, "the call's recording link names the last segment");
    const channels = (path: string) => {
      const wav = parseWav(readFileSync(isAbsolute(path) ? path : join(s.t.ctx.config.dataDir, path)));
      return wav.channels.map((c) => Int16Array.from(c, (x) => Math.round(x * 32767)));
    };
    const amp = (pcm: Int16Array) => ({
      customer: Math.round(toneAmplitude(pcm, TONES.customer)),
      carrier: Math.round(toneAmplitude(pcm, TONES.carrier)),
    });
    const [l1, r1] = channels(rows[0]!.path).map(amp);
    const [l2, r2] = channels(rows[1]!.path).map(amp);
    const all = JSON.stringify({ l1, r1, l2, r2 });
    assert.ok(
      l1!.customer >= HEARD / 2 && l2!.customer >= HEARD / 2,
      `the customer on the left of both: ${all}`,
    );
    assert.ok(r1!.customer >= HEARD / 2 && r1!.carrier <= ABSENT, `segment 1, right: agent 0's echo: ${all}`);
    assert.ok(r2!.carrier >= HEARD / 2 && r2!.customer <= ABSENT, `segment 2, right: the carrier: ${all}`);
  });
});
