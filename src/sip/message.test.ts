import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SipParseError, makeResponse, parseMessage, serialize, splitList } from './message.js';
import { parseNameAddr, parseUri, parseVia } from './headers.js';

const raw = (lines: string[], body = '') => Buffer.from(lines.join('\r\n') + '\r\n\r\n' + body);

describe('SIP message grammar', () => {
  it('parses compact and folded headers, comma-joined Vias, and trims the body to Content-Length', () => {
    const m = parseMessage(
      raw(
        [
          'INVITE sip:1002@example.com SIP/2.0',
          'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bKa, SIP/2.0/TCP 10.0.0.2;branch=z9hG4bKb',
          'f: "Lan, Nguyen" <sip:1001@example.com>;tag=abc',
          't: <sip:1002@example.com>',
          'i: call-1',
          'CSeq: 1 INVITE',
          'Subject: a folded',
          '  header',
          'l: 4',
        ],
        'v=0\r\nextra',
      ),
    );
    assert.equal(m.kind, 'request');
    assert.equal(m.headers.getAll('via').length, 2);
    assert.equal(m.headers.get('subject'), 'a folded header');
    assert.equal(parseNameAddr(m.headers.get('from')!).display, 'Lan, Nguyen');
    assert.equal(m.body, 'v=0\r');
  });

  it('refuses messages missing mandatory headers or with a lying Content-Length', () => {
    assert.throws(() => parseMessage(raw(['OPTIONS sip:a SIP/2.0', 'Via: SIP/2.0/UDP h'])), SipParseError);
    assert.throws(
      () =>
        parseMessage(
          raw(
            [
              'OPTIONS sip:a SIP/2.0',
              'Via: SIP/2.0/UDP h',
              'From: <sip:a@b>',
              'To: <sip:a@b>',
              'Call-ID: x',
              'CSeq: 1 OPTIONS',
              'Content-Length: 99',
            ],
            'short',
          ),
        ),
      SipParseError,
    );
    assert.throws(() => parseMessage(Buffer.from('GARBAGE\r\n\r\n')), SipParseError);
  });

  it('round-trips a response built from a request, recomputing Content-Length', () => {
    const req = parseMessage(
      raw([
        'REGISTER sip:d SIP/2.0',
        'Via: SIP/2.0/UDP h;branch=z9hG4bK1',
        'From: <sip:a@d>;tag=1',
        'To: <sip:a@d>',
        'Call-ID: c',
        'CSeq: 7 REGISTER',
      ]),
    );
    assert.equal(req.kind, 'request');
    if (req.kind !== 'request') return;
    const res = makeResponse(req, 200);
    res.body = 'héllo';
    const back = parseMessage(serialize(res));
    assert.equal(back.kind, 'response');
    assert.equal(back.headers.get('content-length'), '6');
    assert.equal(back.headers.get('cseq'), '7 REGISTER');
    assert.equal(back.body, 'héllo');
  });

  it('parses URIs, Via parameters and lists with quoted commas', () => {
    assert.deepEqual(parseUri('sip:1001@[::1]:5070;transport=tcp'), {
      scheme: 'sip',
      user: '1001',
      host: '[::1]',
      port: 5070,
      params: { transport: 'tcp' },
    });
    assert.equal(parseUri('http://x'), null);
    const v = parseVia('SIP/2.0/UDP 1.2.3.4:5060;branch=z9hG4bKx;rport');
    assert.equal(v.params.rport, null);
    assert.equal(v.port, 5060);
    assert.deepEqual(splitList('"a,b" <sip:x>, <sip:y;p=1,2>'), ['"a,b" <sip:x>', '<sip:y;p=1,2>']);
  });
});
