import type { UasSession } from '../sip/uas.js';
import type { CalleeLeg } from './dialer.js';
import type { MediaLeg } from './media-leg.js';

/** One side of a call as the call sees it: anchored media and a way to hang it up. */
export interface Side {
  readonly media: MediaLeg;
  /** Hang up: BYE when answered, else refuse/cancel (with `status` for a refused incoming call). */
  hangup(status?: number): void;
  readonly answered: boolean;
  /** The SIP Call-ID of the side's dialog (how a REFER's Replaces names a call). */
  readonly sipCallId?: string;
}

export function uasSide(session: UasSession, media: MediaLeg): Side {
  return {
    media,
    hangup: (status) => session.hangup(status),
    sipCallId: session.callId,
    get answered() {
      return session.state === 'confirmed';
    },
  };
}

export function calleeSide(leg: CalleeLeg): Side {
  return { media: leg.media, hangup: () => leg.session.bye(), answered: true, sipCallId: leg.session.callId };
}

/**
 * Side A of a call tongdai places itself (click-to-call's agent phone): its media exists before the phone
 * answers, so the call can be tracked (and listed) while it rings; the answered leg is attached by dialB.
 */
export class DialledSide implements Side {
  private leg?: CalleeLeg;

  constructor(readonly media: MediaLeg) {}

  attach(leg: CalleeLeg): void {
    this.leg = leg;
  }

  hangup(): void {
    // Still ringing: the call's attempt is cancelled by Call.end.
    this.leg?.session.bye();
  }

  get answered(): boolean {
    return this.leg !== undefined;
  }
}
