import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { MediaEngine } from '../../src/media/engine.js';
import { parseRtp, writeRtpHeader } from '../../src/media/rtp.js';
import { waitFor } from './helpers/peers.js';

// A phone behind NAT: its SDP says 192.168.x.x, its packets come from the NAT's public side (here 127.0.0.1).
// The node's own address (127.0.0.1) is not private, so 192.168.x.x is unroutable from it.

let engine: MediaEngine;
before(() => {
  engine = new MediaEngine({
    publicIp: '127.0.0.1',
    bindIp: '127.0.0.1',
    portMin: 33000,
    portMax: 33999,
  });
});
after(() => engine.close());

/** A phone-side socket counting the RTP packets it gets. */
async function phone(): Promise<{ sock: Socket; port: number; received: () => number }> {
  const sock = createSocket('udp4');
  let n = 0;
  sock.on('message', (b) => {
    if (parseRtp(b)) n++;
  });
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  return { sock, port: sock.address().port, received: () => n };
}

test('music on hold to a NATed phone waits for its first packet, then goes to where that packet came from', async () => {
  const ep = await engine.allocate();
  const control = await engine.allocate();
  const natted = await phone();
  const routable = await phone();
  try {
    ep.setRemote({ ip: '192.168.77.7', port: 40000, codec: 'PCMU', payloadType: 0, dtmfPayloadType: 101 });
    control.setRemote({
      ip: '127.0.0.1',
      port: routable.port,
      codec: 'PCMU',
      payloadType: 0,
      dtmfPayloadType: 101,
    });
    ep.startMoh();
    control.startMoh();
    // Sentinel: the same media clock fed 10 frames to the control leg; the NATed leg sent none of its frames.
    await waitFor(() => routable.received() >= 10, 3000, 'MOH on the control leg');
    assert.equal(ep.stats().packetsOut, 0, 'nothing sent to the private SDP address before latching');

    const pkt = Buffer.alloc(172);
    writeRtpHeader(pkt, { marker: false, payloadType: 0, seq: 1, timestamp: 160, ssrc: 42 });
    natted.sock.send(pkt, ep.localPort, '127.0.0.1');
    await waitFor(() => natted.received() >= 5, 3000, 'MOH at the latched (public) address');
  } finally {
    ep.close();
    control.close();
    natted.sock.close();
    routable.sock.close();
  }
});

test('a phone on a routable SDP address is sent RTP at once (no latching needed)', async () => {
  const ep = await engine.allocate();
  const phone: Socket = createSocket('udp4');
  let received = 0;
  phone.on('message', (b) => {
    if (parseRtp(b)) received++;
  });
  await new Promise<void>((r) => phone.bind(0, '127.0.0.1', () => r()));
  try {
    ep.setRemote({
      ip: '127.0.0.1',
      port: phone.address().port,
      codec: 'PCMU',
      payloadType: 0,
      dtmfPayloadType: 101,
    });
    ep.startMoh();
    await waitFor(() => received >= 5, 3000, 'MOH before the phone sent anything');
  } finally {
    ep.close();
    phone.close();
  }
});
