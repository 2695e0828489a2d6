import type { Binding } from '../sip/location.js';
import { isWebSocket } from '../sip/transport.js';
import type { CallTenant as Tenant } from '../domain/call-store.js';
import type { DialTarget } from './dialer.js';
import { type Refusal, checkDestination } from './limits.js';
import type { Routing, TrunkRow } from './routing.js';

/**
 * Where a leg can be sent, and the rules that refuse a destination, in one place: an agent's registered phones
 * (every binding forks; the To header is the agent's address of record), and an external number through the
 * tenant's trunk (allowed destinations, then a trunk to carry it). Every flow (direct, queue offers, overflow,
 * click-to-call) builds its destinations here.
 */

/** The forks that ring an agent: one per registered contact. `aor`: the agent's address of record for To. */
export function phoneTargets(bindings: readonly Binding[], aor?: string): DialTarget[] {
  return bindings.map((b) => ({
    requestUri: b.contact,
    remote: b.remote,
    to: `<${aor ?? contactAor(b.contact)}>`,
    // Registered through an edge proxy (RFC 3327): the Path is the INVITE's Route set, `remote` its first hop.
    ...(b.path?.length ? { route: b.path } : {}),
    // A browser (JsSIP over the SIP WebSocket) speaks WebRTC media only.
    ...(isWebSocket(b.remote.transport) ? { webrtc: true } : {}),
  }));
}

/** The INVITE that carries `number` out through `trunk`, with its digest credentials when it has some. */
export function trunkTarget(trunk: TrunkRow, number: string): DialTarget {
  const transport = trunk.transport?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  return {
    requestUri: `sip:${number}@${trunk.host}:${trunk.port}`,
    remote: { transport, address: trunk.host, port: trunk.port },
    to: `<sip:${number}@${trunk.host}>`,
    ...(trunk.credentials ? { credentials: trunk.credentials } : {}),
  };
}

/** An external number for `tenant`: the trunk leg, or why it is refused (barred destination 403, no trunk 503). */
export async function externalTarget(
  routing: Pick<Routing, 'outboundTrunk'>,
  tenant: Tenant,
  number: string,
): Promise<{ target: DialTarget; trunk: TrunkRow } | { refusal: Refusal }> {
  const barred = checkDestination(number, tenant);
  if (barred) return { refusal: barred };
  const trunk = await routing.outboundTrunk(tenant.id);
  if (!trunk) {
    return {
      refusal: {
        status: 503,
        cause: 'SERVICE_UNAVAILABLE',
        reason: 'the tenant has no trunk for outbound calls',
      },
    };
  }
  return { target: trunkTarget(trunk, number), trunk };
}

/** `sip:1001@1.2.3.4:5060;transport=udp` → `sip:1001@1.2.3.4:5060`. */
function contactAor(contact: string): string {
  const semi = contact.indexOf(';');
  return semi < 0 ? contact : contact.slice(0, semi);
}
