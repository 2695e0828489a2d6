import { type SipRequest, makeResponse, methodNotAllowed } from './message.js';
import { tagOf } from './headers.js';
import type { DialogHandler } from './server.js';
import type { ServerTransaction } from './transactions.js';
import type { Remote } from './transport.js';

/** A leg that owns a dialog and receives its in-dialog requests. */
export interface DialogOwner {
  handleRequest(req: SipRequest, tx: ServerTransaction): void;
  handleAck(ack: SipRequest, remote: Remote): void;
}

/** Routes in-dialog traffic to its leg by Call-ID and our tag; new INVITEs go to `onInvite`. */
export class DialogRegistry implements DialogHandler {
  private readonly owners = new Map<string, DialogOwner>();

  constructor(private readonly onInvite: (req: SipRequest, tx: ServerTransaction) => void) {}

  add(callId: string, localTag: string, owner: DialogOwner): void {
    this.owners.set(`${callId}|${localTag}`, owner);
  }

  remove(callId: string, localTag: string): void {
    this.owners.delete(`${callId}|${localTag}`);
  }

  get size(): number {
    return this.owners.size;
  }

  onRequest(req: SipRequest, tx: ServerTransaction): void {
    const toTag = tagOf(req.headers.get('to'));
    if (toTag) {
      const owner = this.owners.get(`${req.headers.get('call-id')}|${toTag}`);
      if (owner) return owner.handleRequest(req, tx);
      return tx.respond(makeResponse(req, 481));
    }
    if (req.method === 'INVITE') return this.onInvite(req, tx);
    tx.respond(req.method === 'BYE' ? makeResponse(req, 481) : methodNotAllowed(req));
  }

  onAck(ack: SipRequest, remote: Remote): void {
    const toTag = tagOf(ack.headers.get('to'));
    if (toTag) this.owners.get(`${ack.headers.get('call-id')}|${toTag}`)?.handleAck(ack, remote);
  }
}
