/** Every failure the domain can report; each API family maps these to its own envelope in one place. */
export type ErrorCode =
  | 'INVALID_INPUT'
  | 'UNAUTHORIZED'
  | 'FORBIDDEN'
  | 'INSUFFICIENT_SCOPE'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'LIMIT_EXCEEDED'
  | 'RATE_LIMITED'
  | 'UNAVAILABLE'
  | 'INTERNAL';

export const codeToStatus: Record<ErrorCode, number> = {
  INVALID_INPUT: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  INSUFFICIENT_SCOPE: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  LIMIT_EXCEEDED: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
};

/**
 * The closed set of neutral reasons the domain (and the auth layer) report beside an ErrorCode. They name what
 * went wrong in the domain's words (`email_invalid`, never a family's field name); each family maps every one
 * to its own wire code in one exhaustive table (src/http/<family>/errors), so adding a reason here fails the
 * type check until every family has decided how to say it.
 */
export const REASONS = [
  // input
  'invalid_input',
  'email_invalid',
  'name_required',
  'role_required',
  'password_invalid',
  'extension_invalid',
  'role_name_invalid',
  'service_package_name_invalid',
  'max_agents_invalid',
  'sort_field_invalid',
  'callback_url_invalid',
  'callback_headers_invalid',
  'owner_invalid',
  // existence and uniqueness
  'agent_not_found',
  'role_not_found',
  'service_package_not_found',
  'agent_exists',
  'agent_uuid_exists',
  'extension_exists',
  'role_exists',
  'service_package_exists',
  'team_exists',
  'status_exists',
  'status_in_use',
  'extension_unavailable',
  // limits and states
  'agent_limit',
  'unknown_status',
  'system_status_target',
  'system_status_name',
  'no_ready_status',
  'last_ready_status',
  'invalid_transition',
  'offline',
  'system_status',
  // calls
  'agent_not_registered',
  'destination_not_allowed',
  'no_trunk',
  'call_limit',
  'click_to_call_unavailable',
  'queue_refused',
  // credentials and links
  'missing_credentials',
  'invalid_credentials',
  'invalid_signature',
  'timestamp_out_of_window',
  'nonce_replayed',
  'domain_mismatch',
  'email_not_in_company',
  'invalid_sip_credentials',
  'device_not_registered',
  'tenant_mismatch',
  'link_expired',
  'link_invalid',
  'range_not_satisfiable',
  'token_ttl_out_of_range',
  // IVR flows
  'invalid_flow',
  // console accounts and sessions
  'bad_credentials',
  'account_locked',
  'account_inactive',
  'password_weak',
  'login_rate_limited',
  'tenant_needed',
  'csrf',
  'content_type',
  'role',
] as const;

export type Reason = (typeof REASONS)[number];

/** A typed domain error: `reason` is a neutral detail from the closed union each family maps to its wire code. */
export class DomainError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly reason?: Reason,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string, reason?: Reason) =>
  new DomainError('NOT_FOUND', `${what} not found`, reason);
export const invalid = (message: string, reason?: Reason) =>
  new DomainError('INVALID_INPUT', message, reason);
export const conflict = (message: string, reason?: Reason) => new DomainError('CONFLICT', message, reason);

export function isDomainError(e: unknown): e is DomainError {
  return e instanceof DomainError;
}

/** A failure that should stop the process with one line and a hint, never a stack trace. */
export class FatalConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FatalConfigError';
  }
}
