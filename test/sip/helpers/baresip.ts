import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { toTelephonyPcm } from '../../../src/media/wav.js';
import type { TestServer } from '../../helpers/harness.js';
import { writeToneWav } from '../../media/tones.js';
import { freeSipPortPair } from '../../helpers/ports.js';
import { type Finished, type Peers, freeUdpPort, waitFor } from './peers.js';

// baresip 1.0 (Debian's) answers MD5 challenges only: the default challenge offers MD5 first.

/**
 * One baresip process for one agent: loopback UDP only, a tone file (`hz`) as the microphone, what it hears written
 * to `heard.wav`, auto-answer, and its `ctrl_tcp` control socket for commands (netstring JSON, as baresip's own
 * tools send them) such as `transfer`.
 */
export class Baresip {
  output = '';
  private token = 0;

  private constructor(
    readonly home: string,
    readonly ctrlPort: number,
    readonly run: { proc: ChildProcess; done: Promise<Finished> },
  ) {
    run.proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    run.proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /**
   * Start baresip and wait until it says it is ready. Its ports are chosen free a moment before it binds them, so
   * another peer of the suite can take one in between; a start that fails with "Address already in use" is tried
   * again on new ports (up to three times).
   */
  static async start(
    peers: Peers,
    s: TestServer,
    agent: TestServer['demo']['agents'][number],
    opts: { hz?: number } = {},
  ): Promise<Baresip> {
    for (let attempt = 1; ; attempt++) {
      const phone = await Baresip.spawn(peers, s, agent, opts, attempt);
      // Ready, or exited (a lost port race ends the process at once); either ends the wait.
      const { proc } = phone.run;
      const ready = await waitFor(
        () => phone.output.includes('baresip is ready') || proc.exitCode !== null,
        15_000,
        'baresip',
      ).then(
        () => proc.exitCode === null,
        () => false,
      );
      if (ready) return phone;
      if (attempt < 3 && phone.output.includes('Address already in use')) continue;
      throw new Error(`baresip for ${agent.extension} did not start; it said:\n${phone.output.slice(-3000)}`);
    }
  }

  private static async spawn(
    peers: Peers,
    s: TestServer,
    agent: TestServer['demo']['agents'][number],
    opts: { hz?: number },
    attempt: number,
  ): Promise<Baresip> {
    const dir = join(peers.dir, `baresip-${agent.extension}-${Date.now()}-${attempt}`);
    mkdirSync(dir, { recursive: true });
    // baresip binds UDP and TCP on sip_listen's port and SIP/TLS on the next one.
    const sipPort = await freeSipPortPair();
    let ctrlPort = await freeUdpPort();
    while (ctrlPort === sipPort || ctrlPort === sipPort + 1) ctrlPort = await freeUdpPort();
    const rtp = 40000 + Math.floor(Math.random() * 900) * 20;
    writeFileSync(
      join(dir, 'config'),
      [
        'poll_method epoll',
        `sip_listen 127.0.0.1:${sipPort}`,
        'sip_trans_def udp',
        // No sound card: the player is null (`aubridge` nowhere), and sndfile dumps each call's decoded audio.
        `snd_path ${dir}`,
        `audio_source aufile,${writeToneWav(join(dir, 'tone.wav'), opts.hz ?? 440, 60)}`,
        'audio_alert aufile,/dev/null',
        `rtp_ports ${rtp}-${rtp + 19}`,
        `ctrl_tcp_listen 127.0.0.1:${ctrlPort}`,
        'module_path /usr/lib/baresip/modules',
        'module g711.so',
        'module aufile.so',
        'module sndfile.so',
        'module_app account.so',
        'module_app menu.so',
        'module_app ctrl_tcp.so',
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(dir, 'accounts'),
      `<sip:${agent.extension}@${s.demo.sip_domain}>;auth_pass=${agent.sip_password};outbound="sip:127.0.0.1:${s.t.sipPort}";answermode=auto;regint=300\n`,
    );
    return new Baresip(dir, ctrlPort, peers.start('baresip', ['-f', dir], 120_000));
  }

  /**
   * Send one command on the control socket (`{"command","params","token"}` as a netstring) and resolve with
   * baresip's response (`{"response":true,"ok":…,"data":…}`).
   */
  command(command: string, params = ''): Promise<{ ok: boolean; data: string }> {
    const token = String(++this.token);
    const body = JSON.stringify({ command, params, token });
    return new Promise((resolve, reject) => {
      const sock = connect(this.ctrlPort, '127.0.0.1');
      let buf = '';
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`baresip did not answer "${command}"; it said:\n${this.output.slice(-2000)}`));
      }, 10_000);
      sock.on('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      sock.on('connect', () => sock.write(`${Buffer.byteLength(body)}:${body},`));
      sock.on('data', (d) => {
        buf += d.toString();
        // Netstrings: `len:payload,` — events may come first; take the response with our token.
        for (;;) {
          const colon = buf.indexOf(':');
          if (colon < 0) return;
          const len = Number(buf.slice(0, colon));
          if (buf.length < colon + 1 + len + 1) return;
          const payload = buf.slice(colon + 1, colon + 1 + len);
          buf = buf.slice(colon + 2 + len);
          const msg = JSON.parse(payload) as {
            response?: boolean;
            ok: boolean;
            data: string;
            token?: string;
          };
          if (msg.response && msg.token === token) {
            clearTimeout(timer);
            sock.end();
            resolve({ ok: msg.ok, data: msg.data });
            return;
          }
        }
      });
    });
  }

  /** Wait until the server has this phone's agent `Available` (it registered and logged the agent in). */
  async registered(s: TestServer, agent: TestServer['demo']['agents'][number]): Promise<void> {
    await waitFor(
      async () => {
        const [v] = await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [agent.agent_id]);
        return v?.status === 'Available';
      },
      30_000,
      `baresip registered agent ${agent.extension} and logged it in`,
    ).catch((e: Error) => {
      throw new Error(`${e.message}; baresip said:\n${this.output.slice(-3000)}`);
    });
  }

  /**
   * What the phone heard in its latest call, as 8 kHz PCM: sndfile's `dump-<call>-dec.wav` (the decoded stream;
   * its header may still say 0 bytes while the call runs).
   */
  heard(): Int16Array {
    const dumps = readdirSync(this.home)
      .filter((f) => f.startsWith('dump-') && f.endsWith('-dec.wav'))
      .map((f) => ({ f, at: statSync(join(this.home, f)).birthtimeMs }))
      .sort((x, y) => x.at - y.at);
    if (dumps.length === 0) throw new Error(`baresip wrote no audio dump in ${this.home}`);
    return toTelephonyPcm(readFileSync(join(this.home, dumps.at(-1)!.f)));
  }

  async quit(): Promise<Finished> {
    this.run.proc.kill('SIGTERM');
    const timer = setTimeout(() => this.run.proc.kill('SIGKILL'), 5000);
    const f = await this.run.done;
    clearTimeout(timer);
    return f;
  }
}
