/**
 * SIP floods (issue 18): a blocked source is refused before any state exists, and the server transaction table is
 * bounded, with stateless 503s past the bound. Counted on the stack itself, so the figures do not depend on the
 * machine: a flood from a blocked source leaves the table as it was; a flood from a fresh source never takes the
 * table past SIP_MAX_TRANSACTIONS, and every request beyond it is answered 503 with Retry-After.
 */
import assert from 'node:assert/strict';
import { type Socket, createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { waitFor } from './helpers/peers.js';

const CAP = 50;
const FLOOD = 2000;

/** A raw UDP source bound to `address` that counts the status codes it is answered with. */
async function source(
  address: string,
): Promise<{ sock: Socket; answers: Map<number, number>; total(): number }> {
  const sock = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, address, () => r()));
  const answers = new Map<number, number>();
  sock.on('message', (d) => {
    const m = /^SIP\/2\.0 (\d{3}) /.exec(d.toString('latin1'));
    if (!m) return;
    const code = Number(m[1]);
    answers.set(code, (answers.get(code) ?? 0) + 1);
    if (code === 503) assert.match(d.toString('latin1'), /\r\nRetry-After: 5\r\n/i);
  });
  return { sock, answers, total: () => [...answers.values()].reduce((a, b) => a + b, 0) };
}

describe('SIP floods: blocked sources keep no state, the transaction table is bounded', () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer({
      clock: new FakeClock(Date.now()),
      env: { SIP_MAX_TRANSACTIONS: String(CAP) },
    });
  });
  after(async () => {
    await s?.close();
  });
  const held = () => s.t.telephony.sip.stack.serverTransactionCount;

  const request = (method: string, port: number, id: string, ua = 'flood-test') =>
    Buffer.from(
      [
        `${method} sip:${method === 'REGISTER' ? s.demo.sip_domain : `1002@${s.demo.sip_domain}`} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${id};rport`,
        `From: <sip:1001@${s.demo.sip_domain}>;tag=${id}`,
        `To: <sip:1001@${s.demo.sip_domain}>`,
        `Call-ID: ${id}`,
        `CSeq: 1 ${method}`,
        `User-Agent: ${ua}`,
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );

  /** Send `n` requests with fresh branches from `src`, yielding every 100 so the server reads as they come. */
  async function flood(src: Awaited<ReturnType<typeof source>>, n: number, tag: string) {
    const port = src.sock.address().port;
    for (let i = 0; i < n; i++) {
      const method = ['REGISTER', 'INVITE', 'OPTIONS', 'SUBSCRIBE'][i % 4]!;
      src.sock.send(request(method, port, `${tag}-${i}`), s.t.sipPort, '127.0.0.1');
      if (i % 100 === 99) await new Promise((r) => setImmediate(r));
    }
  }

  it(`a blocked source: ${FLOOD} requests, every one refused 403, not one transaction kept`, async () => {
    const src = await source('127.0.0.7');
    try {
      // A scanner's User-Agent gets its address blocked (test/sip/registrar.test.ts).
      src.sock.send(
        request('OPTIONS', src.sock.address().port, 'scan', 'friendly-scanner'),
        s.t.sipPort,
        '127.0.0.1',
      );
      await waitFor(() => src.answers.get(403) === 1, 10_000, 'the scanner refused');
      const before = held();
      await flood(src, FLOOD, 'blocked');
      await waitFor(() => src.total() === FLOOD + 1, 30_000, `an answer to each of the ${FLOOD} requests`);
      assert.deepEqual([...src.answers], [[403, FLOOD + 1]], 'every request refused 403, INVITEs included');
      assert.equal(held(), before, 'the table is as it was: the refusals kept no state');
    } finally {
      src.sock.close();
    }
  });

  it(`a fresh source: ${FLOOD} requests never take the table past ${CAP}; the rest get a stateless 503`, async () => {
    const src = await source('127.0.0.8');
    const base = held(); // the scanner's OPTIONS above was answered from a transaction (Timer J: 32 s)
    let peak = 0;
    const watch = setInterval(() => (peak = Math.max(peak, held())), 1);
    try {
      await flood(src, FLOOD, 'fresh');
      // Each request gets one final answer: from its transaction (401, 407, 200, 489), or the stateless 503.
      const finals = () => src.total() - (src.answers.get(100) ?? 0);
      await waitFor(() => finals() === FLOOD, 30_000, `a final answer to each of the ${FLOOD} requests`);
      peak = Math.max(peak, held());
      assert.ok(peak <= CAP, `peak ${peak} transactions held`);
      assert.equal(held(), CAP, 'the table is full, not over');
      const stateful = FLOOD - (src.answers.get(503) ?? 0);
      assert.equal(
        stateful,
        CAP - base,
        `exactly ${CAP - base} requests got a transaction: ${JSON.stringify([...src.answers])}`,
      );
    } finally {
      clearInterval(watch);
      src.sock.close();
    }
  });
});
