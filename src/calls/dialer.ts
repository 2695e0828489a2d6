import type { Media, RtpEndpoint, WebRtcOffer } from '../media/engine.js';
import type { DialogRegistry } from '../sip/dialogs.js';
import type { SipStack } from '../sip/stack.js';
import type { ReferHandler } from '../sip/dialog-refer.js';
import type { Remote } from '../sip/transport.js';
import { type UacHandlers, UacSession } from '../sip/uac.js';
import { MediaLeg } from './media-leg.js';

/** An answered outgoing leg: its SIP session and its anchored media. */
export interface CalleeLeg {
  readonly session: UacSession;
  readonly media: MediaLeg;
}

export interface DialHandlers {
  onRinging?(): void;
  /** A fork sent early media (a 183 with SDP): the attempt's media now receives it. Once per attempt. */
  onEarlyMedia?(media: MediaLeg): void;
  onAnswer(leg: CalleeLeg): void;
  /** Every fork failed: the most telling final status (486 beats 480 beats the rest). */
  onFail(status: number, reason: string): void;
  /** After the answer: the callee hung up. */
  onHangup(): void;
  /** After the answer: the callee sent a re-INVITE (hold/unhold). */
  onReinvite?(leg: CalleeLeg): void;
  /** After the answer: the callee's phone asks to transfer the call (REFER); without it REFER gets 405. */
  onRefer?: ReferHandler;
}

export interface DialTarget {
  /** Request-URI and where to send it. */
  requestUri: string;
  remote: Remote;
  to: string;
  /** Digest credentials for a peer that challenges us (a carrier's trunk). */
  credentials?: { username: string; password: string };
  /** Route header values of the INVITE (the Path of a phone registered through Kamailio), first hop first. */
  route?: string[];
  /** A browser registered over a SIP WebSocket: offered WebRTC (DTLS-SRTP through werift), not plain RTP. */
  webrtc?: boolean;
}

/** How a call attempt in progress is stopped (CANCEL every fork still ringing). */
export interface Dialing {
  cancel(): void;
}

const rank = (s: number) => (s === 486 || s === 600 ? 3 : s === 480 || s === 408 ? 2 : s === 603 ? 1 : 0);

/** Places outgoing legs: parallel forks (every registered contact of an agent, src/calls/targets.ts) or one INVITE to a trunk; the first to answer wins and the others are cancelled. */
export class Dialer {
  constructor(
    private readonly stack: SipStack,
    private readonly registry: DialogRegistry,
    private readonly media: Media,
  ) {}

  /**
   * Ring `targets` in parallel; `media`: the leg's RTP endpoint when the caller already holds it; `near`: the
   * call's other leg, so a new endpoint is placed where it can be bridged (the same media worker).
   */
  async dial(
    targets: DialTarget[],
    from: string,
    h: DialHandlers,
    media?: MediaLeg,
    near?: RtpEndpoint,
  ): Promise<Dialing> {
    media ??= new MediaLeg(await this.media.allocate(near ? { near } : {}));
    const sdp = media.offer();
    const attempt = new Attempt(media, targets.length, h);
    for (const t of targets) {
      let webrtc: WebRtcOffer | null = null;
      if (t.webrtc) {
        try {
          webrtc = await media.offerWebRtc();
        } catch {
          // werift could not gather a candidate: this fork cannot carry media, the others still ring.
          attempt.skip(488, 'WebRTC offer failed');
          continue;
        }
        attempt.offers.add(webrtc);
      }
      const opts = {
        requestUri: t.requestUri,
        remote: t.remote,
        from,
        to: t.to,
        sdp: webrtc ? webrtc.sdp : sdp,
        credentials: t.credentials,
        ...(t.route?.length ? { extraHeaders: t.route.map((r): [string, string] => ['route', r]) } : {}),
      };
      const session: UacSession = new UacSession(
        this.stack,
        this.registry,
        opts,
        attempt.handlersFor(() => session, webrtc),
      );
      attempt.add(session);
    }
    if (targets.length === 0) attempt.nobody();
    return attempt;
  }
}

/**
 * The parallel forks of one outgoing attempt, sharing one RTP endpoint: the first 2xx wins and the others are
 * cancelled; when every fork failed, the most telling status is reported once.
 */
class Attempt implements Dialing {
  private readonly forks = new Set<UacSession>();
  private won = false;
  private stopped = false;
  private early = false;
  private failed = 0;
  private best = { status: 480, reason: 'Temporarily Unavailable' };
  /** The WebRTC offers made to browser forks: the losers' peer connections are closed. */
  readonly offers = new Set<WebRtcOffer>();

  constructor(
    private readonly media: MediaLeg,
    private readonly total: number,
    private readonly h: DialHandlers,
  ) {}

  add(session: UacSession): void {
    this.forks.add(session);
    session.start();
  }

  /** No contact to ring at all. */
  nobody(): void {
    this.media.endpoint.close();
    queueMicrotask(() => this.h.onFail(480, 'Not Registered'));
  }

  /** A fork that could not be sent counts as failed with `status`. */
  skip(status: number, reason: string): void {
    queueMicrotask(() => this.forkFailed(status, reason));
  }

  private closeOffers(): void {
    for (const o of this.offers) o.close();
    this.offers.clear();
  }

  private forkFailed(status: number, reason: string): void {
    if (rank(status) >= rank(this.best.status)) this.best = { status, reason };
    if (++this.failed < this.total || this.won || this.stopped) return;
    this.closeOffers();
    this.media.endpoint.close();
    this.h.onFail(this.best.status, this.best.reason);
  }

  handlersFor(session: () => UacSession, webrtc: WebRtcOffer | null = null): UacHandlers {
    let leg: CalleeLeg | undefined;
    const refer = this.h.onRefer;
    return {
      ...(refer
        ? {
            onRefer: {
              check: () => (leg ? refer.check() : { status: 481 }),
              run: (r) => refer.run(r),
            },
          }
        : {}),
      onProgress: (status, sdp) => {
        if (status === 180 || status === 183) this.h.onRinging?.();
        // A browser's early SDP would need its DTLS role settled before the answer: ignored (ringing only).
        if (!sdp || webrtc || this.early || this.won || this.stopped || !this.media.accept(sdp)) return;
        this.early = true;
        this.h.onEarlyMedia?.(this.media);
      },
      onAnswer: (answer) => {
        const usable = webrtc ? this.media.acceptWebRtc(webrtc, answer) : this.media.accept(answer);
        if (this.won || this.stopped || !usable) return session().bye();
        this.won = true;
        if (webrtc) this.offers.delete(webrtc);
        this.closeOffers();
        for (const other of this.forks) if (other !== session()) other.cancel();
        leg = { session: session(), media: this.media };
        this.h.onAnswer(leg);
      },
      onFail: (status, reason) => this.forkFailed(status, reason),
      onBye: () => {
        this.media.endpoint.close();
        this.h.onHangup();
      },
      onReinvite: (offer) => {
        const answer = this.media.answer(offer);
        if (answer !== null && leg) this.h.onReinvite?.(leg);
        return answer;
      },
    };
  }

  cancel(): void {
    if (this.won || this.stopped) return;
    this.stopped = true;
    for (const f of this.forks) f.cancel();
    this.closeOffers();
    this.media.endpoint.close();
  }
}
