import { Counter, type Registry } from 'prom-client';
import type { SipMessage } from '../sip/message.js';
import { parseCSeq } from '../sip/headers.js';

/** Methods reported by name; anything else a peer sends is counted as `other`, so the label stays bounded. */
const METHODS = new Set([
  'INVITE',
  'ACK',
  'BYE',
  'CANCEL',
  'REGISTER',
  'OPTIONS',
  'INFO',
  'UPDATE',
  'PRACK',
  'SUBSCRIBE',
  'NOTIFY',
  'PUBLISH',
  'MESSAGE',
  'REFER',
]);

const methodLabel = (m: string) => (METHODS.has(m) ? m : 'other');

/** SIP requests and responses on the wire, by direction, method (the CSeq's for responses) and status code. */
export function sipMetrics(register: Registry): (msg: SipMessage, direction: 'in' | 'out') => void {
  const requests = new Counter({
    name: 'tongdai_sip_requests_total',
    help: 'SIP requests received (in) and sent (out), retransmissions included, by method',
    labelNames: ['direction', 'method'] as const,
    registers: [register],
  });
  const responses = new Counter({
    name: 'tongdai_sip_responses_total',
    help: 'SIP responses received (in) and sent (out), retransmissions included, by method and status code',
    labelNames: ['direction', 'method', 'code'] as const,
    registers: [register],
  });
  return (msg, direction) => {
    if (msg.kind === 'request') {
      requests.inc({ direction, method: methodLabel(msg.method) });
      return;
    }
    let method = 'other';
    try {
      method = methodLabel(parseCSeq(msg.headers.get('cseq') ?? '').method);
    } catch {
      // A response without a readable CSeq is still counted, under `other`.
    }
    const code = msg.status >= 100 && msg.status <= 699 ? String(msg.status) : 'other';
    responses.inc({ direction, method, code });
  };
}
