import type { AppContext } from '../context.js';
import type { LocationService } from '../sip/location.js';

/**
 * A registered phone logs its agent in: the first live registration moves an Offline agent to the tenant's
 * first ready status; the last binding removed (un-REGISTER or expiry) logs the agent out. Agents already
 * logged in keep their status; a logout during a call is refused by the status model and simply skipped.
 */
export function followRegistrations(
  location: LocationService,
  ctx: Pick<AppContext, 'statuses' | 'logger'>,
): void {
  location.onChange((tenantId, agentId, registered) => {
    const change = registered
      ? ctx.statuses.login(tenantId, agentId, 'sip:register')
      : ctx.statuses.logout(tenantId, agentId, 'sip:unregister');
    change.catch((err: unknown) =>
      ctx.logger.warn({ err, tenantId, agentId, registered }, 'status did not follow the registration'),
    );
  });
}

type Step = 'Ringing' | 'In-call' | 'Wrap-up' | 'resume';

/**
 * Statuses follow calls: Ringing while an offer rings the agent, In-call while bridged, Wrap-up after a queue
 * call, then back to the custom status the agent had. Changes of one agent are applied strictly in order, one at
 * a time; when several arrive while one is being written, only the newest is applied next (the intermediate ones
 * are already out of date), so a burst of calls cannot pile up status transactions.
 */
export class StatusFollower {
  private readonly agents = new Map<string, { pending: Step | null; done: Promise<void> }>();

  constructor(private readonly ctx: Pick<AppContext, 'statuses' | 'logger'>) {}

  /** Resolves once the agent's status has caught up with this (or a newer) step. */
  set(tenantId: number, agentId: number, step: Step): Promise<void> {
    const key = `${tenantId}:${agentId}`;
    const cur = this.agents.get(key);
    if (cur) {
      cur.pending = step;
      return cur.done;
    }
    const state = { pending: step as Step | null, done: Promise.resolve() };
    this.agents.set(key, state);
    state.done = (async () => {
      while (state.pending) {
        const next = state.pending;
        state.pending = null;
        await this.apply(tenantId, agentId, next);
      }
      this.agents.delete(key);
    })();
    return state.done;
  }

  private async apply(tenantId: number, agentId: number, step: Step): Promise<void> {
    try {
      if (step === 'resume') await this.ctx.statuses.resumeCustomStatus(tenantId, agentId, 'call');
      else await this.ctx.statuses.setSystemStatus(tenantId, agentId, step, 'call');
    } catch (err) {
      this.ctx.logger.warn({ err, tenantId, agentId, step }, 'status did not follow the call');
    }
  }
}
