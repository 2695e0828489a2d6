import type { Clock } from '../clock.js';
import type { CallTenant as Tenant } from '../domain/call-store.js';
import type { HangupCause } from './q850.js';

export interface Refusal {
  status: number;
  cause: HangupCause;
  reason: string;
}

/**
 * Per-tenant admission: at most `max_concurrent_calls` calls up at once and `max_calls_per_second` new calls in
 * any one-second window (a sliding window over the last second's start times). Refusals are 503.
 */
export class CallLimits {
  private readonly starts = new Map<number, number[]>();
  private readonly active = new Map<number, number>();

  constructor(private readonly clock: Clock) {}

  admit(tenant: Pick<Tenant, 'id' | 'max_concurrent_calls' | 'max_calls_per_second'>): Refusal | null {
    const now = this.clock.now();
    const recent = (this.starts.get(tenant.id) ?? []).filter((t) => t > now - 1000);
    this.starts.set(tenant.id, recent);
    if ((this.active.get(tenant.id) ?? 0) >= tenant.max_concurrent_calls) {
      return {
        status: 503,
        cause: 'NORMAL_CIRCUIT_CONGESTION',
        reason: `concurrent call limit reached (${tenant.max_concurrent_calls})`,
      };
    }
    if (recent.length >= tenant.max_calls_per_second) {
      return {
        status: 503,
        cause: 'NORMAL_CIRCUIT_CONGESTION',
        reason: `calls-per-second limit reached (${tenant.max_calls_per_second})`,
      };
    }
    recent.push(now);
    return null;
  }

  /** Count a call as up until the returned release function is called (idempotent). */
  hold(tenantId: number): () => void {
    this.active.set(tenantId, (this.active.get(tenantId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.active.set(tenantId, Math.max(0, (this.active.get(tenantId) ?? 1) - 1));
    };
  }

  activeCalls(tenantId: number): number {
    return this.active.get(tenantId) ?? 0;
  }
}

/** Vietnamese premium-rate prefixes (1900 service numbers), with or without the country code. */
const PREMIUM = [/^1900/, /^1909/, /^(\+|00)?841900/];
const HOME_COUNTRY = '84';

export type DestinationClass = 'national' | 'international' | 'premium';

/** Classify a dialled number: `+`/`00` and another country code is international; 1900 numbers are premium. */
export function classifyDestination(number: string): DestinationClass {
  if (PREMIUM.some((re) => re.test(number))) return 'premium';
  const intl = /^\+(\d+)$/.exec(number) ?? /^00(\d+)$/.exec(number);
  if (intl && !intl[1]!.startsWith(HOME_COUNTRY)) return 'international';
  return 'national';
}

/** Whether the tenant may call `number`; a refusal (403, OUTGOING_CALL_BARRED) otherwise. */
export function checkDestination(
  number: string,
  tenant: Pick<Tenant, 'allow_international' | 'allow_premium'>,
): Refusal | null {
  if (!/^\+?\d{2,20}$/.test(number))
    return { status: 484, cause: 'INVALID_NUMBER_FORMAT', reason: `"${number}" is not a dialable number` };
  const c = classifyDestination(number);
  if (c === 'international' && !tenant.allow_international)
    return {
      status: 403,
      cause: 'OUTGOING_CALL_BARRED',
      reason: 'international calls are not enabled for this tenant',
    };
  if (c === 'premium' && !tenant.allow_premium)
    return {
      status: 403,
      cause: 'OUTGOING_CALL_BARRED',
      reason: 'premium-rate numbers are not enabled for this tenant',
    };
  return null;
}
