import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { type SipRequest, type SipResponse, makeResponse } from './message.js';
import { parseCSeq, parseNameAddr } from './headers.js';
import type { Authenticator } from './auth.js';
import type { SipIdentity } from './directory.js';
import type { Binding, LocationService } from './location.js';
import type { SipOptions } from './options.js';
import { parseUri } from './headers.js';
import type { Remote } from './transport.js';

const PRIVATE = [
  /^10\./,
  /^192\.168\./,
  /^172\.(1[6-9]|2\d|3[01])\./,
  /^100\.(6[4-9]|[7-9]\d|1[01]\d|12[0-7])\./,
  /^169\.254\./,
];

/**
 * Where to send requests for a contact. Over TCP always the registering connection. Over UDP the REGISTER's
 * source when the Contact names a private address the source is not (a phone behind NAT), else the Contact
 * itself, over the transport its `transport` parameter names (which also allows registering a device on someone's
 * behalf, as the end-to-end tests and the benchmark do).
 */
export function reachAt(contact: string, source: Remote): Remote {
  if (source.transport !== 'udp') return source;
  const u = parseUri(contact);
  if (!u || !/^[\d.]+$/.test(u.host)) return source;
  const behindNat = PRIVATE.some((re) => re.test(u.host)) && u.host !== source.address;
  if (behindNat) return source;
  const transport = u.params.transport?.toLowerCase() === 'tcp' ? 'tcp' : 'udp';
  return { transport, address: u.host, port: u.port ?? 5060 };
}

/** The Path header values of a REGISTER (RFC 3327), one name-addr each, outermost proxy first. */
export function pathOf(req: SipRequest): string[] {
  const out: string[] = [];
  for (const h of req.headers.getAll('path')) {
    let depth = 0;
    let start = 0;
    for (let i = 0; i <= h.length; i++) {
      const ch = h[i];
      if (ch === '<') depth++;
      else if (ch === '>') depth--;
      else if (i === h.length || (ch === ',' && depth === 0)) {
        const part = h.slice(start, i).trim();
        if (part) out.push(part);
        start = i + 1;
      }
    }
  }
  return out;
}

/**
 * Where requests to a contact registered through a Path go: its first hop (the edge proxy that added it, e.g.
 * Kamailio's `add_path_received`), over the transport the REGISTER arrived on. Null: no usable Path.
 */
export function pathHop(path: readonly string[], source: Remote): Remote | null {
  const first = path[0];
  if (!first) return null;
  const u = parseUri(parseNameAddr(first).uri);
  if (!u) return null;
  const transport = u.params.transport?.toLowerCase() === 'tcp' ? 'tcp' : source.transport;
  return { transport, address: u.host, port: u.port ?? 5060 };
}

/** REGISTER (RFC 3261 §10.3): digest-authenticated, several contacts per agent, expiry and un-REGISTER. */
export class Registrar {
  constructor(
    private readonly auth: Authenticator,
    private readonly location: LocationService,
    private readonly clock: Clock,
    private readonly opts: SipOptions,
    private readonly logger?: Logger,
  ) {}

  async handle(req: SipRequest, remote: Remote): Promise<SipResponse> {
    const outcome = await this.auth.authenticate(req, remote);
    if (!outcome.ok) return outcome.response;
    const { tenant, agent } = outcome.identity;
    const contacts = req.headers.getAll('contact');
    const current = this.location.lookup(tenant.id, agent.id);
    if (contacts.length === 0) return this.ok(req, current);
    const headerExpires = req.headers.get('expires');
    const callId = req.headers.get('call-id')!;
    const cseq = parseCSeq(req.headers.get('cseq')!).seq;
    if (contacts.length === 1 && contacts[0]!.trim() === '*') {
      if (headerExpires?.trim() !== '0') return makeResponse(req, 400, 'Wildcard Contact Needs Expires: 0');
      await this.location.replace(tenant.id, agent.id, []);
      this.logged(req, remote, outcome.identity, []);
      return this.ok(req, []);
    }
    const next = [...current];
    const now = this.clock.now();
    // RFC 3327: stored whether or not the phone said `Supported: path` (Kamailio's path_mode 1), echoed only if it did.
    const path = pathOf(req);
    const viaPath = pathHop(path, remote);
    for (const raw of contacts) {
      const c = parseNameAddr(raw);
      const asked = Number(c.params.expires ?? headerExpires ?? 3600);
      if (!Number.isFinite(asked) || asked < 0) return makeResponse(req, 400, 'Bad Expires');
      if (asked > 0 && asked < this.opts.minExpires) {
        const res = makeResponse(req, 423);
        res.headers.add('min-expires', String(this.opts.minExpires));
        return res;
      }
      const at = next.findIndex((b) => b.contact === c.uri);
      const old = at >= 0 ? next[at] : undefined;
      // An older or replayed REGISTER of the same Call-ID must not undo a newer one (§10.3 step 7).
      if (old && old.callId === callId && old.cseq >= cseq) continue;
      if (at >= 0) next.splice(at, 1);
      if (asked === 0) continue;
      next.unshift({
        tenantId: tenant.id,
        agentId: agent.id,
        contact: c.uri,
        remote: viaPath ?? reachAt(c.uri, remote),
        expiresAt: now + Math.min(asked, this.opts.maxExpires) * 1000,
        callId,
        cseq,
        userAgent: req.headers.get('user-agent') ?? null,
        ...(viaPath ? { path } : {}),
      });
    }
    await this.location.replace(tenant.id, agent.id, next);
    this.logged(req, remote, outcome.identity, next);
    const res = this.ok(req, next);
    if (viaPath && /\bpath\b/i.test(req.headers.getAll('supported').join(','))) {
      for (const p of path) res.headers.add('path', p);
    }
    return res;
  }

  private logged(req: SipRequest, remote: Remote, who: SipIdentity, bindings: Binding[]): void {
    this.logger?.info(
      {
        src: `${remote.address}:${remote.port}`,
        transport: remote.transport,
        tenant: who.tenant.id,
        user: who.agent.extension,
        contacts: bindings.length,
        ua: req.headers.get('user-agent'),
      },
      bindings.length ? 'sip registered' : 'sip unregistered',
    );
  }

  private ok(req: SipRequest, bindings: Binding[]): SipResponse {
    const res = makeResponse(req, 200);
    const now = this.clock.now();
    for (const b of bindings) {
      res.headers.add(
        'contact',
        `<${b.contact}>;expires=${Math.max(0, Math.round((b.expiresAt - now) / 1000))}`,
      );
    }
    res.headers.add('date', new Date(now).toUTCString());
    return res;
  }
}
