import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { createInboundQueue, replaceAgentQueues } from '../../src/domain/queues.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { encode } from '../../src/media/g711.js';
import { toTelephonyPcm } from '../../src/media/wav.js';
import { ASSETS_DIR } from '../../src/prompts/files.js';
import { inTransaction } from '../../src/store/db.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { udpPeer } from '../media/helpers.js';
import { closedCall, freeMediaPort, startAgent } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';

const skip = await requireTool('sipp');

/**
 * The carrier's customer as a sipp scenario: calls field0 from field1 through the trunk (SDP media at `rtpPort`
 * when given, else sipp's own), presses `digit` (sipp's RFC 4733 pcap) after the answer, then either hangs up
 * after -d ms (`bye: 'caller'`) or waits for tongdai's BYE.
 */
function customerScenario(
  dir: string,
  name: string,
  o: { digit?: string; bye: 'caller' | 'tongdai'; rtpPort?: number },
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
});
