import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// @ts-expect-error: a plain .mjs script without types
import { clusterConfig } from '../../scripts/cluster-config.mjs';
import assert from 'node:assert/strict';
import type { TestServer } from '../helpers/harness.js';
import { freeMediaPort } from '../sip/helpers/agents.js';
import { UdpClient, answer, registerText } from '../sip/helpers/udp-client.js';
import { type Peers, SCENARIOS, freeUdpPort, waitFor } from '../sip/helpers/peers.js';

/** Kamailio with deploy/kamailio/kamailio.cfg on a free loopback port, fronting the given node SIP ports. */
export class Edge {
  port = 0;
  private proc?: ChildProcess;
  private dir = '';
  log = '';

  async start(nodePorts: number[]): Promise<this> {
    this.port = await freeUdpPort();
    this.dir = mkdtempSync(join(tmpdir(), 'tongdai-edge-'));
    const cfg: string = clusterConfig({ dir: this.dir, edgePort: this.port, nodePorts });
    // -DD: the main process stays in the foreground (its children die with its process group); -E: log to stderr.
    this.proc = spawn('kamailio', ['-DD', '-E', '-f', cfg, '-P', join(this.dir, 'k.pid'), '-w', this.dir], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.proc.stderr!.on('data', (d: Buffer) => {
      this.log = (this.log + d.toString()).slice(-20_000);
    });
    this.proc.stdout!.on('data', () => undefined);
    const probe = await new UdpClient(this.port).open();
    try {
      let seq = 1;
      await waitFor(
        async () => {
          const cseq = seq++;
          probe.send(
            [
              `OPTIONS sip:127.0.0.1:${this.port} SIP/2.0`,
              `Via: SIP/2.0/UDP 127.0.0.1:${probe.port};branch=z9hG4bKprobe${cseq};rport`,
              `From: <sip:probe@127.0.0.1>;tag=p${cseq}`,
              `To: <sip:127.0.0.1:${this.port}>`,
              `Call-ID: edge-probe-${this.port}`,
              `CSeq: ${cseq} OPTIONS`,
              'Max-Forwards: 70',
              'Content-Length: 0',
              '',
              '',
            ].join('\r\n'),
          );
          try {
            return (await probe.response(cseq, 500)).status === 200;
          } catch {
            return false;
          }
        },
        15_000,
        'Kamailio answering OPTIONS',
      );
    } finally {
      probe.close();
    }
    return this;
  }

  stop(): void {
    if (this.proc?.pid && this.proc.exitCode === null) {
      try {
        process.kill(-this.proc.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

let regSeq = 1;

/** REGISTER agent `index` of `s` through the edge from local `port` (afterwards handed to sipp), with digest. */
export async function registerThroughEdge(
  edge: Pick<Edge, 'port'>,
  s: Pick<TestServer, 'demo'>,
  index: number,
  port: number,
): Promise<void> {
  const a = s.demo.agents[index]!;
  const domain = s.demo.sip_domain;
  const c = await new UdpClient(edge.port).open(port);
  try {
    const callId = `edge-reg-${port}`;
    const first = regSeq++;
    const args = { user: a.extension, domain, callId, port, expires: 300 };
    c.send(registerText({ ...args, cseq: first }));
    const challenge = await c.response(first);
    assert.equal(challenge.status, 401);
    const second = regSeq++;
    const auth = answer(
      challenge.headers.get('www-authenticate')!,
      a.extension,
      a.sip_password,
      'REGISTER',
      `sip:${domain}`,
    );
    c.send(registerText({ ...args, cseq: second, auth }));
    assert.equal((await c.response(second)).status, 200);
  } finally {
    c.close();
  }
}

/**
 * A sipp agent phone (UAS, RTP echo) on `port`, reached through the edge; answers `calls` calls; killed after
 * `lifeMs` (a test that waits out a dead node's heartbeat needs the phone longer than the default minute).
 */
export async function edgeAgent(
  peers: Peers,
  edge: Pick<Edge, 'port'>,
  port: number,
  calls = 1,
  lifeMs = 60_000,
) {
  return peers.sippRun(
    `127.0.0.1:${edge.port}`,
    [
      '-sf',
      SCENARIOS + 'agent-answer.xml',
      '-p',
      String(port),
      '-mp',
      String(await freeMediaPort()),
      '-rtp_echo',
      '-d',
      '300',
      '-m',
      String(calls),
    ],
    lifeMs,
  );
}

/** The carrier's customer calling `did` from `caller` through the edge (plays audio, hangs up after `talkMs`). */
export async function edgeCustomer(
  peers: Peers,
  edge: Pick<Edge, 'port'>,
  did: string,
  caller: string,
  talkMs = 1500,
) {
  const csv = peers.csv(`edge-customer-${caller}.csv`, [[did, caller]]);
  return peers.sippRun(
    `127.0.0.1:${edge.port}`,
    [
      '-sf',
      SCENARIOS + 'customer-call.xml',
      '-inf',
      csv,
      '-p',
      String(await freeUdpPort()),
      '-mp',
      String(await freeMediaPort()),
      '-d',
      String(talkMs),
      '-m',
      '1',
    ],
    60_000,
  );
}

/** The error traces sipp wrote (`-trace_err`) in the peers' directory, for a failed call's assertion message. */
export function sippErrors(peers: Peers): string {
  return readdirSync(peers.dir)
    .filter((f) => f.endsWith('_errors.log'))
    .map((f) => `${f}:\n${readFileSync(join(peers.dir, f), 'utf8').slice(-2000)}`)
    .join('\n');
}

/** A carrier's INVITE for `did` straight to a node (no edge): the first response. */
export async function inviteDirect(sipPort: number, did: string) {
  const c = await new UdpClient(sipPort).open();
  try {
    c.send(
      [
        `INVITE sip:${did}@127.0.0.1:${sipPort} SIP/2.0`,
        `Via: SIP/2.0/UDP 127.0.0.1:${c.port};branch=z9hG4bKredir1;rport`,
        `From: <sip:0909888000@127.0.0.1>;tag=r1`,
        `To: <sip:${did}@127.0.0.1>`,
        `Call-ID: redirect-${c.port}`,
        'CSeq: 1 INVITE',
        `Contact: <sip:0909888000@127.0.0.1:${c.port}>`,
        'Max-Forwards: 70',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    for (;;) {
      const r = await c.response(1);
      if (r.status >= 200) return r;
    }
  } finally {
    c.close();
  }
}
