import { type SipMessage, type SipRequest, type SipResponse, makeResponse } from './message.js';
import { newBranch, parseCSeq } from './headers.js';
import {
  ClientTransaction,
  type ResponseHandler,
  ServerTransaction,
  branchOf,
  cancelFor,
} from './transactions.js';
import { type Remote, SipTransport } from './transport.js';

export interface StackOptions {
  host: string;
  port: number;
  /** Address written into our Via and Contact headers. */
  publicIp: string;
  /** A new request outside any existing transaction (ACKs for 2xx go to onAck). */
  onRequest(req: SipRequest, tx: ServerTransaction): void;
  onAck(ack: SipRequest, remote: Remote): void;
  onError?(err: Error, remote?: Remote): void;
  /** How long a TCP connection may hold an incomplete message. */
  partialTimeoutMs?: number;
  /** Sources refused before any transaction exists (answered 403 statelessly, ACKs dropped). */
  isBlocked?(address: string): boolean;
  /** Most server transactions held at once; beyond it new requests get a stateless 503 (default 20,000). */
  maxServerTransactions?: number;
  /** A SIP-over-WebSocket connection closed. */
  onWebSocketClosed?(remote: Remote): void;
}

/** Transport plus the transaction layer (RFC 3261 §17): the only thing that touches sockets. */
export class SipStack {
  readonly transport: SipTransport;
  private readonly servers = new Map<string, ServerTransaction>();
  /** INVITE server transactions by Call-ID and CSeq number, for ACKs that do not reuse the INVITE's branch. */
  private readonly invites = new Map<string, ServerTransaction>();
  private readonly clients = new Map<string, ClientTransaction>();

  constructor(private readonly opts: StackOptions) {
    this.transport = new SipTransport({
      host: opts.host,
      port: opts.port,
      onMessage: (m, r) => this.dispatch(m, r),
      onError: opts.onError,
      partialTimeoutMs: opts.partialTimeoutMs,
      onWebSocketClosed: (r) => opts.onWebSocketClosed?.(r),
    });
  }

  listen(): Promise<number> {
    return this.transport.listen();
  }

  get port(): number {
    return this.transport.port;
  }

  /** Server transactions held now: at most `maxServerTransactions` (a flood's state is bounded by it). */
  get serverTransactionCount(): number {
    return this.servers.size;
  }

  get publicIp(): string {
    return this.opts.publicIp;
  }

  /** Our sent-by for Via headers and host:port for Contact. */
  hostport(): string {
    return `${this.opts.publicIp}:${this.transport.port}`;
  }

  close(): Promise<void> {
    return this.transport.close();
  }

  private dispatch(msg: SipMessage, remote: Remote): void {
    try {
      if (msg.kind === 'request') this.onRequest(msg, remote);
      else this.onResponse(msg);
    } catch (e) {
      this.opts.onError?.(e instanceof Error ? e : new Error(String(e)), remote);
    }
  }

  private onRequest(req: SipRequest, remote: Remote): void {
    // Refusals here keep no state at all: a flood from a blocked source costs one parse and one send.
    if (this.opts.isBlocked?.(remote.address)) {
      if (req.method !== 'ACK') this.transport.send(makeResponse(req, 403), remote);
      return;
    }
    const branch = branchOf(req);
    if (req.method === 'ACK') {
      const tx = this.servers.get(`${branch}|INVITE`) ?? this.invites.get(inviteKey(req));
      if (tx && tx.last && tx.last.status >= 300) return tx.ack();
      return this.opts.onAck(req, remote);
    }
    if (req.method === 'CANCEL') return this.onCancel(req, remote, branch);
    const key = `${branch}|${req.method}`;
    const existing = this.servers.get(key);
    if (existing) return existing.retransmitted();
    if (this.servers.size >= (this.opts.maxServerTransactions ?? 20_000)) {
      const busy = makeResponse(req, 503);
      busy.headers.add('retry-after', '5');
      this.transport.send(busy, remote);
      return;
    }
    const tx = new ServerTransaction(
      req,
      remote,
      (m, to) => this.transport.send(m, to),
      () => {
        this.servers.delete(key);
        if (req.method === 'INVITE') this.invites.delete(inviteKey(req));
      },
    );
    this.servers.set(key, tx);
    if (req.method === 'INVITE') this.invites.set(inviteKey(req), tx);
    if (req.method === 'INVITE') tx.respond(makeResponse(req, 100));
    this.opts.onRequest(req, tx);
  }

  private onCancel(req: SipRequest, remote: Remote, branch: string): void {
    const invite = this.servers.get(`${branch}|INVITE`);
    const res = makeResponse(req, invite ? 200 : 481);
    if (invite) res.headers.set('to', addToTag(req.headers.get('to')!, invite.last));
    this.transport.send(res, remote);
    if (invite && !invite.final) invite.onCancel?.();
  }

  private onResponse(res: SipResponse): void {
    const cseq = parseCSeq(res.headers.get('cseq')!);
    const tx = this.clients.get(`${branchOf(res)}|${cseq.method}`);
    tx?.receive(res);
  }

  /** Send a request in a new client transaction; a Via with a fresh branch is put on top. */
  request(req: SipRequest, to: Remote, handler: ResponseHandler): ClientTransaction {
    const branch = newBranch();
    const rport = to.transport === 'udp' ? ';rport' : '';
    req.headers.prepend(
      'via',
      `SIP/2.0/${to.transport.toUpperCase()} ${this.hostport()};branch=${branch}${rport}`,
    );
    const key = `${branch}|${req.method}`;
    const tx = new ClientTransaction(
      req,
      to,
      (m, r) => this.transport.send(m, r),
      handler,
      () => this.clients.delete(key),
      (t) => this.sendCancel(t),
    );
    this.clients.set(key, tx);
    tx.start();
    return tx;
  }

  private sendCancel(invite: ClientTransaction): void {
    const cancel = cancelFor(invite.request);
    const key = `${branchOf(cancel)}|CANCEL`;
    const tx = new ClientTransaction(
      cancel,
      invite.remote,
      (m, r) => this.transport.send(m, r),
      () => undefined,
      () => this.clients.delete(key),
      () => undefined,
    );
    this.clients.set(key, tx);
    tx.start();
  }

  /** Send an ACK for a 2xx (its own transaction-less request, §13.2.2.4) with a fresh branch. */
  sendAck(ack: SipRequest, to: Remote): void {
    ack.headers.delete('via');
    ack.headers.add('via', `SIP/2.0/${to.transport.toUpperCase()} ${this.hostport()};branch=${newBranch()}`);
    this.transport.send(ack, to);
  }

  /** Send a response outside a transaction (2xx retransmissions by a dialog). */
  sendRaw(msg: SipMessage, to: Remote): void {
    this.transport.send(msg, to);
  }
}

/** RFC 2543-style matching of an ACK to its INVITE (some UAs send the ACK of a 4xx with a new branch). */
function inviteKey(req: SipRequest): string {
  return `${req.headers.get('call-id')}|${parseCSeq(req.headers.get('cseq')!).seq}`;
}

function addToTag(to: string, last: SipResponse | undefined): string {
  const tagged = last?.headers.get('to');
  return tagged && /;\s*tag=/i.test(tagged) ? tagged : to;
}
