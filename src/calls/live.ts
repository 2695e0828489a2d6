import type { LiveCallService, LiveCallView, TransferTarget } from '../context.js';
import { DomainError } from '../errors.js';
import type { Call } from './call.js';
import type { CallCore } from './engine.js';
import { CallStateError } from './state.js';
import type { CallTransfer } from './transfer.js';

/** What the native calls API sees of a live call: its record's numbers, its state and each side's. */
export function liveView(call: Call): LiveCallView {
  const r = call.record;
  const s = r.start;
  const legs: LiveCallView['legs'] = [{ side: 'a', answered: call.a.answered, onHold: call.a.media.onHold }];
  if (call.b) legs.push({ side: 'b', answered: true, onHold: call.b.media.onHold });
  return {
    callId: call.callId,
    tenantId: call.tenantId,
    state: call.state,
    direction: s.direction,
    callerNumber: s.callerNumber,
    calleeNumber: s.calleeNumber,
    didNumber: s.didNumber ?? null,
    queueId: r.queueId,
    agentId: r.agentId,
    callerAgentId: s.callerAgentId ?? null,
    calleeAgentId: s.calleeAgentId ?? null,
    createdAt: r.createdAt,
    answeredAt: r.answeredAt,
    legs,
    transfers: call.transfers.map((t) => ({ ...t })),
    states: [
      { state: 'routing', at: r.createdAt },
      ...call.machine.history.map((t) => ({ state: t.to, at: t.at })),
    ],
  };
}

/** The live calls of this node for the API: the CallCore's table, read and acted on through the call's methods. */
export class LiveCalls implements LiveCallService {
  constructor(
    private readonly core: Pick<CallCore, 'get' | 'getOrRecent' | 'live'>,
    private readonly transfers: Pick<CallTransfer, 'blind'>,
  ) {}

  async transfer(
    tenantId: number,
    callId: string,
    target: TransferTarget,
  ): Promise<LiveCallView | undefined> {
    const c = this.core.getOrRecent(tenantId, callId);
    if (!c) return undefined;
    try {
      await this.transfers.blind(c, target);
    } catch (e) {
      throw stateConflict(e);
    }
    return liveView(c);
  }

  list(tenantId: number): LiveCallView[] {
    return this.core.live(tenantId).map(liveView);
  }

  get(tenantId: number, callId: string): LiveCallView | undefined {
    const c = this.core.get(tenantId, callId);
    return c && liveView(c);
  }

  act(tenantId: number, callId: string, action: 'hangup' | 'hold' | 'resume'): LiveCallView | undefined {
    const c = this.core.getOrRecent(tenantId, callId);
    if (!c) return undefined;
    try {
      if (action === 'hangup') c.hangup();
      else if (action === 'hold') c.hold();
      else c.resume();
    } catch (e) {
      throw stateConflict(e);
    }
    return liveView(c);
  }
}

/** A CallStateError as the API's 409 (DomainError CONFLICT with the state); anything else unchanged. */
function stateConflict(e: unknown): unknown {
  return e instanceof CallStateError
    ? new DomainError('CONFLICT', e.message, undefined, { state: e.state })
    : e;
}
