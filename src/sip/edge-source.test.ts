import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { realSource } from './edge-source.js';
import { type SipRequest, parseMessage } from './message.js';

const invite = (source?: string) =>
  parseMessage(
    Buffer.from(
      [
        'INVITE sip:02873001234@10.0.0.5 SIP/2.0',
        'Via: SIP/2.0/UDP 10.0.0.9:5060;branch=z9hG4bKe1',
        'From: <sip:0909@10.0.0.9>;tag=a',
        'To: <sip:02873001234@10.0.0.5>',
        'Call-ID: edge-src-1',
        'CSeq: 1 INVITE',
        ...(source ? [`X-Tongdai-Source: ${source}`] : []),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    ),
  ) as SipRequest;

describe('the real source behind the edge', () => {
  const edges = ['10.0.0.9'];
  it('takes X-Tongdai-Source from an edge', () => {
    assert.equal(realSource(invite('203.0.113.7'), '10.0.0.9', edges), '203.0.113.7');
    assert.equal(realSource(invite('203.0.113.7:5060'), '10.0.0.9', edges), '203.0.113.7');
    assert.equal(realSource(invite('2001:db8::7'), '10.0.0.9', edges), '2001:db8::7');
    assert.equal(realSource(invite('[2001:db8::7]:5060'), '10.0.0.9', edges), '2001:db8::7');
  });
  it('ignores the header from anyone else, and a header that is not an address', () => {
    assert.equal(realSource(invite('203.0.113.7'), '198.51.100.1', edges), '198.51.100.1');
    assert.equal(realSource(invite('203.0.113.7'), '10.0.0.9', []), '10.0.0.9');
    assert.equal(realSource(invite('carrier.example'), '10.0.0.9', edges), '10.0.0.9');
    assert.equal(realSource(invite(), '10.0.0.9', edges), '10.0.0.9');
  });
});
