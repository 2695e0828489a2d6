import { type SipRequest, type SipResponse, makeResponse, methodNotAllowed } from './message.js';
import { type ReferHandler, acceptRefer } from './dialog-refer.js';
import { parseCSeq } from './headers.js';
import { Dialog } from './dialog.js';
import type { DialogOwner, DialogRegistry } from './dialogs.js';
import type { SipStack } from './stack.js';
import { OkRetransmitter } from './ok-retransmit.js';
import { TIMEOUT, type ServerTransaction } from './transactions.js';
import type { Remote } from './transport.js';

export interface UasHandlers {
  /** The caller gave up before the answer (CANCEL): the INVITE has been answered 487. */
  onCancel(): void;
  /** The caller hung up (BYE answered 200), or our 2xx was never ACKed. */
  onBye(reason: 'bye' | 'ack_timeout'): void;
  /** A re-INVITE (hold/unhold): return our SDP answer, or null to refuse it with 488. */
  onReinvite(sdp: string): string | null;
  /** An in-dialog INFO (answered 200 first), e.g. a phone's application/dtmf-relay key press. */
  onInfo?(req: SipRequest): void;
  /** The caller's phone asks to transfer the call (in-dialog REFER, e.g. an agent who placed it); else 405. */
  onRefer?: ReferHandler;
}

export type LegState = 'early' | 'confirmed' | 'ended';

/**
 * The caller's side of a call (tongdai is the UAS): provisional and final answers, 2xx retransmission until the
 * ACK (§13.3.1.4), CANCEL → 487, BYE, and re-INVITEs for hold and unhold.
 */
export class UasSession implements DialogOwner {
  state: LegState = 'early';
  dialog?: Dialog;
  private readonly oks: OkRetransmitter;

  constructor(
    private readonly stack: SipStack,
    private readonly registry: DialogRegistry,
    readonly invite: SipRequest,
    private readonly tx: ServerTransaction,
    private readonly handlers: UasHandlers,
  ) {
    this.oks = new OkRetransmitter(
      (res, to) => stack.sendRaw(res, to),
      () => {
        if (this.state === 'ended') return;
        this.hangup();
        this.handlers.onBye('ack_timeout');
      },
    );
    registry.add(invite.headers.get('call-id')!, tx.toTag, this);
    tx.onCancel = () => {
      if (this.state !== 'early') return;
      this.finish();
      tx.respond(makeResponse(invite, 487));
      this.handlers.onCancel();
    };
  }

  get remote(): Remote {
    return this.tx.remote;
  }

  get callId(): string {
    return this.invite.headers.get('call-id')!;
  }

  private contact(): string {
    return `sip:tongdai@${this.stack.hostport()};transport=${this.tx.remote.transport}`;
  }

  progress(status: 180 | 183 = 180, sdp?: string): void {
    if (this.state !== 'early') return;
    const res = makeResponse(this.invite, status);
    res.headers.add('contact', `<${this.contact()}>`);
    if (sdp) this.withSdp(res, sdp);
    this.tx.respond(res);
  }

  answer(sdp: string): void {
    if (this.state !== 'early') return;
    this.state = 'confirmed';
    this.dialog = Dialog.asUas(this.invite, this.tx.remote, this.tx.toTag, this.contact());
    const res = this.ok(this.invite, sdp);
    this.tx.respond(res);
    this.oks.start(res, parseCSeq(this.invite.headers.get('cseq')!).seq, this.tx.remote);
  }

  /** Refuse the call with a final non-2xx (486 busy, 480 unavailable, 404, 503…). */
  reject(status: number, reason?: string): void {
    if (this.state !== 'early') return;
    this.finish();
    this.tx.respond(makeResponse(this.invite, status, reason));
  }

  /** Hang up whatever the state: BYE when confirmed, else a final 480/487-style refusal. */
  hangup(status = 480): void {
    if (this.state === 'early') return this.reject(status);
    if (this.state !== 'confirmed' || !this.dialog) return;
    const bye = this.dialog.request('BYE');
    this.finish();
    this.stack.request(bye, this.dialog.remote, () => undefined);
  }

  handleRequest(req: SipRequest, tx: ServerTransaction): void {
    if (!this.dialog || !this.dialog.acceptRemoteSeq(req)) return tx.respond(makeResponse(req, 500));
    if (req.method === 'BYE') {
      tx.respond(makeResponse(req, 200));
      if (this.state === 'confirmed') {
        this.finish();
        this.handlers.onBye('bye');
      }
      return;
    }
    if (req.method === 'INVITE') {
      const answer = this.handlers.onReinvite(req.body);
      if (answer === null) return tx.respond(makeResponse(req, 488));
      const res = this.ok(req, answer);
      tx.respond(res);
      return this.oks.start(res, parseCSeq(req.headers.get('cseq')!).seq, this.tx.remote);
    }
    if (req.method === 'REFER') {
      const h = this.handlers.onRefer;
      if (!h || this.state !== 'confirmed') return tx.respond(methodNotAllowed(req));
      const refer = acceptRefer(this.stack, this.dialog, req, tx, () => h.check());
      if (refer) h.run(refer);
      return;
    }
    tx.respond(makeResponse(req, 200));
    if (req.method === 'INFO') this.handlers.onInfo?.(req);
  }

  handleAck(ack: SipRequest): void {
    this.oks.ack(parseCSeq(ack.headers.get('cseq')!).seq);
  }

  private ok(req: SipRequest, sdp: string): SipResponse {
    const res = makeResponse(req, 200);
    const to = res.headers.get('to')!;
    if (!/;\s*tag=/i.test(to)) res.headers.set('to', `${to};tag=${this.tx.toTag}`);
    res.headers.add('contact', `<${this.contact()}>`);
    res.headers.add(
      'allow',
      `INVITE, ACK, CANCEL, BYE, OPTIONS, INFO, UPDATE${this.handlers.onRefer ? ', REFER, NOTIFY' : ''}`,
    );
    return this.withSdp(res, sdp);
  }

  private withSdp(res: SipResponse, sdp: string): SipResponse {
    res.headers.add('content-type', 'application/sdp');
    res.body = sdp;
    return res;
  }

  private finish(): void {
    this.state = 'ended';
    this.oks.stop();
    // Keep routing for a while so a late BYE retransmission still gets its 200 from the transaction layer.
    setTimeout(() => this.registry.remove(this.callId, this.tx.toTag), TIMEOUT).unref();
  }
}
