import { isIP } from 'node:net';
import type { SipRequest } from './message.js';

/** The header Kamailio adds with the address a request came from (deploy/kamailio/kamailio.cfg). */
export const EDGE_SOURCE_HEADER = 'x-tongdai-source';

/**
 * The address a request really came from: behind a SIP edge every request arrives from the edge, so a request
 * from one of `edges` is taken to come from the `X-Tongdai-Source` it carries (trunks are matched by source
 * address). From anywhere else the header is ignored: a carrier or a phone cannot claim another address.
 */
export function realSource(req: SipRequest, remote: string, edges: readonly string[]): string {
  if (!edges.includes(remote)) return remote;
  const raw = req.headers.get(EDGE_SOURCE_HEADER)?.trim();
  if (!raw) return remote;
  if (isIP(raw)) return raw;
  // Tolerate host:port and [v6]:port forms.
  const host = /^\[([^\]]+)\](?::\d+)?$/.exec(raw)?.[1] ?? /^([\d.]+):\d+$/.exec(raw)?.[1] ?? '';
  return isIP(host) ? host : remote;
}
