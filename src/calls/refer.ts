import type { Logger } from 'pino';
import { DomainError } from '../errors.js';
import type { ReferRefusal, ReferRequest } from '../sip/dialog-refer.js';
import type { Call, Side } from './call.js';
import { CallStateError } from './state.js';
import type { StatusFollower } from './presence.js';
import { type CallTransfer, agentSideOf } from './transfer.js';

/** The reason phrase of each status a transfer's NOTIFY may carry. */
const REASONS: Record<number, string> = {
  200: 'OK',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  480: 'Temporarily Unavailable',
  486: 'Busy Here',
  487: 'Request Terminated',
  481: 'Call/Transaction Does Not Exist',
  491: 'Request Pending',
  500: 'Server Internal Error',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  603: 'Decline',
};

/** The sipfrag status of a refusal before the new side rings. */
function statusOf(err: unknown): number {
  if (err instanceof CallStateError) return err.state === 'transferring' ? 491 : 403;
  if (!(err instanceof DomainError)) return 500;
  // A target queue that turns the caller away: 480 (closed, nobody logged in), 403 for a blacklisted caller.
  if (err.reason === 'queue_refused') return err.details?.queueReason === 'blacklisted' ? 403 : 480;
  const byCode: Partial<Record<DomainError['code'], number>> = {
    NOT_FOUND: 404,
    FORBIDDEN: 403,
    UNAVAILABLE: 503,
    CONFLICT: 403,
    // An agent without a registered phone (agent_not_registered) is unavailable; other invalid targets are refused.
    INVALID_INPUT: err.reason === 'agent_not_registered' ? 480 : 403,
  };
  return byCode[err.code] ?? 500;
}

/**
 * Transfers asked by the agent's phone: an in-dialog REFER (RFC 3515) on side B of a call becomes a blind
 * transfer of the caller to the Refer-To user (an extension, or a number through the trunk) with the same rules
 * as the API's (src/calls/transfer.ts). The phone hears how it goes by NOTIFY: `100 Trying` with the 202, then
 * `200 OK` once the new side answered (tongdai then hangs up the agent's leg) or the failure (`404 Not Found`
 * for an unknown extension, `403 Forbidden` for a barred number, the new side's own status when it did not
 * answer); after a failure the call stays with the agent.
 */
export class ReferTransfers {
  constructor(
    private readonly d: {
      transfers: Pick<CallTransfer, 'blind'>;
      /** The live calls (where an attended transfer's consultation call is found). */
      calls(): Iterable<Call>;
      follower: Pick<StatusFollower, 'set'>;
      logger: Logger;
    },
  ) {}

  /** Whether `side` of `call` may transfer now (refused with 403 or 491 before the 202). */
  check(call: Call, side: Side): ReferRefusal | null {
    if (call.ended) return { status: 481, reason: 'Call Does Not Exist' };
    if (!agentSideOf(call, side)) return { status: 403, reason: 'Only an agent side transfers' };
    if (call.state === 'transferring') return { status: 491, reason: 'Transfer Pending' };
    if (call.state !== 'bridged' && call.state !== 'held') return { status: 403, reason: 'Not Connected' };
    return null;
  }

  run(call: Call, refer: ReferRequest, side: Side): void {
    const notify = (status: number) => refer.notify(status, REASONS[status] ?? 'Failed');
    const leaving = agentSideOf(call, side);
    if (!leaving) return notify(403);
    if (refer.replaces) return this.attended(call, refer, notify, leaving);
    if (!refer.user) return notify(404);
    const log = { callId: call.callId, referTo: refer.uri };
    call.transferRequested();
    this.d.transfers
      .blind(
        call,
        { kind: 'dialled', dialled: refer.user },
        (outcome, status) => notify(outcome === 'done' ? 200 : status),
        leaving,
      )
      .catch((err: unknown) => {
        const status = statusOf(err);
        if (status === 500) this.d.logger.error({ err, ...log }, 'transfer by REFER failed');
        else this.d.logger.info({ ...log, status, reason: (err as Error).message }, 'REFER refused');
        notify(status);
        call.transferRefused(`transfer to ${refer.user} refused (${status}) after the agent left`);
      });
  }

  /**
   * Attended transfer (Refer-To with `?Replaces=`, RFC 3891): the transferring agent's phone called another agent
   * through tongdai (the consultation call, whose side A is the dialog Replaces names); the caller is bridged to
   * that agent and both of the transferring phone's dialogs are hung up. 481 when no such call is live.
   */
  private attended(
    call: Call,
    refer: ReferRequest,
    notify: (status: number) => void,
    leaving: 'a' | 'b',
  ): void {
    const id = refer.replaces!.callId;
    const consult = [...this.d.calls()].find(
      (c) => c !== call && c.tenantId === call.tenantId && !c.ended && c.a.sipCallId === id,
    );
    if (!consult) return notify(481);
    const agentId = consult.record.agentId;
    try {
      call.takeOver(
        consult,
        refer.user ? `agent ${refer.user}` : 'consultation call',
        (outcome, status) => notify(outcome === 'done' ? 200 : status),
        leaving,
      );
    } catch (err) {
      return notify(statusOf(err));
    }
    if (agentId === null) return;
    // The consultation call's end resumed the agent; they are on this call now.
    void this.d.follower.set(call.tenantId, agentId, 'In-call');
    call.onEnd(() => void this.d.follower.set(call.tenantId, agentId, 'resume'));
  }
}
