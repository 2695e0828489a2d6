import assert from 'node:assert/strict';
import { type RemoteInfo, type Socket, createSocket } from 'node:dgram';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { writeRtpHeader } from '../../src/media/rtp.js';
import { type SipRequest, makeResponse, parseMessage, serialize } from '../../src/sip/message.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { agentDials, closedCall, startAgent } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';

const skip = await requireTool('sipp');

/**
 * A carrier on the demo trunk's port, written by hand so the test decides when each answer goes out: 183 with
 * SDP (early media) and RTP of a recognisable payload, then 200, then the BYE's 200. What its RTP socket
 * receives back is what the agent's echoing phone heard.
 */
class Carrier {
  readonly sip: Socket = createSocket('udp4');
  readonly rtp: Socket = createSocket('udp4');
  invite?: { req: SipRequest; from: RemoteInfo; media: { ip: string; port: number } };
  /** RTP payloads received, with whether they carried the test's marker bytes. */
  readonly heard: { marked: boolean }[] = [];
  byeAnswered = false;
  private seq = 0;

  async open(sipPort: number): Promise<void> {
    await new Promise<void>((r) => this.sip.bind(sipPort, '127.0.0.1', () => r()));
    await new Promise<void>((r) => this.rtp.bind(0, '127.0.0.1', () => r()));
    this.rtp.on('message', (m) =>
      this.heard.push({ marked: m.length > 12 && m[20] === 0x55 && m[40] === 0x55 }),
    );
    this.sip.on('message', (data, from) => {
      const m = parseMessage(data);
      if (m.kind !== 'request') return;
      if (m.method === 'INVITE' && !this.invite) {
        const ip = /c=IN IP4 (\S+)/.exec(m.body)![1]!;
        const port = Number(/m=audio (\d+)/.exec(m.body)![1]);
        this.invite = { req: m, from, media: { ip, port } };
        this.respond(m, 100);
      } else if (m.method === 'BYE') {
        this.byeAnswered = true;
        this.send(makeResponse(m, 200), from);
      }
    });
  }

  private sdp(): string {
    const port = this.rtp.address().port;
    return `v=0\r\no=carrier 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
  }

  respond(req: SipRequest, status: number, withSdp = false): void {
    const res = makeResponse(req, status);
    if (status > 100) {
      res.headers.set('to', `${req.headers.get('to')};tag=carrier1`);
      res.headers.add('contact', `<sip:carrier@127.0.0.1:${this.sip.address().port}>`);
    }
    if (withSdp) {
      res.headers.add('content-type', 'application/sdp');
      res.body = this.sdp();
    }
    this.send(res, this.invite!.from);
  }

  /** 20 ms of PCMU whose bytes are all 0x55, to tongdai's RTP port for the trunk leg. */
  sendAudio(packets: number): void {
    const { ip, port } = this.invite!.media;
    for (let i = 0; i < packets; i++) {
      const buf = Buffer.alloc(12 + 160, 0x55);
      writeRtpHeader(buf, {
        marker: i === 0,
        payloadType: 0,
        seq: ++this.seq,
        timestamp: this.seq * 160,
        ssrc: 0xcafe,
      });
      this.rtp.send(buf, port, ip);
    }
  }

  private send(res: ReturnType<typeof makeResponse>, to: RemoteInfo): void {
    this.sip.send(serialize(res), to.port, to.address);
  }

  close(): void {
    this.sip.close();
    this.rtp.close();
  }
}

describe('click-to-call: ringback and early media reach the agent', { skip }, () => {
  let s: TestServer;
  let trunkPort: number;
  const peers = new Peers();
  before(async () => {
    trunkPort = await freeUdpPort();
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(trunkPort) } });
  });
  afterEach(() => peers.killAll());
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  it('plays ringback to the agent while the customer rings, then relays the 183 media, then bridges', async () => {
    const carrier = new Carrier();
    await carrier.open(trunkPort);
    try {
      const agent = await startAgent(peers, s, 0, 'agent-hangup.xml', { pauseMs: 1500 });
      const res = await call(`${s.url}/api/calls/click-to-call`, {
        method: 'POST',
        headers: { 'x-api-key': s.demo.api_key },
        body: { agent_id: s.demo.agents[0]!.agent_id, number: '0901234567' },
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const callId: string = res.body.call_id;
      await waitFor(() => carrier.invite, 5000, "tongdai's INVITE to the customer");
      const live = s.t.telephony.core.calls.get(callId)!;
      assert.equal(live.state, 'offering');
      // Ringback: tongdai sends audio to the agent's phone while the customer's phone rings.
      const before = live.a.media.endpoint.stats().packetsOut;
      await waitFor(
        () => live.a.media.endpoint.stats().packetsOut >= before + 10,
        3000,
        'ringback to the agent',
      );
      assert.equal(carrier.heard.length, 0, 'nothing reaches the carrier before its early media');

      // Early media: the carrier's 183 audio reaches the agent, whose phone echoes it back along the same path.
      carrier.respond(carrier.invite!.req, 183, true);
      const feed = setInterval(() => carrier.sendAudio(2), 40);
      try {
        await waitFor(
          () => carrier.heard.filter((h) => h.marked).length >= 5,
          5000,
          'early media echoed by the agent',
        );
      } finally {
        clearInterval(feed);
      }
      assert.equal(live.state, 'offering', 'early media does not answer the call');
      assert.equal(live.record.answeredAt, null);

      carrier.respond(carrier.invite!.req, 200, true);
      await waitFor(() => live.state === 'bridged', 5000, 'bridged on the 200');
      assert.equal((await agent.done).code, 0);
      const rec = await closedCall(s, 'call_id', callId);
      assert.equal(rec.status_detail, 'SUCCESS');
      assert.equal(rec.hangup_by, 'caller');
      await waitFor(() => carrier.byeAnswered, 5000, 'the BYE to the carrier');
    } finally {
      carrier.close();
    }
  });

  it("relays the carrier's 183 to an agent dialling out: a 183 with SDP, then the audio, then the answer", async () => {
    const carrier = new Carrier();
    await carrier.open(trunkPort);
    try {
      const number = '0907654321';
      const agent = await agentDials(peers, s, 1, number, {
        scenario: 'agent-call-early.xml',
        talkMs: 500,
        extra: ['-rtp_echo'],
      });
      await waitFor(() => carrier.invite, 5000, "tongdai's INVITE to the trunk");
      carrier.respond(carrier.invite!.req, 183, true);
      const feed = setInterval(() => carrier.sendAudio(2), 40);
      try {
        await waitFor(
          () => carrier.heard.filter((h) => h.marked).length >= 5,
          5000,
          'early media echoed by the agent',
        );
      } finally {
        clearInterval(feed);
      }
      carrier.respond(carrier.invite!.req, 200, true);
      const done = await agent.done;
      assert.equal(done.code, 0, done.stdout.slice(-1500));
      const rec = await closedCall(s, 'callee_number', number);
      assert.equal(rec.direction, 'outbound');
      assert.equal(rec.status_detail, 'SUCCESS');
      await waitFor(() => carrier.byeAnswered, 5000, 'the BYE to the carrier');
    } finally {
      carrier.close();
    }
  });
});
