/**
 * bench/sip/transaction-table: the memory of a full SIP server transaction table (issue 18: a flood kept ~32 s of
 * state per request with no bound). A SipStack on loopback is sent fresh-branch requests over UDP, as a flood
 * would, until its table holds `SIP_MAX_TRANSACTIONS` (20,000 by default): REGISTERs answered 401 with two
 * challenges, INVITEs with an SDP body answered 100 then 407 (kept for Timer H, the final retransmitted until the
 * ACK), OPTIONS answered 200, as tongdai's registrar and dialogs answer strangers. Every entry then stays for its
 * 32 s timer. Heap (after a full GC) and RSS are read before and once the table is full; then `OVERFLOW` more
 * requests must each get a stateless 503 while the table stays at its cap. One JSON line on stdout.
 *
 *   node --expose-gc --import tsx bench/sip/transaction-table.ts [cap=20000] [overflow=2000]
 */
import { type Socket, createSocket } from 'node:dgram';
import { SipStack } from '../../src/sip/stack.js';
import { makeResponse } from '../../src/sip/message.js';

const cap = Number(process.argv[2] ?? 20_000);
const overflow = Number(process.argv[3] ?? 2_000);
const exposed = (globalThis as { gc?: () => void }).gc;
if (!exposed) throw new Error('run with node --expose-gc');
const gc: () => void = exposed;

const SDP = [
  'v=0',
  'o=- 3916789012 3916789012 IN IP4 127.0.0.1',
  's=call',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 8 0 101',
  'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-16',
  'a=ptime:20',
  'a=sendrecv',
  '',
].join('\r\n');

/** A request as a scanner or a flooding phone sends it (~450 bytes, INVITE ~800 with its SDP). */
function request(method: string, port: number, id: string): Buffer {
  const body = method === 'INVITE' ? SDP : '';
  const ext = 100 + (Number(id.split('-')[1]) % 900);
  return Buffer.from(
    [
      `${method} sip:${method === 'REGISTER' ? 'tongdai.example.com' : `${ext}@tongdai.example.com`} SIP/2.0`,
      `Via: SIP/2.0/UDP 127.0.0.1:${port};branch=z9hG4bK-${id};rport`,
      `From: "${ext}" <sip:${ext}@tongdai.example.com>;tag=${id}`,
      `To: <sip:${ext}@tongdai.example.com>`,
      `Call-ID: ${id}@127.0.0.1`,
      `CSeq: 1 ${method}`,
      `Contact: <sip:${ext}@127.0.0.1:${port};transport=udp>`,
      'Max-Forwards: 70',
      'User-Agent: Grandstream GXP1625 1.0.4.152',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, REFER, NOTIFY',
      'Supported: replaces, timer',
      ...(method === 'INVITE' ? ['Content-Type: application/sdp'] : ['Expires: 3600']),
      `Content-Length: ${Buffer.byteLength(body)}`,
      '',
      body,
    ].join('\r\n'),
  );
}

const challenge = (realm: string) =>
  `Digest realm="${realm}", nonce="mjq2k0ab.${'x'.repeat(27)}", algorithm=MD5, qop="auth"`;

const stack = new SipStack({
  host: '127.0.0.1',
  port: 0,
  publicIp: '127.0.0.1',
  maxServerTransactions: cap,
  onAck: () => undefined,
  onRequest: (req, tx) => {
    if (req.method === 'OPTIONS') return tx.respond(makeResponse(req, 200));
    const proxy = req.method !== 'REGISTER';
    const res = makeResponse(req, proxy ? 407 : 401);
    for (const alg of ['MD5', 'SHA-256'])
      res.headers.add(
        proxy ? 'proxy-authenticate' : 'www-authenticate',
        challenge('tongdai.example.com').replace('MD5', alg),
      );
    tx.respond(res);
  },
});

const mb = (n: number) => Math.round((n / 1048576) * 10) / 10;

async function main(): Promise<void> {
  const port = await stack.listen();
  const sock: Socket = createSocket('udp4');
  await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
  const answers = new Map<number, number>();
  sock.on('message', (d) => {
    const code = Number(/^SIP\/2\.0 (\d{3})/.exec(d.toString('latin1'))?.[1]);
    answers.set(code, (answers.get(code) ?? 0) + 1);
  });
  const me = sock.address().port;
  const methods = ['REGISTER', 'INVITE', 'OPTIONS', 'REGISTER'];
  let sent = 0;
  const send = () => {
    sock.send(request(methods[sent % 4]!, me, `f-${sent}`), port, '127.0.0.1');
    sent++;
  };
  gc();
  await new Promise((r) => setTimeout(r, 200));
  gc();
  const before = process.memoryUsage();
  const started = Date.now();
  // Fill to the cap 200 at a time, each batch answered (or 50 ms gone) before the next, so the socket buffers do
  // not overflow; a lost datagram is made up for by another (the table is the measure, not the count sent).
  const answered = () => [...answers.values()].reduce((a, b) => a + b, 0);
  while (stack.serverTransactionCount < cap && Date.now() - started < 30_000) {
    const batch = Math.min(200, cap - stack.serverTransactionCount);
    const target = answered() + batch;
    for (let i = 0; i < batch; i++) send();
    const until = Date.now() + 50;
    while (answered() < target && Date.now() < until) await new Promise((r) => setTimeout(r, 1));
  }
  const filledIn = Date.now() - started;
  const full = stack.serverTransactionCount;
  gc();
  const after = process.memoryUsage();
  // The flood goes on: every request beyond the cap is refused without state.
  const refusedBefore = answers.get(503) ?? 0;
  let peak = full;
  for (let i = 0; i < overflow; i++) {
    send();
    if (i % 100 === 99) {
      await new Promise((r) => setImmediate(r));
      peak = Math.max(peak, stack.serverTransactionCount);
    }
  }
  const waitUntil = Date.now() + 3000;
  while ((answers.get(503) ?? 0) - refusedBefore < overflow * 0.9 && Date.now() < waitUntil)
    await new Promise((r) => setTimeout(r, 20));
  peak = Math.max(peak, stack.serverTransactionCount);
  const heap = after.heapUsed - before.heapUsed;
  const external = after.external - before.external;
  console.log(
    JSON.stringify({
      cap,
      held: full,
      filledInMs: filledIn,
      sent,
      heapBeforeMb: mb(before.heapUsed),
      heapAfterMb: mb(after.heapUsed),
      heapGrowthMb: mb(heap),
      externalGrowthMb: mb(external),
      rssGrowthMb: mb(after.rss - before.rss),
      bytesPerTransaction: Math.round((heap + external) / Math.max(1, full)),
      overflowSent: overflow,
      overflow503: (answers.get(503) ?? 0) - refusedBefore,
      peakAfterOverflow: peak,
    }),
  );
  sock.close();
  await stack.close();
  // Pending transaction timers are unref'd; nothing else holds the process.
}

await main();
