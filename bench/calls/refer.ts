/**
 * bench/calls/refer: how fast a blind transfer by SIP REFER reaches the new side.
 *
 *   npm run bench:refer -- [rates=5,50] [seconds-per-step=10] [audio-calls=100 | 0]
 *
 * Path: a customer sipp (UAC) calls a DID through the demo trunk at `rate` calls per second; the DID points at
 * agent 1001, whose phone is a small UDP user agent in this process. It answers, and on the ACK sends an in-dialog
 * REFER (RFC 3515) whose Refer-To is a number of its own (09…, unique per call). tongdai dials that number through
 * the trunk; the carrier is a second UDP user agent here, which notes when each INVITE arrives and answers it.
 * Measured per transfer: REFER sent → the new leg's INVITE at the carrier (both clocks are this process's), and
 * whether the referring phone got its NOTIFY 200 and BYE. The first rate is the same-run baseline; the last step
 * repeats the highest rate while `audio-calls` other calls carry audio (g711a pcap, echoed) through the media engine.
 */
import { type RemoteInfo, type Socket, createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { systemClock } from '../../src/clock.js';
import { type SipMessage, type SipRequest, parseMessage } from '../../src/sip/message.js';
import { startTestServer } from '../../test/helpers/harness.js';
import { freeMediaPort, registerContact } from '../../test/sip/helpers/agents.js';
import { Peers, SCENARIOS, freeUdpPort, sleep } from '../../test/sip/helpers/peers.js';

const DID = '02870000011';
const AUDIO_DID = '02870000012';
const [ratesArg, secondsArg, audioArg] = process.argv.slice(2);
const rates = (ratesArg ?? '5,50').split(',').map(Number);
const seconds = Number(secondsArg ?? 10);
const audioCalls = Number(audioArg ?? 100);

/** A UDP user agent on loopback that answers what it is sent; `onRequest` adds per-role behaviour. */
class Ua {
  readonly sock: Socket = createSocket('udp4');
  port = 0;
  private tag = 0;
  /** 200s waiting for their ACK, by Call-ID: resent every 500 ms (UDP on a loaded machine drops datagrams). */
  private readonly unacked = new Map<string, { text: string; to: RemoteInfo; timer: NodeJS.Timeout }>();

  constructor(
    readonly name: string,
    private readonly onRequest: (ua: Ua, req: SipRequest, from: RemoteInfo) => void,
  ) {
    this.sock.on('message', (d, from) => {
      let m: SipMessage;
      try {
        m = parseMessage(d);
      } catch {
        return;
      }
      if (m.kind === 'request') {
        if (m.method === 'ACK') this.acked(m.headers.get('call-id')!);
        this.onRequest(this, m, from);
      } else {
        this.onResponse?.(m.status, m.headers.get('call-id')!, m.headers.get('cseq')!);
      }
    });
  }

  onResponse?: (status: number, callId: string, cseq: string) => void;

  async open(): Promise<this> {
    await new Promise<void>((r) => this.sock.bind(0, '127.0.0.1', () => r()));
    this.port = this.sock.address().port;
    this.sock.setRecvBufferSize?.(8 * 1024 * 1024);
    return this;
  }

  send(text: string, to: { port: number }): void {
    this.sock.send(Buffer.from(text.replace(/\r?\n/g, '\r\n')), to.port, '127.0.0.1');
  }

  /** A response to `req` (its Via, From, To, Call-ID, CSeq), with our tag on To when it has none. */
  response(req: SipRequest, status: string, extra: string[] = [], body = ''): string {
    const h = req.headers;
    const to = h.get('to')!;
    return [
      `SIP/2.0 ${status}`,
      ...h.getAll('via').map((v) => `Via: ${v}`),
      `From: ${h.get('from')}`,
      `To: ${/;tag=/.test(to) ? to : `${to};tag=${this.name}${++this.tag}`}`,
      `Call-ID: ${h.get('call-id')}`,
      `CSeq: ${h.get('cseq')}`,
      ...extra,
      ...(body ? ['Content-Type: application/sdp'] : []),
      `Content-Length: ${Buffer.byteLength(body.replace(/\r?\n/g, '\r\n'))}`,
      '',
      body,
    ].join('\n');
  }

  /** Answer an INVITE with 200 and SDP, resending it until the ACK comes; returns the 200's To (with our tag). */
  answer(req: SipRequest, from: RemoteInfo, rtpPort: number): string {
    const callId = req.headers.get('call-id')!;
    const known = this.unacked.get(callId);
    if (known) {
      this.send(known.text, from);
      return '';
    }
    const sdp = [
      'v=0',
      `o=${this.name} 1 1 IN IP4 127.0.0.1`,
      's=-',
      'c=IN IP4 127.0.0.1',
      't=0 0',
      `m=audio ${rtpPort} RTP/AVP 0 8 101`,
      'a=rtpmap:0 PCMU/8000',
      'a=rtpmap:8 PCMA/8000',
      'a=rtpmap:101 telephone-event/8000',
      '',
    ].join('\n');
    const text = this.response(req, '200 OK', [`Contact: <sip:${this.name}@127.0.0.1:${this.port}>`], sdp);
    this.send(text, from);
    const timer = setInterval(() => this.send(text, from), 500);
    this.unacked.set(callId, { text, to: from, timer });
    return /^To: (.*)$/m.exec(text)![1]!;
  }

  private acked(callId: string): void {
    const u = this.unacked.get(callId);
    if (u) clearInterval(u.timer);
    this.unacked.delete(callId);
  }

  close(): void {
    for (const u of this.unacked.values()) clearInterval(u.timer);
    this.sock.close();
  }
}

interface Transfer {
  referAt: number;
  inviteAt?: number;
  notified200?: boolean;
  byeAt?: number;
}

async function main() {
  const transfers = new Map<string, Transfer>();
  /** The numbers referred to in the running step. */
  let current: string[] = [];
  let next = 0;
  const rtpSink = createSocket('udp4');
  await new Promise<void>((r) => rtpSink.bind(0, '127.0.0.1', () => r()));
  const rtpPort = rtpSink.address().port;

  // The carrier: answers every INVITE tongdai sends through the trunk, noting when each number's INVITE arrived.
  const carrier = await new Ua('carrier', (ua, req, from) => {
    if (req.method === 'INVITE') {
      const number = /^sip:([^@;]+)/.exec(req.uri)?.[1] ?? '';
      const tr = transfers.get(number);
      if (tr && tr.inviteAt === undefined) tr.inviteAt = performance.now();
      ua.answer(req, from, rtpPort);
    } else if (req.method === 'BYE' || req.method === 'OPTIONS' || req.method === 'CANCEL') {
      ua.send(ua.response(req, '200 OK'), from);
    }
  }).open();
  // The demo trunk points at this carrier (tongdai dials trunk calls to its host and port).
  const s = await startTestServer({
    clock: systemClock,
    env: { LOG_LEVEL: 'error', DEMO_TRUNK_PORT: String(carrier.port) },
  });
  const { t, demo } = s;
  const db = t.ctx.db;
  await db
    .updateTable('tenants')
    .set({ max_concurrent_calls: 100_000, max_calls_per_second: 100_000 })
    .where('id', '=', demo.tenant_id)
    .execute();
  for (const [number, agent] of [
    [DID, 0],
    [AUDIO_DID, 1],
  ] as const) {
    await db
      .insertInto('numbers')
      .values({
        tenant_id: demo.tenant_id,
        number,
        target_type: 'agent',
        target_id: demo.agents[agent]!.agent_id,
        trunk_id: null,
        created_at: Date.now(),
      })
      .execute();
  }

  // Agent 1001's phone: answers, and on the ACK refers the caller to a number of its own.
  const dialogs = new Map<string, { number: string; referText: string; timer?: NodeJS.Timeout }>();
  const phone = await new Ua('phone', (ua, req, from) => {
    const callId = req.headers.get('call-id')!;
    if (req.method === 'INVITE') {
      const to = ua.answer(req, from, rtpPort);
      if (!to) return;
      const number = `09${String(10_000_000 + next++).slice(-8)}`;
      const contact = /<([^>]+)>/.exec(req.headers.get('contact') ?? '')?.[1] ?? `sip:127.0.0.1:${from.port}`;
      const referText = [
        `REFER ${contact} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${ua.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
        `From: ${to}`,
        `To: ${req.headers.get('from')}`,
        `Call-ID: ${callId}`,
        'CSeq: 1 REFER',
        `Contact: <sip:phone@127.0.0.1:${ua.port}>`,
        `Refer-To: <sip:${number}@${demo.sip_domain}>`,
        `Referred-By: <sip:1001@${demo.sip_domain}>`,
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\n');
      dialogs.set(callId, { number, referText });
    } else if (req.method === 'ACK') {
      const d = dialogs.get(callId);
      if (!d || d.timer) return;
      transfers.set(d.number, { referAt: performance.now() });
      current.push(d.number);
      ua.send(d.referText, from);
      // Resent until tongdai answers it (202), as a UAC's non-INVITE transaction does over UDP.
      d.timer = setInterval(() => ua.send(d.referText, from), 500);
    } else if (req.method === 'NOTIFY') {
      const d = dialogs.get(callId);
      if (d && /^SIP\/2\.0 200/.test(req.body)) transfers.get(d.number)!.notified200 = true;
      ua.send(ua.response(req, '200 OK'), from);
    } else if (req.method === 'BYE') {
      const d = dialogs.get(callId);
      if (d) {
        const tr = transfers.get(d.number);
        if (tr && tr.byeAt === undefined) tr.byeAt = performance.now();
        clearInterval(d.timer);
      }
      ua.send(ua.response(req, '200 OK'), from);
    } else {
      ua.send(ua.response(req, '200 OK'), from);
    }
  }).open();
  phone.onResponse = (status, callId, cseq) => {
    if (status >= 200 && cseq.endsWith('REFER')) clearInterval(dialogs.get(callId)?.timer);
  };
  await registerContact(s, 0, phone.port, 3600);

  const peers = new Peers();
  const target = `127.0.0.1:${t.sipPort}`;
  const rows: string[] = [];
  const customer = async (did: string, scenario: string, args: string[], timeoutMs: number) =>
    peers.sippRun(
      target,
      [
        '-sf',
        scenario,
        '-inf',
        peers.csv(`customer-${did}.csv`, [[did, '0909000000']]),
        '-p',
        String(await freeUdpPort()),
        '-mp',
        String(await freeMediaPort()),
        '-max_socket',
        '4096',
        '-buff_size',
        '4194304',
        ...args,
      ],
      timeoutMs,
    );

  const step = async (rate: number, withAudio: boolean) => {
    let audio: ReturnType<Peers['sippRun']> | null = null;
    if (withAudio) {
      // The audio calls: agent 1002's phone echoes (sipp UAS over TCP), each call 2 × seconds + 20 s long.
      const agentPort = await freeUdpPort();
      peers.sippRun(
        target,
        [
          '-sf',
          SCENARIOS + 'agent-answer.xml',
          '-t',
          't1',
          '-p',
          String(agentPort),
          '-mp',
          String(await freeMediaPort()),
          '-rtp_echo',
          '-d',
          '0',
          '-m',
          String(audioCalls),
          '-max_socket',
          '4096',
        ],
        600_000,
      );
      await sleep(500);
      await registerContact(s, 1, agentPort, 3600, 'tcp');
      audio = await customer(
        AUDIO_DID,
        new URL('../sip/customer-call-audio.xml', import.meta.url).pathname,
        [
          '-r',
          String(Math.max(1, Math.round(audioCalls / 10))),
          '-m',
          String(audioCalls),
          '-l',
          String(audioCalls),
        ],
        600_000,
      );
      // Let the audio calls ramp up (10 s) before the transfers start.
      await sleep(11_000);
    }
    current = [];
    const lag = monitorEventLoopDelay({ resolution: 10 });
    lag.enable();
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const calls = rate * seconds;
    const run = await customer(
      DID,
      new URL('../sip/customer-call-signalling.xml', import.meta.url).pathname,
      ['-r', String(rate), '-m', String(calls), '-l', String(rate * 6), '-d', '3000'],
      (seconds + 60) * 1000,
    );
    const out = await run.done;
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    lag.disable();
    await sleep(1000);
    const own = current.map((n) => [n, transfers.get(n)!] as const);
    const lat = own
      .filter(([, tr]) => tr.inviteAt !== undefined)
      .map(([, tr]) => tr.inviteAt! - tr.referAt)
      .sort((a, b) => a - b);
    const pct = (p: number) => lat[Math.min(lat.length - 1, Math.floor((p / 100) * lat.length))] ?? NaN;
    const ok = /Successful call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(out.stdout)?.[1];
    const failed = /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(out.stdout)?.[1];
    const row = {
      step: `${rate} transfers/s${withAudio ? ` + ${audioCalls} calls with audio` : ''}`,
      calls: own.length,
      invited: lat.length,
      notified200: own.filter(([, tr]) => tr.notified200).length,
      byed: own.filter(([, tr]) => tr.byeAt !== undefined).length,
      sippOk: Number(ok),
      sippFailed: Number(failed),
      p50: Math.round(pct(50) * 10) / 10,
      p95: Math.round(pct(95) * 10) / 10,
      p99: Math.round(pct(99) * 10) / 10,
      max: Math.round((lat.at(-1) ?? NaN) * 10) / 10,
      cpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / wall) * 100),
      loopP99Ms: Math.round(lag.percentile(99) / 1e6),
      load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    };
    console.log(JSON.stringify(row));
    rows.push(
      `| ${row.step} | ${row.calls} | ${row.invited} | ${row.notified200} | ${row.byed} | ${row.sippFailed} | ${row.p50} / ${row.p95} / ${row.p99} / ${row.max} | ${row.cpuPct} | ${row.loopP99Ms} | ${row.load} |`,
    );
    if (audio) {
      const a = await audio.done;
      const aFailed = /Failed call\s*\|\s*\d+\s*\|\s*(\d+)/.exec(a.stdout)?.[1];
      console.log(JSON.stringify({ audioCalls, audioFailed: Number(aFailed) }));
    }
    await sleep(2000);
  };

  try {
    for (const rate of rates) await step(rate, false);
    if (audioCalls > 0) await step(rates.at(-1)!, true);
  } finally {
    peers.killAll();
    phone.close();
    carrier.close();
    rtpSink.close();
    await s.close();
  }
  console.log(
    '\n| step | transfers | new leg INVITEd | NOTIFY 200 | agent BYEd | sipp failed | REFER → INVITE p50 / p95 / p99 / max ms | tongdai CPU % | event-loop p99 ms | load 1/5/15 |',
  );
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) console.log(r);
}

await main();
