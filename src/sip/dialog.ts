import { Headers, type SipRequest, type SipResponse } from './message.js';
import { parseCSeq, parseNameAddr, tagOf } from './headers.js';
import type { Remote } from './transport.js';

/**
 * Dialog state (RFC 3261 §12) of one leg as tongdai sees it. In-dialog requests go straight to `remote`:
 * the address the peer's messages came from (its registration or the trunk), which is what keeps phones
 * behind NAT reachable. Route sets are not kept: tongdai talks to phones and trunks directly, never via proxies.
 */
export class Dialog {
  localSeq: number;
  remoteSeq: number;

  constructor(
    readonly callId: string,
    /** Our From/To header value, with our tag. */
    readonly local: string,
    /** Their From/To header value, with their tag. */
    readonly remoteParty: string,
    /** Where in-dialog requests are addressed (the peer's Contact URI). */
    public remoteTarget: string,
    public remote: Remote,
    readonly contact: string,
    localSeq: number,
    remoteSeq: number,
  ) {
    this.localSeq = localSeq;
    this.remoteSeq = remoteSeq;
  }

  get localTag(): string {
    return tagOf(this.local) ?? '';
  }

  get remoteTag(): string {
    return tagOf(this.remoteParty) ?? '';
  }

  /** The dialog created by answering `invite` (we are the UAS; our tag is the transaction's To tag). */
  static asUas(invite: SipRequest, remote: Remote, localTag: string, contact: string): Dialog {
    const to = invite.headers.get('to')!;
    const target = parseNameAddr(invite.headers.get('contact') ?? invite.headers.get('from')!).uri;
    return new Dialog(
      invite.headers.get('call-id')!,
      /;\s*tag=/i.test(to) ? to : `${to};tag=${localTag}`,
      invite.headers.get('from')!,
      target,
      remote,
      contact,
      1,
      parseCSeq(invite.headers.get('cseq')!).seq,
    );
  }

  /** The dialog created by a 2xx to our `invite` (we are the UAC). */
  static asUac(invite: SipRequest, res: SipResponse, remote: Remote, contact: string): Dialog {
    const target = parseNameAddr(res.headers.get('contact') ?? res.headers.get('to')!).uri;
    return new Dialog(
      invite.headers.get('call-id')!,
      invite.headers.get('from')!,
      res.headers.get('to')!,
      target,
      remote,
      contact,
      parseCSeq(invite.headers.get('cseq')!).seq,
      0,
    );
  }

  /** A new in-dialog request (BYE, re-INVITE, INFO…) with the next CSeq; the stack adds the Via. */
  request(method: string, body = '', contentType?: string): SipRequest {
    this.localSeq++;
    return this.build(method, this.localSeq, body, contentType);
  }

  /** The ACK for our INVITE with CSeq `seq` (§13.2.2.4). */
  ack(seq: number, body = ''): SipRequest {
    return this.build('ACK', seq, body, body ? 'application/sdp' : undefined);
  }

  private build(method: string, seq: number, body: string, contentType?: string): SipRequest {
    const headers = new Headers();
    headers.add('max-forwards', '70');
    headers.add('from', this.local);
    headers.add('to', this.remoteParty);
    headers.add('call-id', this.callId);
    headers.add('cseq', `${seq} ${method}`);
    headers.add('contact', `<${this.contact}>`);
    if (contentType) headers.add('content-type', contentType);
    return { kind: 'request', method, uri: this.remoteTarget, headers, body };
  }

  /** Whether an incoming in-dialog request is in order (a lower CSeq is a stale retransmission: 500). */
  acceptRemoteSeq(req: SipRequest): boolean {
    const seq = parseCSeq(req.headers.get('cseq')!).seq;
    if (req.method === 'ACK' || req.method === 'CANCEL') return true;
    if (seq <= this.remoteSeq && this.remoteSeq !== 0) return false;
    this.remoteSeq = seq;
    return true;
  }
}
