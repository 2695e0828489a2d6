import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { UdpClient } from './helpers/udp-client.js';
import { registerContact } from './helpers/agents.js';
import { sleep, waitFor } from './helpers/peers.js';

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

  const base = (method: string, cseq: number, toTag = '') => [
    `${method} sip:${s.demo.hotline}@127.0.0.1:${s.t.sipPort} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bK-${method}-${cseq};rport`,
    `From: <sip:0909777000@127.0.0.1>;tag=caller1`,
    `To: <sip:${s.demo.hotline}@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
    'Call-ID: retrans-1',
    `CSeq: ${cseq} ${method}`,
    `Contact: <sip:0909777000@127.0.0.1:${c.port}>`,
    'Max-Forwards: 70',
  ];

  it('repeats the 200 with growing intervals while no ACK comes, and stops once it does', async () => {
    const sdp = `v=0\r\no=c 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40002 RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\n`;
    c.send(
      [...base('INVITE', 1), 'Content-Type: application/sdp', `Content-Length: ${sdp.length}`, '', sdp].join(
        '\n',
      ),
    );
    const times: number[] = [];
    let toTag = '';
    const t0 = Date.now();
    for (let i = 0; i < 3; i++) {
      const res = await waitFor(
        async () => {
          const r = await c.response(1, 4000);
          return r.status === 200 ? r : null;
        },
        5000,
        `200 #${i + 1}`,
      );
      times.push(Date.now() - t0);
      toTag = /tag=([^;>\s]+)/.exec(res.headers.get('to')!)![1]!;
    }
    // First 200 at once, then T1 (0.5 s) and 2·T1 (1 s) later. Arrival is timed where the test reads it, so a
    // first 200 read late on a busy machine shortens the first gap by that delay (seen: 399 ms).
    assert.ok(times[1]! - times[0]! >= 350 && times[1]! - times[0]! < 900, `gap 1: ${times.join(', ')}`);
    assert.ok(times[2]! - times[1]! >= 850 && times[2]! - times[1]! < 1600, `gap 2: ${times.join(', ')}`);
    c.send([...base('ACK', 1, toTag), 'Content-Length: 0', '', ''].join('\n'));
    await sleep(2500);
    await assert.rejects(c.response(1, 500), /no response/, 'no 200 after the ACK');
    c.send([...base('BYE', 2, toTag), 'Content-Length: 0', '', ''].join('\n'));
    assert.equal((await c.response(2)).status, 200);
    const rec = await waitFor(
      async () => {
        const r = await s.t.ctx.db
          .selectFrom('calls')
          .selectAll()
          .where('caller_number', '=', '0909777000')
          .executeTakeFirst();
        return r?.ended_at ? r : null;
      },
      5000,
      'record closed',
    );
    assert.equal(rec.hangup_by, 'caller');
    assert.equal(rec.status_detail, 'CANCELLED');
  });

  it('the 200 to a phone’s re-INVITE (hold) is repeated too until its ACK', async () => {
    const phone = await new UdpClient(s.t.sipPort).open();
    const caller = await new UdpClient(s.t.sipPort).open();
    try {
      await registerContact(s, 0, phone.port);
      const sdp = (port: number, dir = 'sendrecv') =>
        `v=0\r\no=p 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio ${port} RTP/AVP 0\r\na=rtpmap:0 PCMU/8000\r\na=${dir}\r\n`;
      const callerSdp = sdp(40010);
      const head = (method: string, cseq: number, toTag = '') => [
        `${method} sip:${s.demo.hotline}@127.0.0.1:${s.t.sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${caller.port};branch=z9hG4bK-c-${method}-${cseq};rport`,
        `From: <sip:0909777001@127.0.0.1>;tag=caller2`,
        `To: <sip:${s.demo.hotline}@127.0.0.1>${toTag ? `;tag=${toTag}` : ''}`,
        'Call-ID: retrans-2',
        `CSeq: ${cseq} ${method}`,
        `Contact: <sip:0909777001@127.0.0.1:${caller.port}>`,
        'Max-Forwards: 70',
      ];
      caller.send(
        [
          ...head('INVITE', 1),
          'Content-Type: application/sdp',
          `Content-Length: ${callerSdp.length}`,
          '',
          callerSdp,
        ].join('\n'),
      );
      const callerOk = await waitFor(
        async () => {
          const r = await caller.response(1, 4000);
          return r.status === 200 ? r : null;
        },
        5000,
        'the queue answers the caller',
      );
      const callerTag = /tag=([^;>\s]+)/.exec(callerOk.headers.get('to')!)![1]!;
      caller.send([...head('ACK', 1, callerTag), 'Content-Length: 0', '', ''].join('\n'));

      // The queue offers the call to agent 0, whose phone is this client: answer it.
      const invite = await phone.request('INVITE', 10_000);
      const phoneSdp = sdp(40020);
      const to = `${invite.headers.get('to')!};tag=phone1`;
      const ok = [
        'SIP/2.0 200 OK',
        ...invite.headers.getAll('via').map((v) => `Via: ${v}`),
        `From: ${invite.headers.get('from')!}`,
        `To: ${to}`,
        `Call-ID: ${invite.headers.get('call-id')!}`,
        `CSeq: ${invite.headers.get('cseq')!}`,
        `Contact: <sip:${s.demo.agents[0]!.extension}@127.0.0.1:${phone.port}>`,
        'Content-Type: application/sdp',
        `Content-Length: ${phoneSdp.length}`,
        '',
        phoneSdp,
      ];
      phone.send(ok.join('\n'));
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
      const hold = sdp(40020, 'sendonly');
      phone.send(
        [
          ...inDialog('INVITE', 2),
          'Content-Type: application/sdp',
          `Content-Length: ${hold.length}`,
          '',
          hold,
        ].join('\n'),
      );
      const times: number[] = [];
      const t0 = Date.now();
      for (let i = 0; i < 3; i++) {
        await waitFor(
          async () => {
            const r = await phone.response(2, 4000);
            return r.status === 200 ? r : null;
          },
          5000,
          `re-INVITE 200 #${i + 1}`,
        );
        times.push(Date.now() - t0);
      }
      assert.ok(times[1]! - times[0]! >= 350 && times[1]! - times[0]! < 900, `gap 1: ${times.join(', ')}`);
      assert.ok(times[2]! - times[1]! >= 850 && times[2]! - times[1]! < 1600, `gap 2: ${times.join(', ')}`);
      phone.send([...inDialog('ACK', 2), 'Content-Length: 0', '', ''].join('\n'));
      await sleep(2500);
      await assert.rejects(phone.response(2, 500), /no response/, 'no 200 after the ACK');
      phone.send([...inDialog('BYE', 3), 'Content-Length: 0', '', ''].join('\n'));
      assert.equal((await phone.response(3)).status, 200);
    } finally {
      phone.close();
      caller.close();
    }
  });
});
