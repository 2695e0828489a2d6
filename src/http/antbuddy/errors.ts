import type { FastifyInstance } from 'fastify';
import type { ErrorCode, Reason } from '../../errors.js';
import { type FamilyEnvelope, installFamilyErrors } from '../family-errors.js';

/** The AntBuddy family's error body: `{"message": "...", "code": "..."}` (codes in docs/api/antbuddy.md). */
export interface AntbuddyError {
  message: string;
  code: string;
}

const DEFAULT_CODES: Record<ErrorCode, string> = {
  INVALID_INPUT: 'invalid_input',
  UNAUTHORIZED: 'invalid_credentials',
  FORBIDDEN: 'forbidden',
  INSUFFICIENT_SCOPE: 'forbidden',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  LIMIT_EXCEEDED: 'limit_exceeded',
  RATE_LIMITED: 'rate_limited',
  UNAVAILABLE: 'unavailable',
  INTERNAL: 'internal',
};

// Each reason's AntBuddy code; null: the family has no word for it, so the error code's default applies.
const REASON_CODES: Record<Reason, string | null> = {
  invalid_input: 'invalid_input',
  email_invalid: null,
  name_required: null,
  role_required: null,
  password_invalid: null,
  extension_invalid: null,
  role_name_invalid: null,
  service_package_name_invalid: null,
  max_agents_invalid: null,
  sort_field_invalid: null,
  callback_url_invalid: null,
  callback_headers_invalid: null,
  owner_invalid: null,
  agent_not_found: null,
  role_not_found: null,
  service_package_not_found: null,
  agent_exists: null,
  agent_uuid_exists: null,
  extension_exists: null,
  role_exists: null,
  service_package_exists: null,
  team_exists: null,
  status_exists: null,
  status_in_use: null,
  extension_unavailable: null,
  agent_limit: null,
  unknown_status: null,
  system_status_target: null,
  system_status_name: null,
  no_ready_status: null,
  last_ready_status: null,
  invalid_transition: null,
  offline: null,
  system_status: null,
  agent_not_registered: null,
  destination_not_allowed: 'destination_not_allowed',
  no_trunk: 'no_trunk',
  call_limit: 'call_limit',
  click_to_call_unavailable: 'click_to_call_unavailable',
  queue_refused: null,
  missing_credentials: 'missing_credentials',
  invalid_credentials: 'invalid_credentials',
  invalid_signature: 'invalid_signature',
  timestamp_out_of_window: 'timestamp_out_of_window',
  nonce_replayed: 'nonce_replayed',
  domain_mismatch: 'domain_mismatch',
  email_not_in_company: 'email_not_in_company',
  invalid_sip_credentials: 'invalid_sip_credentials',
  device_not_registered: 'device_not_registered',
  tenant_mismatch: null,
  link_expired: 'link_expired',
  link_invalid: 'link_invalid',
  range_not_satisfiable: 'range_not_satisfiable',
  token_ttl_out_of_range: 'token_ttl_out_of_range',
  // console sessions and IVR flows never answer on AntBuddy routes: the error code's default applies
  invalid_flow: null,
  bad_credentials: null,
  account_locked: null,
  account_inactive: null,
  password_weak: null,
  login_rate_limited: null,
  tenant_needed: null,
  csrf: null,
  content_type: null,
  role: null,
};

/** The AntBuddy family's envelope for installFamilyErrors. */
export const antbuddyEnvelope: FamilyEnvelope = {
  body: (f): AntbuddyError => ({
    message: f.message,
    code: (f.reason && REASON_CODES[f.reason]) ?? DEFAULT_CODES[f.code],
  }),
};

/** Map every failure in the family to its one envelope; nothing leaks a stack trace. */
export function installAntbuddyErrors(app: FastifyInstance): void {
  installFamilyErrors(app, antbuddyEnvelope);
}
