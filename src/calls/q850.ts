/** SIP final responses and call endings mapped to Q.850 causes (RFC 3398 §8.2.6.1, FreeSWITCH names). */

export type HangupCause =
  | 'NORMAL_CLEARING'
  | 'USER_BUSY'
  | 'NO_USER_RESPONSE'
  | 'NO_ANSWER'
  | 'ORIGINATOR_CANCEL'
  | 'UNALLOCATED_NUMBER'
  | 'INVALID_NUMBER_FORMAT'
  | 'CALL_REJECTED'
  | 'NUMBER_CHANGED'
  | 'NORMAL_CIRCUIT_CONGESTION'
  | 'NORMAL_TEMPORARY_FAILURE'
  | 'INCOMPATIBLE_DESTINATION'
  | 'OUTGOING_CALL_BARRED'
  | 'RECOVERY_ON_TIMER_EXPIRE'
  | 'NETWORK_OUT_OF_ORDER'
  | 'SERVICE_UNAVAILABLE';

/** The Q.850 cause number of each name (for wire formats that want the number). */
export const Q850_CODES: Record<HangupCause, number> = {
  NORMAL_CLEARING: 16,
  USER_BUSY: 17,
  NO_USER_RESPONSE: 18,
  NO_ANSWER: 19,
  ORIGINATOR_CANCEL: 487,
  UNALLOCATED_NUMBER: 1,
  INVALID_NUMBER_FORMAT: 28,
  CALL_REJECTED: 21,
  NUMBER_CHANGED: 22,
  NORMAL_CIRCUIT_CONGESTION: 34,
  NORMAL_TEMPORARY_FAILURE: 41,
  INCOMPATIBLE_DESTINATION: 88,
  OUTGOING_CALL_BARRED: 52,
  RECOVERY_ON_TIMER_EXPIRE: 102,
  NETWORK_OUT_OF_ORDER: 38,
  SERVICE_UNAVAILABLE: 63,
};

/** The cause for a final SIP status that ended a call attempt. */
export function causeOfSipStatus(status: number): HangupCause {
  switch (status) {
    case 486:
    case 600:
      return 'USER_BUSY';
    case 408:
    case 480:
      return 'NO_ANSWER';
    case 487:
      return 'ORIGINATOR_CANCEL';
    case 404:
    case 604:
      return 'UNALLOCATED_NUMBER';
    case 484:
      return 'INVALID_NUMBER_FORMAT';
    case 401:
    case 403:
    case 407:
    case 603:
      return 'CALL_REJECTED';
    case 410:
      return 'NUMBER_CHANGED';
    case 488:
    case 606:
      return 'INCOMPATIBLE_DESTINATION';
    case 502:
      return 'NETWORK_OUT_OF_ORDER';
    case 503:
      return 'NORMAL_CIRCUIT_CONGESTION';
    default:
      if (status >= 200 && status < 300) return 'NORMAL_CLEARING';
      return status >= 500 ? 'NORMAL_TEMPORARY_FAILURE' : 'CALL_REJECTED';
  }
}

/** The SIP status tongdai answers a caller with when a call ends before it was answered, by cause. */
export function sipStatusOfCause(cause: HangupCause): number {
  switch (cause) {
    case 'USER_BUSY':
      return 486;
    case 'NO_ANSWER':
    case 'NO_USER_RESPONSE':
      return 480;
    case 'ORIGINATOR_CANCEL':
      return 487;
    case 'UNALLOCATED_NUMBER':
      return 404;
    case 'INVALID_NUMBER_FORMAT':
      return 484;
    case 'CALL_REJECTED':
    case 'OUTGOING_CALL_BARRED':
      return 403;
    case 'NUMBER_CHANGED':
      return 410;
    case 'INCOMPATIBLE_DESTINATION':
      return 488;
    case 'NORMAL_CIRCUIT_CONGESTION':
    case 'SERVICE_UNAVAILABLE':
      return 503;
    case 'NETWORK_OUT_OF_ORDER':
      return 502;
    case 'NORMAL_CLEARING':
    case 'NORMAL_TEMPORARY_FAILURE':
    case 'RECOVERY_ON_TIMER_EXPIRE':
      return 500;
  }
}

/** DESIGN.md's status detail of a finished call. */
export type StatusDetail = 'IVR' | 'SUCCESS' | 'CANCELLED' | 'BUSY' | 'UNSUCCESS';

/** The caller giving up before anyone answered is CANCELLED, whether by CANCEL or by a BYE while queued. */
export function statusDetailOf(
  answered: boolean,
  cause: HangupCause,
  by?: 'caller' | 'callee' | 'system',
): StatusDetail {
  if (answered) return 'SUCCESS';
  if (cause === 'ORIGINATOR_CANCEL' || (by === 'caller' && cause === 'NORMAL_CLEARING')) return 'CANCELLED';
  if (cause === 'USER_BUSY') return 'BUSY';
  return 'UNSUCCESS';
}
