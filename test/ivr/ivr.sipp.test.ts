import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { createInboundQueue, replaceAgentQueues } from '../../src/domain/queues.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { decodeTable, encode } from '../../src/media/g711.js';
import { parseWav, toTelephonyPcm } from '../../src/media/wav.js';
import { ASSETS_DIR } from '../../src/prompts/files.js';
import { inTransaction } from '../../src/store/db.js';
import { type TestServer, call as get, requireTool, startTestServer } from '../helpers/harness.js';
import { signedQuery } from '../antbuddy/helpers.js';
import { type Recorder, record, subscribe } from '../realtime/helpers.js';
import { authToken } from '../antbuddy/helpers.js';
import { udpPeer } from '../media/helpers.js';
import { closedCall, freeMediaPort, startAgent } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';

const skip = await requireTool('sipp');
/** sipp's A-law sample: 236 packets of 30 ms (7.08 s). */
const G711A_PCAP = '/usr/share/sip-tester/g711a.pcap';
const G711A_MS = 236 * 30;

/**
 * The carrier's customer as a sipp scenario: calls field0 from field1 through the trunk (SDP media at `rtpPort`
 * when given, else sipp's own), presses `digit` (sipp's RFC 4733 pcap) after the answer, then either hangs up
 * after -d ms (`bye: 'caller'`) or waits for tongdai's BYE.
 */
function customerScenario(
  dir: string,
  name: string,
  o: { digit?: string; bye: 'caller' | 'tongdai'; rtpPort?: number; audioAfterMs?: number },
) {
  const media = o.rtpPort === undefined ? '[media_port]' : String(o.rtpPort);
  const head = (method: string, cseq: number) => `${method} sip:[field0]@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: "Customer" <sip:[field1]@[local_ip]:[local_port]>;tag=[pid]SIPpTag00[call_number]
      To: <sip:[field0]@[remote_ip]:[remote_port]>${method === 'INVITE' ? '' : '[peer_tag_param]'}
      Call-ID: [call_id]
      CSeq: ${cseq} ${method}
      Max-Forwards: 70`;
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<scenario name="${name}">
  <send retrans="500"><![CDATA[
      ${head('INVITE', 1)}
      Contact: <sip:[field1]@[local_ip]:[local_port]>
      Content-Type: application/sdp
      Content-Length: [len]

      v=0
      o=customer 53655765 2353687637 IN IP[local_ip_type] [local_ip]
      s=-
      c=IN IP[media_ip_type] [media_ip]
      t=0 0
      m=audio ${media} RTP/AVP 8 101
      a=rtpmap:8 PCMA/8000
      a=rtpmap:101 telephone-event/8000
      a=fmtp:101 0-15

  ]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[
      ${head('ACK', 1).replace(/CSeq: 1 ACK/, 'CSeq: 1 ACK')}
      Content-Length: 0

  ]]></send>
  ${o.digit ? `<nop><action><exec play_pcap_audio="/usr/share/sip-tester/dtmf_2833_${o.digit}.pcap"/></action></nop>` : ''}
  ${
    o.audioAfterMs === undefined
      ? ''
      : `<pause milliseconds="${o.audioAfterMs}"/>
  <nop><action><exec play_pcap_audio="${G711A_PCAP}"/></action></nop>`
  }
  ${
    o.bye === 'caller'
      ? `<pause/>
  <send retrans="500"><![CDATA[
      ${head('BYE', 2)}
      Content-Length: 0

  ]]></send>
  <recv response="200" crlf="true"/>`
      : `<recv request="BYE" timeout="30000"/>
  <send><![CDATA[
      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Content-Length: 0

  ]]></send>`
  }
</scenario>`;
  const path = join(dir, `${name}.xml`);
  writeFileSync(path, xml);
  return path;
}

/** The A-law RTP payloads of a pcap (Ethernet, IPv4, UDP), decoded to [-1, 1] samples in order. */
function pcapSpeech(path: string): Float32Array {
  const d = readFileSync(path);
  const table = decodeTable('PCMA');
  const out: number[] = [];
  for (let off = 24; off + 16 <= d.length;) {
    const len = d.readUInt32LE(off + 8);
    const rtp = d.subarray(off + 16 + 42, off + 16 + len);
    for (const b of rtp.subarray(12)) out.push(table[b]! / 32768);
    off += 16 + len;
  }
  return Float32Array.from(out);
}

/** From the first to the last sample above the noise floor, in ms at 8 kHz. */
function soundSpanMs(x: Float32Array): number {
  let first = -1;
  let last = -1;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]!) > 0.01) {
      if (first < 0) first = i;
      last = i;
    }
  }
  return first < 0 ? 0 : ((last - first) / 8000) * 1000;
}

describe('IVR flows on real calls: trunk → number → flow → queue (sipp, RFC 4733 digits)', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  let queue1 = 0;
  let queue2 = 0;
  let didSeq = 0;

  const api = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(s.url + path, {
      method,
      headers: { 'x-api-key': s.demo.api_key, ...(body ? { 'content-type': 'application/json' } : {}) },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Record<string, unknown> };
  };

  /** A fresh number of the demo tenant pointing to a new flow (fresh, so no routing cache stands in the way). */
  async function numberWithFlow(flow: unknown): Promise<string> {
    const did = `0287300${String(100 + didSeq++)}`;
    await s.t.ctx.db
      .insertInto('numbers')
      .values({
        tenant_id: s.demo.tenant_id,
        number: did,
        target_type: 'queue',
        target_id: queue1,
        trunk_id: null,
        created_at: Date.now(),
      })
      .execute();
    const created = await api('POST', '/api/ivr/flows', { name: `flow ${did}`, flow });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const assigned = await api('PUT', `/api/ivr/numbers/${did}`, { flow_id: created.body.id });
    assert.equal(assigned.status, 200, JSON.stringify(assigned.body));
    return did;
  }

  async function customer(
    did: string,
    caller: string,
    o: Parameters<typeof customerScenario>[2],
    talkMs = 0,
  ) {
    const sf = customerScenario(peers.dir, `customer-${caller}`, o);
    const csv = peers.csv(`customer-${caller}.csv`, [[did, caller]]);
    const args = [
      '-sf',
      sf,
      '-inf',
      csv,
      '-p',
      String(await freeUdpPort()),
      '-mp',
      String(await freeMediaPort()),
    ];
    return peers.sippRun(`127.0.0.1:${s.t.sipPort}`, [...args, '-d', String(talkMs), '-m', '1'], 60_000).done;
  }

  before(async () => {
    s = await startTestServer({ clock: systemClock });
    const db = s.t.ctx.db;
    await db.updateTable('inbound_queues').set({ wrapup_sec: 0, ring_timeout_sec: 5 }).execute();
    queue1 = (
      await db
        .selectFrom('inbound_queues')
        .select('id')
        .where('tenant_id', '=', s.demo.tenant_id)
        .executeTakeFirstOrThrow()
    ).id;
    // Two queues, one agent each: the menu's digit decides whose phone rings.
    await inTransaction(db, async (tx) => {
      const q2 = await createInboundQueue(tx, systemClock, s.demo.tenant_id, { name: 'Billing' });
      queue2 = q2.id;
      await tx
        .updateTable('inbound_queues')
        .set({ wrapup_sec: 0, ring_timeout_sec: 5 })
        .where('id', '=', q2.id)
        .execute();
      await replaceAgentQueues(tx, s.demo.tenant_id, s.demo.agents[0]!.agent_id, [queue1], 1);
      await replaceAgentQueues(tx, s.demo.tenant_id, s.demo.agents[1]!.agent_id, [queue2], 1);
      await replaceAgentQueues(tx, s.demo.tenant_id, s.demo.agents[2]!.agent_id, [], 1);
    });
    await bumpRevision(db, s.demo.tenant_id);
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  const menu = () => ({
    language: 'en',
    start: 'main',
    nodes: {
      main: {
        type: 'menu',
        prompt: ['press', '1', 'for', '2'],
        timeoutSec: 1,
        maxRetries: 2,
        options: { '1': { type: 'queue', queueId: queue1 }, '2': { type: 'queue', queueId: queue2 } },
      },
    },
  });

  for (const [digit, agentIndex] of [
    ['1', 0],
    ['2', 1],
  ] as const) {
    it(`menu digit ${digit} reaches queue ${digit}'s agent`, async () => {
      const did = await numberWithFlow(menu());
      const agent = await startAgent(peers, s, agentIndex, 'agent-answer.xml', { pauseMs: 300 });
      const caller = `09091000${digit}0`;
      const c = await customer(did, caller, { digit, bye: 'caller' }, 8000);
      assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
      assert.equal((await agent.done).code, 0);
      const rec = await closedCall(s, 'caller_number', caller);
      assert.equal(rec.did_number, did);
      assert.equal(rec.agent_id, s.demo.agents[agentIndex]!.agent_id);
      assert.equal(rec.queue_id, digit === '1' ? queue1 : queue2);
      assert.equal(rec.status_detail, 'SUCCESS');
    });
  }

  it('barge-in: a digit sent during an 11 s menu prompt rings the queue agent at once, not after the prompt', async () => {
    const long = menu();
    long.nodes.main.prompt = Array<string>(6).fill('welcome'); // 6 × 1.85 s
    const did = await numberWithFlow(long);
    const seen: { digitAt?: number; ringAt?: number } = {};
    const agentId = s.demo.agents[0]!.agent_id;
    const offs = [
      s.t.ctx.bus.on('call.dtmf', () => void (seen.digitAt ??= performance.now())),
      s.t.ctx.bus.on('agent.status_changed', (_t, p) => {
        if (p.agentId === agentId && p.current === 'Ringing') seen.ringAt ??= performance.now();
      }),
    ];
    try {
      const agent = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 300 });
      const caller = '0909100089';
      const c = await customer(did, caller, { digit: '1', bye: 'caller' }, 8000);
      assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
      assert.equal((await agent.done).code, 0);
      const rec = await closedCall(s, 'caller_number', caller);
      assert.equal(rec.queue_id, queue1);
      assert.equal(rec.status_detail, 'SUCCESS');
      assert.ok(seen.digitAt !== undefined && seen.ringAt !== undefined, JSON.stringify(seen));
      const ms = seen.ringAt - seen.digitAt;
      // Without barge-in the agent would ring once the prompt has played, about 11 s after the digit (after this
      // caller's hang-up at 8 s: never).
      assert.ok(ms < 5000, `the agent rang ${Math.round(ms)} ms after the digit`);
    } finally {
      for (const off of offs) off();
    }
  });

  it('an invalid digit and then silence: retries, then goodbye; the record says IVR', async () => {
    const did = await numberWithFlow(menu());
    const caller = '0909100090';
    const c = await customer(did, caller, { digit: '9', bye: 'tongdai' });
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const rec = await closedCall(s, 'caller_number', caller);
    assert.equal(rec.reason, 'IVR: no valid input');
    assert.equal(rec.status_detail, 'IVR');
    assert.equal(rec.answered_at, null);
    // One invalid digit and two 1 s timeouts came before the goodbye.
    assert.ok(rec.ended_at! - rec.created_at >= 2000, `${rec.ended_at! - rec.created_at} ms`);
  });

  it('closed hours (no opening on any day): the closed branch plays and hangs up', async () => {
    const did = await numberWithFlow({
      language: 'vi',
      start: 'hours',
      nodes: {
        hours: {
          type: 'hours',
          weekly: {},
          open: { type: 'queue', queueId: queue1 },
          closed: { type: 'hangup', prompt: ['closed'] },
        },
      },
    });
    const caller = '0909100091';
    const c = await customer(did, caller, { bye: 'tongdai' });
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const rec = await closedCall(s, 'caller_number', caller);
    assert.equal(rec.reason, 'IVR: the flow hung up');
    assert.equal(rec.status_detail, 'IVR');
    assert.equal(rec.queue_id, null);
  });

  it('the caller hears the committed prompt file: received G.711 payload equals the WAV encoded', async () => {
    const did = await numberWithFlow({
      language: 'en',
      start: 'hello',
      nodes: { hello: { type: 'play', prompt: ['welcome'], next: { type: 'hangup' } } },
    });
    const ear = await udpPeer();
    try {
      const caller = '0909100092';
      const c = await customer(did, caller, { bye: 'tongdai', rtpPort: ear.port });
      assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
      const expected = Buffer.from(
        encode('PCMA', toTelephonyPcm(readFileSync(join(ASSETS_DIR, 'prompts/en/welcome.wav')))),
      );
      await waitFor(() => ear.got.length * 160 >= expected.length, 5000, 'the prompt arrived');
      const audio = ear.got
        .filter((g) => g.pkt.payloadType === 8)
        .sort((x, y) => x.pkt.seq - y.pkt.seq)
        .map((g) => Buffer.from(g.pkt.payload));
      const got = Buffer.concat(audio);
      const whole = expected.length - (expected.length % 160);
      const at = got.indexOf(expected.subarray(0, 160));
      assert.ok(at >= 0, 'the first frame of welcome.wav was received');
      assert.ok(
        got.subarray(at, at + whole).equals(expected.subarray(0, whole)),
        'every whole frame matches',
      );
    } finally {
      ear.close();
    }
  });

  /** AntBuddy's call history entry of `callId` (signed as the document shows). */
  async function antbuddyHistory(callId: string) {
    const day = new Date().toISOString().slice(0, 10);
    const qs = signedQuery(
      { appId: s.demo.app_id, created_from: day, created_to: day },
      [s.demo.app_id, day, day],
      s.demo.app_secret,
    );
    const h = await get(`${s.url}/oapi/v1/call/histories?${qs}`);
    return (h.body.data as { call_id: string; status_detail: string }[]).find((d) => d.call_id === callId);
  }

  it('a caller who hangs up in the menu is IVR in the record and in AntBuddy histories', async () => {
    const did = await numberWithFlow({
      ...menu(),
      nodes: { main: { ...menu().nodes.main, timeoutSec: 30 } },
    });
    const caller = '0909100093';
    const c = await customer(did, caller, { bye: 'caller' }, 1500);
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const rec = await closedCall(s, 'caller_number', caller);
    assert.equal(rec.hangup_by, 'caller');
    assert.equal(rec.queue_id, null, 'never reached a queue');
    assert.equal(rec.status_detail, 'IVR');
    const h = await antbuddyHistory(rec.call_id);
    assert.ok(h, 'in the history');
    assert.equal(h.status_detail, 'IVR');
  });

  it('a flow whose queue was deleted takes its error branch at call time (error prompt, hang-up), never drops', async () => {
    const gone = await inTransaction(s.t.ctx.db, (tx) =>
      createInboundQueue(tx, systemClock, s.demo.tenant_id, { name: 'Soon gone' }),
    );
    const did = await numberWithFlow({
      language: 'en',
      start: 'main',
      onError: { type: 'hangup', prompt: ['error'] },
      nodes: {
        main: { type: 'menu', prompt: ['press', '1'], options: { '1': { type: 'queue', queueId: gone.id } } },
      },
    });
    // tongdai has no queue delete route yet; the row goes as a console or SQL removal would take it.
    await s.t.ctx.db.deleteFrom('inbound_queues').where('id', '=', gone.id).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
    const caller = '0909100094';
    const c = await customer(did, caller, { digit: '1', bye: 'tongdai' });
    assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
    const rec = await closedCall(s, 'caller_number', caller);
    assert.equal(rec.reason, 'IVR: error branch');
    assert.equal(rec.status_detail, 'IVR');
    assert.equal(rec.queue_id, null);
    // The error prompt played to its end before the hang-up (the flow's goodbye is not added after it).
    const errorMs = ((statSync(join(ASSETS_DIR, 'prompts/en/error.wav')).size - 44) / 16_000) * 1000;
    assert.ok(rec.ended_at! - rec.created_at >= errorMs, `${rec.ended_at! - rec.created_at} ms`);
  });

  it('voicemail: greeting, beep, the caller speaks 7 s and hangs up; the stored WAV holds it, listed with its link, events sent', async () => {
    await s.t.ctx.db
      .updateTable('tenants')
      .set({ recording_format: 'wav' })
      .where('id', '=', s.demo.tenant_id)
      .execute();
    const kazoo: Recorder = record(s.url);
    try {
      const ack = await subscribe(kazoo.socket, {
        account_id: s.demo.account_id,
        auth_token: await authToken(s.url, s.demo.app_id, s.demo.app_secret),
        binding: 'voicemail.*',
      });
      assert.equal(ack.ok, true);
      const did = await numberWithFlow({
        language: 'en',
        start: 'main',
        nodes: {
          main: {
            type: 'menu',
            prompt: ['press', '4'],
            options: { '4': { type: 'voicemail', mailbox: 'sales', maxSec: 60 } },
          },
        },
      });
      const caller = '0909100095';
      // The digit right after the answer; the speech once greeting and beep are over; BYE 1.5 s after the speech.
      const c = await customer(
        did,
        caller,
        { digit: '4', bye: 'caller', audioAfterMs: 6000 },
        G711A_MS + 1500,
      );
      assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
      const rec = await closedCall(s, 'caller_number', caller);
      assert.equal(rec.status_detail, 'IVR');
      const vm = await waitFor(
        () =>
          s.t.ctx.db
            .selectFrom('voicemails')
            .selectAll()
            .where('call_id', '=', rec.call_id)
            .executeTakeFirst(),
        5000,
        'the voicemail row',
      );
      assert.equal(vm.mailbox, 'sales');
      // Through the recordings pipeline like a call's recording (WAV tenant: stored as recorded).
      const file = await waitFor(
        async () => {
          const r = await s.t.ctx.db
            .selectFrom('recordings')
            .selectAll()
            .where('id', '=', vm.recording_id)
            .executeTakeFirstOrThrow();
          return r.state === 'stored' ? r : null;
        },
        10_000,
        'the voicemail recording stored',
      );
      // The file: silence until the speech arrived, then the caller's 7.08 s on the left channel.
      const wav = parseWav(readFileSync(join(s.t.ctx.config.dataDir, file.path)));
      const heard = soundSpanMs(wav.channels[0]!);
      const sent = soundSpanMs(pcapSpeech(G711A_PCAP));
      assert.ok(sent > 5000, `the sample speaks ${sent} ms`);
      assert.ok(Math.abs(heard - sent) <= 60, `recorded span ${heard} ms, sent ${sent} ms`);
      assert.equal(Number(file.duration_ms), Number(vm.duration_ms));
      assert.ok(Number(vm.duration_ms) >= G711A_MS, `${vm.duration_ms} ms recorded`);
      assert.equal(statSync(join(s.t.ctx.config.dataDir, file.path)).size, Number(file.size_bytes));

      // The API: the tenant's list and the call's record, each with the signed link, which serves the file.
      const list = await api('GET', '/api/voicemails?mailbox=sales');
      assert.equal(list.status, 200, JSON.stringify(list.body));
      const item = (list.body.voicemails as Record<string, any>[]).find((v) => v.call_id === rec.call_id)!;
      assert.ok(item, JSON.stringify(list.body));
      assert.deepEqual([item.caller_number, item.duration_ms], [caller, Number(vm.duration_ms)]);
      const audio = await fetch(s.url + item.recording.url);
      assert.equal(audio.status, 200);
      assert.equal((await audio.arrayBuffer()).byteLength, Number(file.size_bytes));
      const detail = await api('GET', `/api/calls/${rec.call_id}`);
      assert.equal((detail.body.voicemail as Record<string, unknown>).id, vm.id);
      assert.equal(detail.body.has_voicemail, true);
      const history = await api('GET', `/api/calls?caller=${caller}`);
      assert.equal((history.body.items as Record<string, unknown>[])[0]!.has_voicemail, true);

      const [ev] = await kazoo.waitFor(['VOICEMAIL'], 1, 5000);
      assert.deepEqual(
        [ev!.data.voicemail_id, ev!.data.call_id, ev!.data.mailbox, ev!.data.caller_id_number],
        [vm.id, rec.call_id, 'sales', caller],
      );
    } finally {
      kazoo.close();
    }
  });
});
