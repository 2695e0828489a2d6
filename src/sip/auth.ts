import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { type SipRequest, type SipResponse, makeResponse } from './message.js';
import { parseNameAddr, parseUri } from './headers.js';
import { type DigestAlgorithm, NonceIssuer, challenges, readCredentials, responseMatches } from './digest.js';
import type { SipDirectory, SipIdentity } from './directory.js';
import type { SourceGuard } from './source-guard.js';
import type { Remote } from './transport.js';
import { webPassword, webUsernameExpiry } from './web-credentials.js';

export type AuthOutcome = { ok: true; identity: SipIdentity } | { ok: false; response: SipResponse };

/** Stands in for a trunk's password when the username is wrong, so both paths cost the same. */
const DUMMY_PASSWORD = 'tongdai-no-such-user';

/**
 * Digest authentication of a REGISTER (401/WWW-Authenticate) or of a dialog-creating request
 * (407/Proxy-Authenticate). Unknown users, deleted or inactive agents and wrong passwords all get the very
 * same challenge, so the answer never tells whether an extension exists.
 */
export class Authenticator {
  private readonly nonces: NonceIssuer;

  constructor(
    private readonly directory: SipDirectory,
    private readonly guard: SourceGuard,
    private readonly clock: Clock,
    key: Buffer,
    nonceTtlSec: number,
    private readonly algorithms: readonly DigestAlgorithm[],
    private readonly md5OnlyUserAgents: readonly string[] = [],
    private readonly logger?: Logger,
    /** Verifies the console's short-lived browser-phone credentials (src/sip/web-credentials.ts). */
    private readonly webKey?: Buffer,
  ) {
    this.nonces = new NonceIssuer(key, nonceTtlSec * 1000);
  }

  /** The user and host the request claims: To for REGISTER, From otherwise. */
  claimed(req: SipRequest): { user: string; host: string } | null {
    const raw = req.headers.get(req.method === 'REGISTER' ? 'to' : 'from');
    const uri = raw ? parseUri(parseNameAddr(raw).uri) : null;
    return uri?.user ? { user: uri.user, host: uri.host } : null;
  }

  async authenticate(req: SipRequest, remote: Remote): Promise<AuthOutcome> {
    const proxy = req.method !== 'REGISTER';
    const who = this.claimed(req);
    if (!who) return { ok: false, response: makeResponse(req, 400, 'Bad From/To') };
    const realm = who.host;
    const header = req.headers.get(proxy ? 'proxy-authorization' : 'authorization');
    if (!header) return { ok: false, response: this.challenge(req, realm, false) };
    const creds = readCredentials(header);
    const now = this.clock.now();
    const nonce = creds ? this.nonces.check(creds.nonce, realm, now) : 'invalid';
    // A nonce we did not issue (or issued before a key change) is not an attack: just challenge again.
    if (!creds || nonce === 'invalid' || creds.realm !== realm) {
      return { ok: false, response: this.challenge(req, realm, false) };
    }
    // The lookup runs even when the username does not match the claimed user, so no path skips work.
    const found = await this.directory.findAgent(who.host, who.user);
    // `<extension>~<expiry>`: the console's browser phone, whose password is derived, never stored.
    const webExpiry = this.webKey ? webUsernameExpiry(creds.username, who.user) : null;
    const identity = creds.username === who.user || webExpiry !== null ? found : null;
    const expired = webExpiry !== null && webExpiry <= now;
    // The stored password is opened on both paths (the dummy for a browser username), so both cost the same.
    let password = this.directory.password(webExpiry === null ? (identity?.agent ?? null) : null);
    if (webExpiry !== null)
      password = webPassword(this.webKey!, identity?.tenant.id ?? 0, identity?.agent.id ?? 0, webExpiry);
    const matches = responseMatches(creds, req.method, password);
    if (identity && matches && !expired) {
      if (nonce === 'stale') return { ok: false, response: this.challenge(req, realm, true) };
      this.guard.succeed(remote.address);
      return { ok: true, identity };
    }
    const reason = !identity
      ? 'unknown or inactive user'
      : expired
        ? 'expired browser credentials'
        : 'wrong password';
    return { ok: false, response: this.failed(req, remote, creds.username, realm, reason) };
  }

  /**
   * Digest check of a peer with fixed credentials (a trunk that authenticates to tongdai): null when the request
   * carries a valid answer, else the 407 (or 403 once the source is blocked) to send.
   */
  async authenticatePeer(
    req: SipRequest,
    remote: Remote,
    peer: { username: string; password: string; realm: string },
  ): Promise<SipResponse | null> {
    const header = req.headers.get('proxy-authorization');
    if (!header) return this.challenge(req, peer.realm, false);
    const creds = readCredentials(header);
    const nonce = creds ? this.nonces.check(creds.nonce, peer.realm, this.clock.now()) : 'invalid';
    if (!creds || nonce === 'invalid' || creds.realm !== peer.realm)
      return this.challenge(req, peer.realm, false);
    const password = creds.username === peer.username ? peer.password : DUMMY_PASSWORD;
    if (responseMatches(creds, req.method, password) && creds.username === peer.username) {
      if (nonce === 'stale') return this.challenge(req, peer.realm, true);
      this.guard.succeed(remote.address);
      return null;
    }
    return this.failed(req, remote, creds.username, peer.realm, 'wrong trunk credentials');
  }

  /** A wrong answer: logged, counted against the source, and answered with a fresh challenge (403 once blocked). */
  private failed(
    req: SipRequest,
    remote: Remote,
    username: string,
    realm: string,
    reason: string,
  ): SipResponse {
    const src = `${remote.address}:${remote.port}`;
    const user = `${username}@${realm}`;
    const blocked = this.guard.fail(remote.address);
    this.logger?.warn({ src, user, method: req.method, reason }, 'sip authentication failed');
    if (!blocked) return this.challenge(req, realm, false);
    this.logger?.warn({ src, user, reason: 'too many failed authentications' }, 'sip source blocked');
    return makeResponse(req, 403);
  }

  /** The configured algorithms, or MD5 alone for a phone known to refuse a set that holds anything else. */
  private offered(req: SipRequest): readonly DigestAlgorithm[] {
    const ua = req.headers.get('user-agent')?.toLowerCase();
    if (!ua || !this.algorithms.includes('MD5')) return this.algorithms;
    return this.md5OnlyUserAgents.some((s) => ua.includes(s.toLowerCase())) ? ['MD5'] : this.algorithms;
  }

  private challenge(req: SipRequest, realm: string, stale: boolean): SipResponse {
    const proxy = req.method !== 'REGISTER';
    const res = makeResponse(
      req,
      proxy ? 407 : 401,
      proxy ? 'Proxy Authentication Required' : 'Unauthorized',
    );
    const nonce = this.nonces.issue(realm, this.clock.now());
    for (const c of challenges(realm, nonce, stale, this.offered(req)))
      res.headers.add(proxy ? 'proxy-authenticate' : 'www-authenticate', c);
    return res;
  }
}
