import assert from 'node:assert/strict';
import type { TestServer } from '../../helpers/harness.js';
import { type Peers, SCENARIOS, freeUdpPort, portFree, waitFor } from './peers.js';
import { UdpClient, answer, registerText } from './udp-client.js';

let seq = 1000;

/** Register `agent`'s phone at 127.0.0.1:`port` on its behalf (how a sipp UAS becomes a registered agent). */
export async function registerContact(
  s: TestServer,
  agentIndex: number,
  port: number,
  expires = 300,
  transport: 'udp' | 'tcp' = 'udp',
): Promise<void> {
  const a = s.demo.agents[agentIndex]!;
  const c = await new UdpClient(s.t.sipPort).open();
  try {
    const domain = s.demo.sip_domain;
    const callId = `reg-${a.extension}-${port}`;
    const contact = `<sip:${a.extension}@127.0.0.1:${port}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
    // One phone per agent in these tests: drop bindings an earlier test left, then bind this one.
    for (const [ct, exp] of [
      ['*', 0],
      [contact, expires],
    ] as const) {
      const first = seq++;
      c.send(
        registerText({
          user: a.extension,
          domain,
          cseq: first,
          callId,
          port: c.port,
          contact: ct,
          expires: exp,
        }),
      );
      const ch = (await c.response(first)).headers.get('www-authenticate')!;
      const second = seq++;
      const auth = answer(ch, a.extension, a.sip_password, 'REGISTER', `sip:${domain}`);
      c.send(
        registerText({
          user: a.extension,
          domain,
          cseq: second,
          callId,
          port: c.port,
          contact: ct,
          expires: exp,
          auth,
        }),
      );
      assert.equal((await c.response(second)).status, 200);
    }
  } finally {
    c.close();
  }
}

/** An even UDP port p with p and p+2 free (sipp binds the audio port and the video port two above it). */
export async function freeMediaPort(): Promise<number> {
  for (;;) {
    const p = await freeUdpPort();
    if (p % 2 !== 0 || p > 60000) continue;
    if (await portFree(p + 2)) return p;
  }
}

/** Start a sipp agent phone (UAS) with RTP echo, registered for agent `agentIndex` (its SIP port: `port`). */
export async function startAgent(
  peers: Peers,
  s: TestServer,
  agentIndex: number,
  scenario: string,
  opts: { pauseMs?: number; calls?: number; extra?: string[]; timeoutMs?: number } = {},
) {
  const port = await freeUdpPort();
  const mp = await freeMediaPort();
  const run = peers.sippRun(
    `127.0.0.1:${s.t.sipPort}`,
    [
      '-sf',
      SCENARIOS + scenario,
      '-p',
      String(port),
      '-mp',
      String(mp),
      '-rtp_echo',
      '-d',
      String(opts.pauseMs ?? 300),
      '-m',
      String(opts.calls ?? 1),
      ...(opts.extra ?? []),
    ],
    opts.timeoutMs ?? 60_000,
  );
  await new Promise((r) => setTimeout(r, 300));
  await registerContact(s, agentIndex, port);
  return { ...run, port };
}

/**
 * The carrier on the demo trunk's port (DEMO_TRUNK_PORT = `trunkPort`): a sipp UAS (carrier-answer.xml) that
 * answers one call and echoes its RTP; `pauseMs` is sipp's `-d` (the scenario's own pause when unset).
 */
export async function echoCarrier(
  peers: Peers,
  s: Pick<TestServer, 't'>,
  trunkPort: number,
  opts: { pauseMs?: number; extra?: string[]; timeoutMs?: number } = {},
) {
  return peers.sippRun(
    `127.0.0.1:${s.t.sipPort}`,
    [
      ...['-sf', SCENARIOS + 'carrier-answer.xml', '-p', String(trunkPort)],
      ...['-mp', String(await freeMediaPort()), '-rtp_echo'],
      ...(opts.pauseMs === undefined ? [] : ['-d', String(opts.pauseMs)]),
      ...['-m', '1', ...(opts.extra ?? [])],
    ],
    opts.timeoutMs,
  );
}

/**
 * Agent `agentIndex` dials `number` from a sipp phone (UAC, digest with the agent's SIP password); `scenario`
 * defaults to agent-call.xml, `talkMs` to 1,500, `extra` adds sipp arguments (e.g. `-rtp_echo`).
 */
export async function agentDials(
  peers: Peers,
  s: TestServer,
  agentIndex: number,
  number: string,
  opts: { scenario?: string; talkMs?: number; extra?: string[] } = {},
) {
  const a = s.demo.agents[agentIndex]!;
  const csv = peers.csv(`dial-${a.extension}-${number}.csv`, [[number, s.demo.sip_domain, a.extension]]);
  return peers.sippRun(`127.0.0.1:${s.t.sipPort}`, [
    '-sf',
    SCENARIOS + (opts.scenario ?? 'agent-call.xml'),
    '-inf',
    csv,
    '-au',
    a.extension,
    '-ap',
    a.sip_password,
    '-p',
    String(await freeUdpPort()),
    '-mp',
    String(await freeMediaPort()),
    ...(opts.extra ?? []),
    '-d',
    String(opts.talkMs ?? 1500),
    '-m',
    '1',
  ]);
}

/** The customer calling a DID through the demo trunk (sipp UAC from 127.0.0.1). */
export async function startCustomer(
  peers: Peers,
  s: TestServer,
  scenario: string,
  talkMs: number,
  caller = '0909123456',
) {
  const csv = peers.csv(`customer-${caller}.csv`, [[s.demo.hotline, caller]]);
  const port = await freeUdpPort();
  const mp = await freeMediaPort();
  return peers.sippRun(
    `127.0.0.1:${s.t.sipPort}`,
    [
      '-sf',
      SCENARIOS + scenario,
      '-inf',
      csv,
      '-p',
      String(port),
      '-mp',
      String(mp),
      '-d',
      String(talkMs),
      '-m',
      '1',
    ],
    60_000,
  );
}

/**
 * The newest call record whose `column` is `value`, once it is closed (records are written after the SIP answers
 * go out, so a test must wait for them). `skip`: call ids already checked, which must never stand in for the call
 * just made.
 */
export async function closedCall(
  s: TestServer,
  column: 'call_id' | 'caller_number' | 'callee_number',
  value: string,
  skip: ReadonlySet<string> = new Set(),
) {
  return waitFor(
    async () => {
      const rows = await s.t.ctx.db
        .selectFrom('calls')
        .selectAll()
        .where(column, '=', value)
        .orderBy('id', 'desc')
        .execute();
      const c = rows.find((r) => !skip.has(r.call_id));
      return c?.ended_at ? c : null;
    },
    10_000,
    `a closed call record with ${column} ${value}`,
  );
}
