import type { SipResponse } from './message.js';
import { T1, T2, TIMEOUT } from './transactions.js';
import type { Remote } from './transport.js';

/**
 * RFC 3261 §13.3.1.4: the UAS core, not the transaction, keeps a 2xx to an INVITE (initial or re-INVITE) alive:
 * over UDP it is sent again at T1, doubling up to T2, until the ACK of that CSeq arrives; over a reliable
 * transport it is sent once. Without an ACK within 64·T1 the dialog is given up (`onTimeout`: send BYE).
 */
export class OkRetransmitter {
  private timer?: NodeJS.Timeout;
  private pendingSeq = 0;

  constructor(
    private readonly send: (res: SipResponse, to: Remote) => void,
    private readonly onTimeout: () => void,
  ) {}

  /** The 2xx `res` to the INVITE with CSeq `seq` went out to `to`: keep it alive until `ack(seq)`. */
  start(res: SipResponse, seq: number, to: Remote): void {
    clearTimeout(this.timer);
    this.pendingSeq = seq;
    const reliable = to.transport !== 'udp';
    const started = Date.now();
    const step = (interval: number) => {
      this.timer = setTimeout(() => {
        if (this.pendingSeq !== seq) return;
        if (Date.now() - started >= TIMEOUT) {
          this.pendingSeq = 0;
          return this.onTimeout();
        }
        if (!reliable) this.send(res, to);
        step(reliable ? TIMEOUT : Math.min(interval * 2, T2));
      }, interval);
      this.timer.unref();
    };
    step(reliable ? TIMEOUT : T1);
  }

  /** An ACK with CSeq `seq` arrived; true when it was the one awaited. */
  ack(seq: number): boolean {
    if (seq !== this.pendingSeq || seq === 0) return false;
    this.stop();
    return true;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.pendingSeq = 0;
  }
}
