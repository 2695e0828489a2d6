import { createHmac } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Db } from '../store/db.js';
import { Authenticator } from './auth.js';
import { SipDirectory } from './directory.js';
import { LocationService } from './location.js';
import { ALLOW, type SipRequest, makeResponse, methodNotAllowed } from './message.js';
import type { SipOptions } from './options.js';
import { Registrar } from './registrar.js';
import { SourceGuard } from './source-guard.js';
import { SipStack } from './stack.js';
import { type WebCredentials, issueWebCredentials, webCredentialsKey } from './web-credentials.js';
import type { ServerTransaction } from './transactions.js';
import type { Remote } from './transport.js';

export { ALLOW } from './message.js';

/** What handles dialog traffic (INVITE, in-dialog requests, ACK for 2xx): the call engine. */
export interface DialogHandler {
  onRequest(req: SipRequest, tx: ServerTransaction): void;
  onAck(ack: SipRequest, remote: Remote): void;
}

export interface SipServerDeps {
  db: Db;
  box: SecretBox;
  clock: Clock;
  logger: Logger;
  host: string;
  port: number;
  publicIp: string;
  /** Keys the stateless digest nonces; the same key on every node lets any node verify any nonce. */
  secretKey: Buffer;
  options: SipOptions;
}

/** The SIP front: transport, transactions, security guard, registrar, OPTIONS; dialogs go to the call engine. */
export class SipServer {
  readonly stack: SipStack;
  readonly directory: SipDirectory;
  readonly location: LocationService;
  readonly guard: SourceGuard;
  readonly auth: Authenticator;
  private readonly registrar: Registrar;
  private dialogs?: DialogHandler;
  private sweeper?: NodeJS.Timeout;

  constructor(private readonly d: SipServerDeps) {
    this.directory = new SipDirectory(d.db, d.box);
    this.location = new LocationService(d.db, d.clock);
    this.guard = new SourceGuard(d.clock, d.options, d.db, d.logger);
    const nonceKey = createHmac('sha256', d.secretKey).update('tongdai sip nonce').digest();
    this.auth = new Authenticator(
      this.directory,
      this.guard,
      d.clock,
      nonceKey,
      d.options.nonceTtlSec,
      d.options.digestAlgorithms,
      d.options.md5OnlyUserAgents,
      d.logger,
      webCredentialsKey(d.secretKey),
    );
    this.registrar = new Registrar(this.auth, this.location, d.clock, d.options, d.logger);
    this.stack = new SipStack({
      host: d.host,
      port: d.port,
      publicIp: d.publicIp,
      onRequest: (req, tx) => this.onRequest(req, tx),
      onAck: (ack, remote) => this.dialogs?.onAck(ack, remote),
      onError: (err, remote) => d.logger.debug({ err: err.message, remote }, 'sip transport error'),
      partialTimeoutMs: d.options.tcpPartialTimeoutSec * 1000,
      isBlocked: (address) => this.guard.isBlocked(address),
      maxServerTransactions: d.options.maxTransactions,
      onWebSocketClosed: (remote) => {
        const n = this.location.connectionLost(remote, d.clock.now() + d.options.wsGraceSec * 1000);
        if (n)
          d.logger.info({ src: `${remote.address}:${remote.port}`, contacts: n }, 'sip websocket closed');
      },
    });
  }

  /** Short-lived SIP credentials for a signed-in agent's browser phone (the console hands them out). */
  webCredentials(who: { tenantId: number; agentId: number; extension: string }): WebCredentials {
    return issueWebCredentials(webCredentialsKey(this.d.secretKey), who, this.d.clock.now());
  }

  setDialogHandler(h: DialogHandler): void {
    this.dialogs = h;
  }

  get port(): number {
    return this.stack.port;
  }

  async start(): Promise<number> {
    const d = this.d;
    await this.location.load();
    await this.guard.sync();
    const port = await this.stack.listen();
    this.sweeper = setInterval(() => {
      this.location.sweep();
      this.location.sync().catch((err: unknown) => d.logger.warn({ err }, 'shared registrations not read'));
      this.guard.sweep();
      this.guard.sync().catch((err: unknown) => d.logger.error({ err }, 'sip blocks not reloaded'));
    }, 1000);
    this.sweeper.unref();
    return port;
  }

  async stop(): Promise<void> {
    clearInterval(this.sweeper);
    await this.stack.close();
    await this.location.flush();
  }

  private onRequest(req: SipRequest, tx: ServerTransaction): void {
    const ua = req.headers.get('user-agent');
    if (!this.guard.isScanner(ua)) return this.route(req, tx);
    const src = tx.remote.address;
    this.guard
      .blockScanner(src, ua)
      .then((blocked) => {
        if (!blocked) return this.route(req, tx);
        this.d.logger.warn(
          { src, ua, method: req.method, reason: 'scanner user-agent' },
          'sip source blocked',
        );
        tx.respond(makeResponse(req, 403));
      })
      .catch((err: unknown) => {
        this.d.logger.error({ err }, 'sip scanner check failed');
        tx.respond(makeResponse(req, 500));
      });
  }

  private route(req: SipRequest, tx: ServerTransaction): void {
    switch (req.method) {
      case 'REGISTER':
        return void this.registrar
          .handle(req, tx.remote)
          .then((res) => tx.respond(res))
          .catch((err: unknown) => {
            this.d.logger.error({ err }, 'register failed');
            tx.respond(makeResponse(req, 500));
          });
      case 'OPTIONS': {
        const res = makeResponse(req, 200);
        res.headers.add('allow', ALLOW);
        res.headers.add('accept', 'application/sdp');
        return tx.respond(res);
      }
      case 'SUBSCRIBE':
      case 'PUBLISH':
        return tx.respond(makeResponse(req, 489, 'Bad Event'));
      case 'REFER':
        // In-dialog (a To tag): the leg's owner decides (a transfer from the agent's phone, src/sip/uac.ts).
        if (this.dialogs && /;\s*tag=/i.test(req.headers.get('to') ?? ''))
          return this.dialogs.onRequest(req, tx);
        return tx.respond(methodNotAllowed(req));
      case 'MESSAGE':
      case 'NOTIFY':
        return tx.respond(methodNotAllowed(req));
      default:
        if (this.dialogs) return this.dialogs.onRequest(req, tx);
        return tx.respond(makeResponse(req, 503));
    }
  }
}
