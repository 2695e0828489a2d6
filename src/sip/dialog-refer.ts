import { parseNameAddr, parseUri } from './headers.js';
import type { Dialog } from './dialog.js';
import { type SipRequest, makeResponse } from './message.js';
import type { SipStack } from './stack.js';
import type { ServerTransaction } from './transactions.js';

/** The dialog a REFER's `Replaces` names (RFC 3891): an attended transfer's consultation call. */
export interface ReplacesTarget {
  callId: string;
  toTag: string;
  fromTag: string;
}

/**
 * An accepted in-dialog REFER (RFC 3515): where the phone asks the call to go, and the implicit `refer`
 * subscription through which the phone learns how it went (NOTIFY with a message/sipfrag status line).
 */
export interface ReferRequest {
  /** The Refer-To URI as sent (without its `?headers`). */
  readonly uri: string;
  /** The Refer-To user part (an extension, a number); null when there is none. */
  readonly user: string | null;
  /** Present for an attended transfer (Refer-To `?Replaces=…`). */
  readonly replaces: ReplacesTarget | null;
  /**
   * Tell the phone how the transfer goes: a provisional status keeps the subscription active, a final one
   * (≥ 200) terminates it; nothing is sent after the final one.
   */
  notify(status: number, reason: string): void;
}

/** Why a REFER cannot be taken at all (answered with this status, no subscription). */
export type ReferRefusal = { status: number; reason?: string };

/** What a leg does with a REFER: `check` refuses it outright (before the 202), `run` carries it out. */
export interface ReferHandler {
  check(): ReferRefusal | null;
  run(refer: ReferRequest): void;
}

/**
 * Answer an in-dialog REFER on `dialog`: 400 without a usable Refer-To, else 202 Accepted and the first NOTIFY
 * (`SIP/2.0 100 Trying`); the returned request sends the later NOTIFYs. `accept` decides before the 202 whether
 * this dialog may transfer at all (a refusal is answered with its status instead).
 */
export function acceptRefer(
  stack: Pick<SipStack, 'request'>,
  dialog: Dialog,
  req: SipRequest,
  tx: ServerTransaction,
  accept: () => ReferRefusal | null,
): ReferRequest | null {
  const raw = req.headers.get('refer-to') ?? req.headers.get('r');
  const parsed = raw ? parseReferTo(raw) : null;
  if (!parsed) {
    tx.respond(makeResponse(req, 400, 'Missing or Bad Refer-To'));
    return null;
  }
  const refusal = accept();
  if (refusal) {
    tx.respond(makeResponse(req, refusal.status, refusal.reason));
    return null;
  }
  const res = makeResponse(req, 202, 'Accepted');
  res.headers.add('contact', `<${dialog.contact}>`);
  tx.respond(res);
  let done = false;
  const notify = (status: number, reason: string): void => {
    if (done) return;
    done = status >= 200;
    const n = dialog.request('NOTIFY', `SIP/2.0 ${status} ${reason}\r\n`, 'message/sipfrag;version=2.0');
    n.headers.add('event', 'refer');
    n.headers.add('subscription-state', done ? 'terminated;reason=noresource' : 'active;expires=60');
    stack.request(n, dialog.remote, () => undefined);
  };
  notify(100, 'Trying');
  return { ...parsed, notify };
}

/** `<sip:1002@host?Replaces=id%40h%3Bto-tag%3Da%3Bfrom-tag%3Db>` → its URI, user and Replaces. */
export function parseReferTo(raw: string): Omit<ReferRequest, 'notify'> | null {
  const full = parseNameAddr(raw).uri;
  const q = full.indexOf('?');
  const uri = q < 0 ? full : full.slice(0, q);
  const sip = parseUri(uri);
  if (!sip) return null;
  let replaces: ReplacesTarget | null = null;
  if (q >= 0) {
    for (const h of full.slice(q + 1).split('&')) {
      const eq = h.indexOf('=');
      if (eq < 0 || h.slice(0, eq).toLowerCase() !== 'replaces') continue;
      replaces = parseReplaces(decodeURIComponent(h.slice(eq + 1)));
    }
  }
  return { uri, user: sip.user, replaces };
}

/** `callid;to-tag=a;from-tag=b` (RFC 3891 §6.1); null without the call id or either tag. */
export function parseReplaces(value: string): ReplacesTarget | null {
  const [callId, ...params] = value.split(';').map((s) => s.trim());
  let toTag = '';
  let fromTag = '';
  for (const p of params) {
    const [k, v = ''] = p.split('=');
    if (k?.toLowerCase() === 'to-tag') toTag = v;
    else if (k?.toLowerCase() === 'from-tag') fromTag = v;
  }
  return callId && toTag && fromTag ? { callId, toTag, fromTag } : null;
}
