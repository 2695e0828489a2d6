import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SdpError, buildSdp, negotiate, parseSdp } from './sdp.js';

const LINPHONE = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 10.0.0.5',
  's=-',
  'c=IN IP4 203.0.113.9',
  't=0 0',
  'm=audio 49170 RTP/AVP 96 8 0 101',
  'a=rtpmap:96 opus/48000/2',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=ptime:30',
  'a=sendonly',
  'm=video 51372 RTP/AVP 31',
  'a=recvonly',
].join('\r\n');

test('parses the first audio stream with codecs, static types, DTMF, ptime and direction', () => {
  const m = parseSdp(LINPHONE);
  assert.deepEqual(m, {
    ip: '203.0.113.9',
    port: 49170,
    payloadTypes: [96, 8, 0, 101],
    codecs: [
      { pt: 96, name: 'opus', rate: 48000 },
      { pt: 8, name: 'PCMA', rate: 8000 },
      { pt: 0, name: 'PCMU', rate: 8000 },
      { pt: 101, name: 'telephone-event', rate: 8000 },
    ],
    dtmfPayloadType: 101,
    direction: 'sendonly',
    ptime: 30,
  });
});

test('a media-level c= wins over the session one; 0.0.0.0 means hold; port 0 means inactive', () => {
  const base = 'v=0\no=- 1 1 IN IP4 1.1.1.1\ns=-\nc=IN IP4 1.1.1.1\nt=0 0\n';
  assert.equal(parseSdp(base + 'm=audio 4000 RTP/AVP 0\nc=IN IP4 2.2.2.2\n').ip, '2.2.2.2');
  const hold = parseSdp('v=0\ns=-\nc=IN IP4 0.0.0.0\nt=0 0\nm=audio 4000 RTP/AVP 0\n');
  assert.equal(hold.direction, 'sendonly');
  assert.equal(parseSdp(base + 'm=audio 0 RTP/AVP 0\n').direction, 'inactive');
});

test('garbage is a typed SdpError', () => {
  for (const bad of [
    '',
    'hello',
    'v=0\ns=-\nt=0 0\n',
    'v=0\ns=-\nt=0 0\nm=audio 4000 RTP/AVP 0\n',
    'v=0\nc=IN IP4 1.1.1.1\nm=audio 99999 RTP/AVP 0\n',
    'v=0\nc=IN IP4 1.1.1.1\nm=audio 4000 RTP/AVP\n',
    'v=0\nc=IN IP4 1.1.1.1\nm=audio 4000 RTP/AVP x\n',
    'v=0\nc=bogus\nm=audio 4000 RTP/AVP 0\n',
    'm=audio 4000 RTP/AVP 0\nc=IN IP4 1.1.1.1\n',
  ]) {
    assert.throws(
      () => parseSdp(bad),
      (e: unknown) => e instanceof SdpError && e.code === 'SDP_INVALID',
      bad,
    );
  }
});

test('negotiate takes the offer order among supported laws and keeps the DTMF type', () => {
  assert.deepEqual(negotiate(parseSdp(LINPHONE)), { codec: 'PCMA', payloadType: 8, dtmfPayloadType: 101 });
  assert.deepEqual(negotiate(parseSdp(LINPHONE), ['PCMU']), {
    codec: 'PCMU',
    payloadType: 0,
    dtmfPayloadType: 101,
  });
  const opusOnly = LINPHONE.replace('96 8 0 101', '96 101');
  assert.equal(negotiate(parseSdp(opusOnly)), null);
});

test('buildSdp round-trips through parseSdp', () => {
  const text = buildSdp({
    ip: '192.0.2.1',
    port: 20000,
    codecs: ['PCMU', 'PCMA'],
    sessionId: '42',
    version: 2,
  });
  assert.ok(text.endsWith('\r\n') && !/[^\r]\n/.test(text));
  const m = parseSdp(text);
  assert.equal(m.ip, '192.0.2.1');
  assert.equal(m.port, 20000);
  assert.deepEqual(m.payloadTypes, [0, 8, 101]);
  assert.equal(m.dtmfPayloadType, 101);
  assert.equal(m.direction, 'sendrecv');
  assert.equal(m.ptime, 20);
  const noDtmf = parseSdp(
    buildSdp({
      ip: '::1',
      port: 2,
      codecs: ['PCMA'],
      dtmfPayloadType: null,
      direction: 'sendonly',
      sessionId: '1',
      version: 1,
    }),
  );
  assert.deepEqual(
    [noDtmf.payloadTypes, noDtmf.dtmfPayloadType, noDtmf.direction, noDtmf.ip],
    [[8], null, 'sendonly', '::1'],
  );
});
