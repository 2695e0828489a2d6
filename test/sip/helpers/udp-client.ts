import { type Socket, createSocket } from 'node:dgram';
import {
  type SipMessage,
  type SipRequest,
  type SipResponse,
  parseMessage,
} from '../../../src/sip/message.js';
import { digestResponse, parseAuthorization, type DigestAlgorithm } from '../../../src/sip/digest.js';

/** A bare UDP SIP client for registrar tests: sends hand-written requests and reads the answers. */
export class UdpClient {
  private readonly sock: Socket = createSocket('udp4');
  private readonly inbox: SipMessage[] = [];
  private readonly arrivals = new WeakMap<SipMessage, number>();
  private waiters: (() => void)[] = [];
  port = 0;

  /** `bindAddress`: the source address (127.0.0.1 is the demo trunk's, which the scanner guard never blocks). */
  constructor(
    private readonly serverPort: number,
    private readonly bindAddress = '127.0.0.1',
  ) {
    this.sock.on('message', (d) => {
      try {
        const m = parseMessage(d);
        this.arrivals.set(m, Date.now());
        this.inbox.push(m);
      } catch {
        return;
      }
      for (const w of this.waiters.splice(0)) w();
    });
  }

  /** `localPort`: bind this port (a phone that registers, then hands its port to sipp); 0: any. */
  async open(localPort = 0): Promise<this> {
    await new Promise<void>((r) => this.sock.bind(localPort, this.bindAddress, () => r()));
    this.port = this.sock.address().port;
    return this;
  }

  /** When `m` arrived (ms since the epoch), for timing retransmissions by arrival rather than by when a test read it. */
  arrivedAt(m: SipMessage): number {
    return this.arrivals.get(m) ?? Date.now();
  }

  send(text: string): void {
    const data = Buffer.from(text.replace(/\r?\n/g, '\r\n'));
    this.sock.send(data, this.serverPort, '127.0.0.1');
  }

  /**
   * The next response whose CSeq has this number (older retransmissions are skipped). The default wait is long
   * (10 s): this client does not retransmit, and on a loaded CI machine a digest REGISTER against PostgreSQL once
   * took over 3 s; tests that expect silence pass their own short timeout.
   */
  async response(cseq: number, timeoutMs = 10_000): Promise<SipResponse> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex(
        (m) => m.kind === 'response' && m.headers.get('cseq')?.startsWith(`${cseq} `),
      );
      if (i >= 0) return this.inbox.splice(i, 1)[0] as SipResponse;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no response to CSeq ${cseq}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  /** The next request with this method (a UA's view: what the server sends us). */
  async request(method: string, timeoutMs = 3000): Promise<SipRequest> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const i = this.inbox.findIndex((m) => m.kind === 'request' && m.method === method);
      if (i >= 0) return this.inbox.splice(i, 1)[0] as SipRequest;
      const left = until - Date.now();
      if (left <= 0) throw new Error(`no ${method} request`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, left);
        this.waiters.push(() => {
          clearTimeout(t);
          r();
        });
      });
    }
  }

  close(): void {
    this.sock.close();
  }
}

export interface RegisterArgs {
  user: string;
  domain: string;
  cseq: number;
  callId: string;
  port: number;
  contact?: string;
  expires?: number;
  auth?: string;
  userAgent?: string;
}

export function registerText(a: RegisterArgs): string {
  const contact = a.contact ?? `<sip:${a.user}@127.0.0.1:${a.port}>`;
  return [
    `REGISTER sip:${a.domain} SIP/2.0`,
    `Via: SIP/2.0/UDP 127.0.0.1:${a.port};branch=z9hG4bK${Math.random().toString(36).slice(2)};rport`,
    `From: <sip:${a.user}@${a.domain}>;tag=${a.callId.slice(0, 6)}`,
    `To: <sip:${a.user}@${a.domain}>`,
    `Call-ID: ${a.callId}`,
    `CSeq: ${a.cseq} REGISTER`,
    `Contact: ${contact}`,
    ...(a.expires === undefined ? [] : [`Expires: ${a.expires}`]),
    ...(a.auth ? [`Authorization: ${a.auth}`] : []),
    `User-Agent: ${a.userAgent ?? 'tongdai-test'}`,
    'Max-Forwards: 70',
    'Content-Length: 0',
    '',
    '',
  ].join('\n');
}

/** An Authorization header answering `challenge` (a WWW-Authenticate value). */
export function answer(
  challenge: string,
  user: string,
  password: string,
  method: string,
  uri: string,
): string {
  const p = parseAuthorization(challenge)!;
  const algorithm = (p.algorithm ?? 'MD5') as DigestAlgorithm;
  const creds = {
    username: user,
    realm: p.realm!,
    nonce: p.nonce!,
    uri,
    response: '',
    algorithm,
    qop: 'auth',
    nc: '00000001',
    cnonce: 'abcdef12',
  };
  const response = digestResponse(creds, method, password);
  return `Digest username="${user}", realm="${creds.realm}", nonce="${creds.nonce}", uri="${uri}", response="${response}", algorithm=${algorithm}, qop=auth, nc=00000001, cnonce="abcdef12"`;
}
