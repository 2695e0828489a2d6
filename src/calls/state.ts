/**
 * The life of one call as an explicit state machine. A call is `routing` while tongdai decides where it goes,
 * `ivr` while an IVR flow talks to the caller (prompts, menus), `queued` while the caller waits in the ACD,
 * `offering` while a destination rings, `bridged` once two sides talk, `held` while one side put the other on
 * hold, `transferring` while a transfer's new leg rings, and `ended` for good. Transitions are the only way the state changes; an action the state does not allow is refused with the
 * state named (the native API answers 409 with it).
 */
export type CallState =
  'routing' | 'ivr' | 'queued' | 'offering' | 'bridged' | 'held' | 'transferring' | 'ended';

/** Which states each state may move to (`ended` is reachable from everywhere and leads nowhere). */
const NEXT: Record<CallState, readonly CallState[]> = {
  routing: ['ivr', 'queued', 'offering', 'ended'],
  // The flow's route action leaves the IVR for a queue or a ringing destination.
  ivr: ['queued', 'offering', 'ended'],
  // A queued caller is offered to agents; an offer that misses goes back to waiting.
  queued: ['offering', 'ended'],
  offering: ['queued', 'offering', 'bridged', 'ended'],
  bridged: ['held', 'transferring', 'ended'],
  held: ['bridged', 'transferring', 'ended'],
  // A transfer that fails returns to the bridge it came from; one that succeeds bridges the new side, or (a
  // transfer to a queue) puts the caller back in the ACD.
  transferring: ['bridged', 'held', 'queued', 'ended'],
  ended: [],
};

/** The states in which a call is live and has two sides talking (or one holding the other). */
export const CONNECTED: readonly CallState[] = ['bridged', 'held', 'transferring'];

/** An action the call's state does not allow (e.g. hold on a ringing call, anything on an ended one). */
export class CallStateError extends Error {
  constructor(
    readonly state: CallState,
    readonly action: string,
  ) {
    super(`the call is ${state}: ${action} is not possible now`);
  }
}

export interface Transition {
  from: CallState;
  to: CallState;
  at: number;
}

/** The state of one call: the current state, when it was entered, and every transition so far. */
export class CallStateMachine {
  private current: CallState = 'routing';
  private readonly listeners: ((t: Transition) => void)[] = [];
  readonly history: Transition[] = [];

  constructor(private readonly now: () => number) {}

  get state(): CallState {
    return this.current;
  }

  get ended(): boolean {
    return this.current === 'ended';
  }

  /** Whether `to` is a legal next state. */
  can(to: CallState): boolean {
    return NEXT[this.current].includes(to);
  }

  /** Move to `to` when legal; false (nothing changes) when not, so late events of a race are ignored. */
  to(to: CallState): boolean {
    if (!this.can(to)) return false;
    const t: Transition = { from: this.current, to, at: this.now() };
    this.current = to;
    this.history.push(t);
    for (const l of this.listeners) l(t);
    return true;
  }

  /** Move to `to` for a requested action, or throw CallStateError naming the current state. */
  require(to: CallState, action: string): void {
    if (!this.to(to)) throw new CallStateError(this.current, action);
  }

  onTransition(l: (t: Transition) => void): void {
    this.listeners.push(l);
  }
}
