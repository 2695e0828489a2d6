import { Headers, type SipRequest, type SipResponse, makeResponse, methodNotAllowed } from './message.js';
import { newCallId, newTag, parseCSeq } from './headers.js';
import { authorizationFor } from './digest.js';
import { Dialog } from './dialog.js';
import { type ReferHandler, acceptRefer } from './dialog-refer.js';
import type { DialogOwner, DialogRegistry } from './dialogs.js';
import type { SipStack } from './stack.js';
import type { ClientTransaction, ServerTransaction } from './transactions.js';
import type { Remote } from './transport.js';
import type { LegState } from './uas.js';
import { OkRetransmitter } from './ok-retransmit.js';

export interface UacHandlers {
  /** A provisional answer; `sdp`: its body when it carries one (a 183 with early media). */
  onProgress(status: number, sdp?: string): void;
  /** 2xx: the callee answered with this SDP (the ACK is already sent). */
  onAnswer(sdp: string): void;
  /** A final non-2xx (or a local 408 when nothing answered). */
  onFail(status: number, reason: string): void;
  /** The callee hung up. */
  onBye(): void;
  onReinvite(sdp: string): string | null;
  /** The callee's phone asks to transfer the call (in-dialog REFER); without it REFER is answered 405. */
  onRefer?: ReferHandler;
}

export interface UacOptions {
  requestUri: string;
  remote: Remote;
  /** From and To header values without tags, e.g. `"Lan" <sip:1001@domain>`. */
  from: string;
  to: string;
  sdp: string;
  extraHeaders?: [string, string][];
  /** Digest credentials to answer a 401/407 with (trunks that authenticate tongdai). */
  credentials?: { username: string; password: string };
}

/**
 * The callee's side of a call (tongdai is the UAC): INVITE, CANCEL (sent once a provisional arrived), ACK of each
 * 2xx including retransmissions, and the CANCEL/200 race: a 2xx after we gave up is ACKed and BYE'd at once.
 */
export class UacSession implements DialogOwner {
  state: LegState = 'early';
  dialog?: Dialog;
  readonly callId: string;
  private readonly fromTag = newTag();
  private invite: SipRequest;
  private authTried = false;
  private tx?: ClientTransaction;
  private abandoned = false;
  /** Our 2xx to the callee's re-INVITEs, kept alive until their ACK. */
  private readonly oks: OkRetransmitter;

  constructor(
    private readonly stack: SipStack,
    private readonly registry: DialogRegistry,
    private readonly opts: UacOptions,
    private readonly handlers: UacHandlers,
  ) {
    this.callId = newCallId(stack.publicIp);
    this.oks = new OkRetransmitter(
      (res, to) => stack.sendRaw(res, to),
      () => {
        if (this.state !== 'confirmed') return;
        this.bye();
        this.handlers.onBye();
      },
    );
    const h = new Headers();
    h.add('max-forwards', '70');
    h.add('from', `${opts.from};tag=${this.fromTag}`);
    h.add('to', opts.to);
    h.add('call-id', this.callId);
    h.add('cseq', '1 INVITE');
    h.add('contact', `<${this.contact()}>`);
    h.add(
      'allow',
      `INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE${handlers.onRefer ? ', REFER, NOTIFY' : ''}`,
    );
    for (const [n, v] of opts.extraHeaders ?? []) h.add(n, v);
    h.add('content-type', 'application/sdp');
    this.invite = { kind: 'request', method: 'INVITE', uri: opts.requestUri, headers: h, body: opts.sdp };
  }

  private contact(): string {
    return `sip:tongdai@${this.stack.hostport()};transport=${this.opts.remote.transport}`;
  }

  start(): void {
    this.registry.add(this.callId, this.fromTag, this);
    this.tx = this.stack.request(this.invite, this.opts.remote, (res) => this.onResponse(res));
  }

  private onResponse(res: SipResponse): void {
    if (res.status < 200) {
      if (this.state === 'early' && !this.abandoned) {
        const sdp =
          res.body && /application\/sdp/i.test(res.headers.get('content-type') ?? '') ? res.body : undefined;
        this.handlers.onProgress(res.status, sdp);
      }
      return;
    }
    if (res.status >= 300) {
      if (this.state !== 'early') return;
      if ((res.status === 401 || res.status === 407) && this.retryWithAuth(res)) return;
      this.finish();
      if (!this.abandoned) this.handlers.onFail(res.status, res.reason);
      return;
    }
    this.onSuccess(res);
  }

  /**
   * A peer that challenges our INVITE (a carrier's trunk) gets it again once, with credentials: same Call-ID and
   * From tag, next CSeq, a new transaction (RFC 3261 §22.2).
   */
  private retryWithAuth(res: SipResponse): boolean {
    const creds = this.opts.credentials;
    if (!creds || this.authTried || this.abandoned) return false;
    const proxy = res.status === 407;
    const challenge = res.headers.get(proxy ? 'proxy-authenticate' : 'www-authenticate');
    const header = challenge ? authorizationFor(challenge, creds, 'INVITE', this.opts.requestUri) : null;
    if (!header) return false;
    this.authTried = true;
    const next = { ...this.invite, headers: this.invite.headers.clone() };
    next.headers.delete('via');
    next.headers.set('cseq', `${parseCSeq(this.invite.headers.get('cseq')!).seq + 1} INVITE`);
    next.headers.set(proxy ? 'proxy-authorization' : 'authorization', header);
    this.invite = next;
    this.tx = this.stack.request(next, this.opts.remote, (r) => this.onResponse(r));
    return true;
  }

  private onSuccess(res: SipResponse): void {
    const seq = parseCSeq(this.invite.headers.get('cseq')!).seq;
    if (!this.dialog) this.dialog = Dialog.asUac(this.invite, res, this.opts.remote, this.contact());
    // Every 2xx, first or retransmitted, gets its ACK.
    this.stack.sendAck(this.dialog.ack(seq), this.dialog.remote);
    if (this.state !== 'early') return;
    if (this.abandoned) {
      // We cancelled but the callee answered first: the call exists for a moment, so end it properly.
      this.state = 'confirmed';
      return this.bye();
    }
    this.state = 'confirmed';
    this.handlers.onAnswer(res.body);
  }

  /** Stop ringing (CANCEL); silent: the handlers hear nothing more about this leg. */
  cancel(): void {
    if (this.state !== 'early') return;
    this.abandoned = true;
    this.tx?.cancel();
    // If the callee never answers the CANCEL or INVITE, the transaction's own timeout ends it.
  }

  /** Hang up: BYE when answered, CANCEL when still ringing. */
  bye(): void {
    if (this.state === 'early') return this.cancel();
    if (this.state !== 'confirmed' || !this.dialog) return;
    const bye = this.dialog.request('BYE');
    this.finish();
    this.stack.request(bye, this.dialog.remote, () => undefined);
  }

  /** Put the callee on hold or take it off (a re-INVITE with our new SDP). */
  reinvite(sdp: string, onDone: (ok: boolean, answer: string) => void): void {
    if (this.state !== 'confirmed' || !this.dialog) return onDone(false, '');
    const req = this.dialog.request('INVITE', sdp, 'application/sdp');
    const seq = this.dialog.localSeq;
    this.stack.request(req, this.dialog.remote, (res) => {
      if (res.status < 200 || !this.dialog) return;
      if (res.status < 300) this.stack.sendAck(this.dialog.ack(seq), this.dialog.remote);
      onDone(res.status < 300, res.body);
    });
  }

  handleRequest(req: SipRequest, tx: ServerTransaction): void {
    if (!this.dialog || !this.dialog.acceptRemoteSeq(req)) return tx.respond(makeResponse(req, 500));
    if (req.method === 'BYE') {
      tx.respond(makeResponse(req, 200));
      if (this.state === 'confirmed') {
        this.finish();
        this.handlers.onBye();
      }
      return;
    }
    if (req.method === 'INVITE') {
      const answer = this.handlers.onReinvite(req.body);
      if (answer === null) return tx.respond(makeResponse(req, 488));
      const res = makeResponse(req, 200);
      res.headers.add('contact', `<${this.contact()}>`);
      res.headers.add('content-type', 'application/sdp');
      res.body = answer;
      tx.respond(res);
      return this.oks.start(res, parseCSeq(req.headers.get('cseq')!).seq, tx.remote);
    }
    if (req.method === 'REFER') {
      const h = this.handlers.onRefer;
      if (!h || this.state !== 'confirmed') return tx.respond(methodNotAllowed(req));
      const refer = acceptRefer(this.stack, this.dialog, req, tx, () => h.check());
      if (refer) h.run(refer);
      return;
    }
    tx.respond(makeResponse(req, 200));
  }

  handleAck(ack: SipRequest): void {
    this.oks.ack(parseCSeq(ack.headers.get('cseq')!).seq);
  }

  private finish(): void {
    this.state = 'ended';
    this.oks.stop();
    setTimeout(() => this.registry.remove(this.callId, this.fromTag), 32_000).unref();
  }
}
