import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { registerContact } from './helpers/agents.js';
import { freeUdpPort } from './helpers/peers.js';

/** What the server wrote back before closing a TCP connection that carried `text`. */
async function sendTcp(port: number, text: string, timeoutMs = 5000): Promise<string> {
  const s: Socket = connect({ host: '127.0.0.1', port });
  const got: Buffer[] = [];
  s.on('data', (d) => got.push(d));
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`connection still open after ${timeoutMs} ms`)), timeoutMs);
    s.on('close', () => {
      clearTimeout(t);
      resolve();
    });
    s.on('error', () => undefined);
    s.write(text.replace(/\r?\n/g, '\r\n'));
  });
  s.destroy();
  return Buffer.concat(got).toString('utf8');
}

const options = (cl: string, id: string) =>
  [
    'OPTIONS sip:probe@tongdai SIP/2.0',
    `Via: SIP/2.0/TCP 127.0.0.1:5999;branch=z9hG4bK${id}`,
    'From: <sip:probe@x>;tag=1',
    'To: <sip:probe@tongdai>',
    `Call-ID: framing-${id}`,
    'CSeq: 1 OPTIONS',
    'Max-Forwards: 70',
    `Content-Length: ${cl}`,
    '',
    'xyz',
  ].join('\n');

describe('SIP over TCP: malformed framing closes only that connection', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({ clock: systemClock, env: { SIP_TCP_PARTIAL_TIMEOUT_SEC: '1' } });
  });
  after(async () => {
    await s?.close();
  });

  /** HTTP still answers and a phone can still register: the process is neither looping nor wedged. */
  async function stillServing(): Promise<void> {
    const res = await fetch(`${s.url}/healthz`, { signal: AbortSignal.timeout(3000) });
    assert.equal(res.status, 200);
    await registerContact(s, 0, await freeUdpPort());
  }

  for (const cl of ['abc', '-5', '99999999999999', '1e3', '3, 5']) {
    it(`Content-Length: ${cl} gets a 400 and the connection closed`, async () => {
      const reply = await sendTcp(s.t.sipPort, options(cl, cl.replace(/\W/g, 'x')));
      assert.match(reply, /^SIP\/2\.0 400 /);
      assert.match(reply, /Call-ID: framing-/i);
      await stillServing();
    });
  }

  it('a head larger than the buffer cap closes the connection', async () => {
    const huge = `OPTIONS sip:x@y SIP/2.0\r\nX-Pad: ${'a'.repeat(200_000)}`;
    await sendTcp(s.t.sipPort, huge);
    await stillServing();
  });

  it('a connection holding half a message is closed after the partial timeout', async () => {
    const reply = await sendTcp(s.t.sipPort, options('10', 'half').replace(/xyz$/, 'abc'), 5000);
    assert.equal(reply, '');
    await stillServing();
  });

  it('a well-framed OPTIONS on the same transport is still answered 200', async () => {
    const s2 = connect({ host: '127.0.0.1', port: s.t.sipPort });
    const reply = await new Promise<string>((resolve) => {
      s2.once('data', (d) => resolve(d.toString('utf8')));
      s2.write(options('3', 'ok').replace(/\n/g, '\r\n'));
    });
    s2.destroy();
    assert.match(reply, /^SIP\/2\.0 200 /);
  });
});
