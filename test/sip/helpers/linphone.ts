import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { toTelephonyPcm } from '../../../src/media/wav.js';
import type { TestServer } from '../../helpers/harness.js';
import { writeToneWav } from '../../media/tones.js';
import { freeMediaPort } from './agents.js';
import { type Peers, freeUdpPort } from './peers.js';

// Debian's linphonec (linphone-cli 5.1) on the server's default settings: no digest or transport overrides.
// Two things a first try at linphonec trips over, both on linphone's side:
// - the core only starts (listening points, then REGISTER) once it can open its database under
//   $HOME/.local/share/linphone; without that directory it creates the account and never sends anything;
// - stdin must stay open: on end of input linphonec quits.

/** One linphonec process for one agent, driven through its command line. */
export class Linphone {
  output = '';
  private constructor(
    readonly proc: ChildProcess,
    readonly done: Promise<unknown>,
    readonly logFile: string,
    readonly home: string,
  ) {
    proc.stdout?.on('data', (d: Buffer) => (this.output += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (this.output += d.toString()));
  }

  /** A linphonerc for `agent` (UDP on a free port, G.711 only, the proxy is tongdai), then linphonec on it. */
  static async start(
    peers: Peers,
    s: TestServer,
    agent: TestServer['demo']['agents'][number],
    opts: { hz?: number } = {},
  ): Promise<Linphone> {
    const home = join(peers.dir, `linphone-${agent.extension}`);
    mkdirSync(join(home, '.local', 'share', 'linphone'), { recursive: true });
    const sipPort = await freeUdpPort();
    const rtpPort = await freeMediaPort();
    const domain = s.demo.sip_domain;
    const rc = join(home, 'linphonerc');
    // lpconfig takes everything after `=` as the value: a password needs no quoting.
    writeFileSync(
      rc,
      [
        '[sip]',
        `sip_port=${sipPort}`,
        'sip_tcp_port=0',
        'sip_tls_port=0',
        'default_proxy=0',
        'inc_timeout=30',
        '[rtp]',
        `audio_rtp_port=${rtpPort}`,
        '[net]',
        'ipv6=0',
        '[video]',
        'capture=0',
        'display=0',
        '[audio_codec_0]',
        'mime=PCMU',
        'rate=8000',
        'enabled=1',
        '[audio_codec_1]',
        'mime=PCMA',
        'rate=8000',
        'enabled=1',
        '[auth_info_0]',
        `username=${agent.extension}`,
        `passwd=${agent.sip_password}`,
        `realm=${domain}`,
        `domain=${domain}`,
        '[proxy_0]',
        `reg_proxy=<sip:127.0.0.1:${s.t.sipPort};transport=udp>`,
        `reg_route=<sip:127.0.0.1:${s.t.sipPort};transport=udp;lr>`,
        `reg_identity="Agent ${agent.extension}" <sip:${agent.extension}@${domain}>`,
        'reg_expires=300',
        'reg_sendregister=1',
        'publish=0',
        '',
      ].join('\n'),
    );
    const logFile = join(home, 'linphone.log');
    // HOME holds the database directory above; stdin is a pipe the test writes commands to.
    const child = spawn('linphonec', ['-c', rc, '-a', '-d', '6', '-l', logFile], {
      cwd: home,
      env: { ...process.env, HOME: home },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    // A phone that already quit must not turn a late command into an EPIPE crash of the test process.
    child.stdin.on('error', () => undefined);
    const done = new Promise((r) => child.on('exit', r));
    const phone = new Linphone(child, done, logFile, home);
    phone.send('soundcard use files');
    phone.send(`play ${writeToneWav(join(home, 'tone.wav'), opts.hz ?? 440, 60)}`);
    phone.send(`record ${join(home, 'heard.wav')}`);
    return phone;
  }

  send(command: string): void {
    this.proc.stdin?.write(command + '\n');
  }

  /** What the phone played out so far, as 8 kHz PCM (`record` writes it; the header may still say 0 bytes). */
  heard(): Int16Array {
    return toTelephonyPcm(readFileSync(join(this.home, 'heard.wav')));
  }

  /** The SIP log linphonec wrote (requests and responses it sent and received). */
  log(): string {
    try {
      return readFileSync(this.logFile, 'utf8');
    } catch {
      return '';
    }
  }

  /** Why a wait failed: linphonec's console and the end of its log. */
  explain(e: Error): Error {
    const log = this.log();
    return new Error(`${e.message}; linphonec said:\n${this.output.slice(-1500)}\nlog:\n${log.slice(-4000)}`);
  }

  async quit(): Promise<void> {
    this.send('quit');
    const timer = setTimeout(() => this.proc.kill('SIGKILL'), 5000);
    await this.done;
    clearTimeout(timer);
  }
}
