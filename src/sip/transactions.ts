import { Headers, type SipRequest, type SipResponse, makeResponse } from './message.js';
import { newTag, parseCSeq, parseVia } from './headers.js';
import type { Remote } from './transport.js';

/** RFC 3261 §17 timer values. */
export const T1 = 500;
export const T2 = 4000;
export const TIMEOUT = 64 * T1;

/** Puts a message on the wire; `false` when it could not be sent at all (a WebSocket connection that is gone). */
type Send = (msg: SipRequest | SipResponse, to: Remote) => boolean | void;

export function branchOf(msg: SipRequest | SipResponse): string {
  const top = msg.headers.get('via');
  return top ? (parseVia(top).params.branch ?? '') : '';
}

/** A server transaction: remembers its last response so retransmitted requests are answered from memory. */
export class ServerTransaction {
  last?: SipResponse;
  /** Set by the transaction user of an INVITE: a matching CANCEL arrived before the final response. */
  onCancel?: () => void;
  /** Our To tag for every response of this transaction; an INVITE's dialog adopts it as its local tag. */
  readonly toTag = newTag();
  private timer?: NodeJS.Timeout;
  private acked = false;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    private readonly send: Send,
    private readonly done: () => void,
  ) {}

  get final(): boolean {
    return !!this.last && this.last.status >= 200;
  }

  respond(res: SipResponse): void {
    if (this.final) return;
    const to = res.headers.get('to');
    if (res.status > 100 && to && !/;\s*tag=/i.test(to)) res.headers.set('to', `${to};tag=${this.toTag}`);
    this.last = res;
    this.send(res, this.remote);
    if (res.status < 200) return;
    const invite = this.request.method === 'INVITE';
    // Non-2xx finals to INVITE over UDP are retransmitted until the ACK (timer G); 2xx is the dialog's job.
    if (invite && res.status >= 300 && this.remote.transport === 'udp') this.retransmit(T1);
    clearTimeout(this.timer);
    setTimeout(this.done, invite ? TIMEOUT : this.remote.transport === 'udp' ? TIMEOUT : 0).unref();
  }

  private retransmit(interval: number): void {
    this.timer = setTimeout(() => {
      if (this.acked || !this.last) return;
      this.send(this.last, this.remote);
      this.retransmit(Math.min(interval * 2, T2));
    }, interval);
    this.timer.unref();
  }

  /** A retransmission of the request arrived. */
  retransmitted(): void {
    if (this.last) this.send(this.last, this.remote);
  }

  ack(): void {
    this.acked = true;
    clearTimeout(this.timer);
  }
}

export type ResponseHandler = (res: SipResponse) => void;

/** A client transaction: retransmits over UDP until a response, times out with a local 408 (timers A/B/E/F). */
export class ClientTransaction {
  provisional = false;
  final?: SipResponse;
  private retransmitTimer?: NodeJS.Timeout;
  private timeoutTimer?: NodeJS.Timeout;
  private cancelWanted = false;

  constructor(
    readonly request: SipRequest,
    readonly remote: Remote,
    private readonly send: Send,
    private readonly handler: ResponseHandler,
    private readonly done: () => void,
    private readonly sendCancel: (tx: ClientTransaction) => void,
  ) {}

  start(): void {
    if (this.send(this.request, this.remote) === false) {
      // RFC 3261 §8.1.3.1: a transport failure is taken as a 503 from the peer, now rather than at timer B/F
      // (a browser phone whose WebSocket dropped stays bound for its grace period; its fork branch ends at once).
      setImmediate(() => {
        if (!this.final) this.receive(makeResponse(this.request, 503, 'Service Unavailable (transport)'));
      });
      return;
    }
    if (this.remote.transport === 'udp') this.retransmit(T1);
    this.timeoutTimer = setTimeout(() => this.timeout(), TIMEOUT);
    this.timeoutTimer.unref();
  }

  private retransmit(interval: number): void {
    this.retransmitTimer = setTimeout(() => {
      if (this.final) return;
      const invite = this.request.method === 'INVITE';
      if (invite && this.provisional) return;
      this.send(this.request, this.remote);
      this.retransmit(this.provisional ? T2 : Math.min(interval * 2, invite ? Infinity : T2));
    }, interval);
    this.retransmitTimer.unref();
  }

  private timeout(): void {
    if (this.final) return;
    const res = makeResponse(this.request, 408, 'Request Timeout (local)');
    this.receive(res);
  }

  /** Ask to CANCEL this INVITE; sent once a provisional response shows the peer is there (RFC 3261 §9.1). */
  cancel(): void {
    if (this.final || this.cancelWanted) return;
    this.cancelWanted = true;
    if (this.provisional) this.sendCancel(this);
  }

  receive(res: SipResponse): void {
    const invite = this.request.method === 'INVITE';
    if (res.status < 200) {
      if (!this.provisional && this.cancelWanted) {
        this.provisional = true;
        this.sendCancel(this);
      }
      this.provisional = true;
      if (!this.final) this.handler(res);
      return;
    }
    const first = !this.final;
    if (first) {
      this.final = res;
      clearTimeout(this.retransmitTimer);
      clearTimeout(this.timeoutTimer);
      setTimeout(this.done, invite ? TIMEOUT : T2 + 1000).unref();
    }
    if (invite && res.status >= 300) {
      this.send(ackFor(this.request, res), this.remote);
      if (first) this.handler(res);
      return;
    }
    // Retransmitted 2xx to INVITE reach the dialog again so it can repeat its ACK.
    if (first || (invite && res.status < 300)) this.handler(res);
  }
}

/** The ACK for a non-2xx final response: same branch and Request-URI, To from the response (§17.1.1.3). */
export function ackFor(req: SipRequest, res: SipResponse): SipRequest {
  return sameTransactionRequest(req, 'ACK', res.headers.get('to')!);
}

/** The CANCEL for a pending INVITE (§9.1): same Via branch, Request-URI, From, To and CSeq number. */
export function cancelFor(req: SipRequest): SipRequest {
  return sameTransactionRequest(req, 'CANCEL', req.headers.get('to')!);
}

/** A request that rides the INVITE's transaction: its Via, Routes, From, Call-ID and CSeq number. */
function sameTransactionRequest(req: SipRequest, method: 'ACK' | 'CANCEL', to: string): SipRequest {
  const headers = new Headers();
  headers.add('via', req.headers.get('via')!);
  for (const r of req.headers.getAll('route')) headers.add('route', r);
  headers.add('max-forwards', '70');
  headers.add('from', req.headers.get('from')!);
  headers.add('to', to);
  headers.add('call-id', req.headers.get('call-id')!);
  headers.add('cseq', `${parseCSeq(req.headers.get('cseq')!).seq} ${method}`);
  return { kind: 'request', method, uri: req.uri, headers, body: '' };
}
