import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { UdpClient } from './helpers/udp-client.js';
import { closedCall, registerContact } from './helpers/agents.js';

/** A caller from the demo trunk (loopback) to the hotline, written by hand so the test controls the ACK. */
describe('2xx retransmission until the ACK (RFC 3261 §13.3.1.4)', () => {
  let s: TestServer;
  let c: UdpClient;
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    c = await new UdpClient(s.t.sipPort).open();
    // Someone is logged in (no phone), so the queue takes the call and answers the caller with hold music.
    await s.t.ctx.statuses.login(s.demo.tenant_id, s.demo.agents[0]!.agent_id, 'test');
  });
  after(async () => {
    c?.close();
    await s?.close();
  });

  /** A request from a customer (client `from`, number `caller`, dialog `callId`) to the hotline, header lines. */
  const toHotline =
    (from: () => UdpClient, callId: string, caller: string) =>
    (method: string, cseq: number, toTag = '') => [
      `${method} sip:${s.demo.hotline}@127.0.0.1:${s.t.sipPort} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${from().port};branch=z9hG4bK-${callId}-${method}-${cseq};rport`,
      `From: <sip:${caller}@127.0.0.1>;tag=${callId}`,
      `To: <sip:${s.demo.hotline}@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
      `Call-ID: ${callId}`,
      `CSeq: ${cseq} ${method}`,
      `Contact: <sip:${caller}@127.0.0.1:${from().port}>`,
      'Max-Forwards: 70',
    ];
  const base = toHotline(() => c, 'retrans-1', '0909777000');
  const sdp = (port: number, dir = 'sendrecv') =>
    `v=0\r\no=c 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=${dir}\r\n`;
  /** A request's header lines with an SDP body, as one message. */
  const withSdp = (lines: string[], body: string) =>
    [...lines, 'Content-Type: application/sdp', `Content-Length: ${body.length}`, '', body].join('\n');
  /** The next 200 to `cseq` (provisional answers skipped). */
  /** The next 200 to `cseq`, read as soon as it arrives (provisional answers skipped). */
  const ok200 = async (client: UdpClient, cseq: number, what: string) => {
    const until = Date.now() + 5000;
    for (;;) {
      const r = await client.response(cseq, Math.max(1, until - Date.now())).catch(() => {
        throw new Error(`timed out waiting for ${what}`);
      });
      if (r.status === 200) return r;
    }
  };
  /**
   * Three 200s to `cseq` while nothing ACKs them: the first at once, then T1 (0.5 s) and 2·T1 (1 s) later, timed by
   * their arrival on the client's socket. Returns the last one.
   */
  const threeOks = async (client: UdpClient, cseq: number) => {
    const times: number[] = [];
    let last: Awaited<ReturnType<typeof ok200>> | undefined;
    for (let i = 0; i < 3; i++) {
      last = await ok200(client, cseq, `200 #${i + 1}`);
      times.push(client.arrivedAt(last));
    }
    const gaps = [times[1]! - times[0]!, times[2]! - times[1]!];
    assert.ok(gaps[0]! >= 350 && gaps[0]! < 900, `gaps: ${gaps.join(', ')} ms`);
    assert.ok(gaps[1]! >= 850 && gaps[1]! < 1600, `gaps: ${gaps.join(', ')} ms`);
    return last!;
  };

  /**
   * The sentinel that stands in for a pause: a call from `client` placed right after the ACK under test and never
   * ACKed at first. Its 200s run on the same timers (T1, doubling), started later, from the same server socket to
   * the same client socket, so once its fourth 200 (3.5 s after its first) is in, the ACKed dialog's next 200 (due
   * 2 s after its third) would have arrived before it. The sentinel call is then ACKed and hung up.
   */
  const sentinelCall = async (client: UdpClient, callId: string, caller: string) => {
    const head = toHotline(() => client, callId, caller);
    client.send(withSdp(head('INVITE', 7), sdp(40030)));
    let ok = await ok200(client, 7, 'the sentinel call answered');
    for (let i = 2; i <= 4; i++) ok = await ok200(client, 7, `the sentinel's 200 #${i}`);
    const tag = /tag=([^;>\s]+)/.exec(ok.headers.get('to')!)![1]!;
    client.send([...head('ACK', 7, tag), 'Content-Length: 0', '', ''].join('\n'));
    client.send([...head('BYE', 8, tag), 'Content-Length: 0', '', ''].join('\n'));
    assert.equal((await client.response(8)).status, 200);
  };

  it('repeats the 200 with growing intervals while no ACK comes, and stops once it does', async () => {
    c.send(withSdp(base('INVITE', 1), sdp(40002)));
    const res = await threeOks(c, 1);
    const toTag = /tag=([^;>\s]+)/.exec(res.headers.get('to')!)![1]!;
    c.send([...base('ACK', 1, toTag), 'Content-Length: 0', '', ''].join('\n'));
    await sentinelCall(c, 'retrans-1s', '0909777900');
    await assert.rejects(c.response(1, 1), /no response/, 'no 200 after the ACK');
    c.send([...base('BYE', 2, toTag), 'Content-Length: 0', '', ''].join('\n'));
    assert.equal((await c.response(2)).status, 200);
    const rec = await closedCall(s, 'caller_number', '0909777000');
    assert.equal(rec.hangup_by, 'caller');
    assert.equal(rec.status_detail, 'CANCELLED');
  });

  it('the 200 to a phone’s re-INVITE (hold) is repeated too until its ACK', async () => {
    const phone = await new UdpClient(s.t.sipPort).open();
    const caller = await new UdpClient(s.t.sipPort).open();
    try {
      // The first test's two calls were offered to agent 0, who had no phone then: missed offers set a pause.
      await s.t.ctx.statuses.setCustomStatus(
        s.demo.tenant_id,
        [s.demo.agents[0]!.agent_id],
        'Available',
        'test',
      );
      await registerContact(s, 0, phone.port);
      const head = toHotline(() => caller, 'retrans-2', '0909777001');
      caller.send(withSdp(head('INVITE', 1), sdp(40010)));
      const callerOk = await ok200(caller, 1, 'the queue answers the caller');
      const callerTag = /tag=([^;>\s]+)/.exec(callerOk.headers.get('to')!)![1]!;
      caller.send([...head('ACK', 1, callerTag), 'Content-Length: 0', '', ''].join('\n'));

      // The queue offers the call to agent 0, whose phone is this client: answer it.
      const invite = await phone.request('INVITE', 10_000);
      const to = `${invite.headers.get('to')!};tag=phone1`;
      const ok = [
        'SIP/2.0 200 OK',
        ...invite.headers.getAll('via').map((v) => `Via: ${v}`),
        `From: ${invite.headers.get('from')!}`,
        `To: ${to}`,
        `Call-ID: ${invite.headers.get('call-id')!}`,
        `CSeq: ${invite.headers.get('cseq')!}`,
        `Contact: <sip:${s.demo.agents[0]!.extension}@127.0.0.1:${phone.port}>`,
      ];
      phone.send(withSdp(ok, sdp(40020)));
      await phone.request('ACK', 5000);

      // Now the phone puts the call on hold, and does not ACK the 200 at first.
      const target = /<([^>]+)>/.exec(invite.headers.get('contact')!)![1]!;
      const inDialog = (method: string, cseq: number) => [
        `${method} ${target} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${phone.port};branch=z9hG4bK-p-${method}-${cseq};rport`,
        `From: ${to}`,
        `To: ${invite.headers.get('from')!}`,
        `Call-ID: ${invite.headers.get('call-id')!}`,
        `CSeq: ${cseq} ${method}`,
        `Contact: <sip:${s.demo.agents[0]!.extension}@127.0.0.1:${phone.port}>`,
        'Max-Forwards: 70',
      ];
      phone.send(withSdp(inDialog('INVITE', 2), sdp(40020, 'sendonly')));
      await threeOks(phone, 2);
      phone.send([...inDialog('ACK', 2), 'Content-Length: 0', '', ''].join('\n'));
      await sentinelCall(phone, 'retrans-2s', '0909777901');
      await assert.rejects(phone.response(2, 1), /no response/, 'no 200 after the ACK');
      phone.send([...inDialog('BYE', 3), 'Content-Length: 0', '', ''].join('\n'));
      assert.equal((await phone.response(3)).status, 200);
    } finally {
      phone.close();
      caller.close();
    }
  });
});
