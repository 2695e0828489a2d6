import type { FastifyInstance } from 'fastify';
import { Type, type TSchema } from 'typebox';
import type { ErrorCode, Reason } from '../../errors.js';
import { type FamilyEnvelope, installFamilyErrors } from '../family-errors.js';

/** OmiCall's success code: every successful answer carries `status_code: 9999`. */
export const SUCCESS = 9999 as const;
export const INSTANCE_ID = 'tongdai';
export const INSTANCE_VERSION = '0.1.0';

/** The success envelope around `payload`. */
export function ok<T>(payload: T) {
  return {
    status_code: SUCCESS,
    instance_id: INSTANCE_ID,
    instance_version: INSTANCE_VERSION,
    payload,
    key_enabled: false,
  };
}

/** TypeBox for the success envelope (payload described by the route). */
export function Envelope(payload: TSchema) {
  return Type.Object({
    status_code: Type.Literal(SUCCESS),
    instance_id: Type.String(),
    instance_version: Type.String(),
    payload,
    key_enabled: Type.Boolean(),
  });
}

// Error codes for failures that carry no reason (the document does not name them).
const GENERIC: Record<ErrorCode, string> = {
  INVALID_INPUT: 'invalid_request',
  UNAUTHORIZED: 'unauthorized',
  FORBIDDEN: 'forbidden',
  INSUFFICIENT_SCOPE: 'forbidden',
  NOT_FOUND: 'not_found',
  CONFLICT: 'conflict',
  LIMIT_EXCEEDED: 'limit_exceeded',
  RATE_LIMITED: 'rate_limited',
  UNAVAILABLE: 'unavailable',
  INTERNAL: 'internal_error',
};

/** Every neutral reason in OmiCall's words (docs/api/omicall.md lists the documented ones). */
export const OMICALL_CODES: Record<Reason, string> = {
  invalid_input: 'invalid_request',
  email_invalid: 'identify_info_invalid',
  name_required: 'full_name_is_required',
  role_required: 'role_is_required',
  password_invalid: 'password_invalid',
  extension_invalid: 'extension_invalid',
  role_name_invalid: 'role_name_invalid',
  service_package_name_invalid: 'service_package_name_invalid',
  max_agents_invalid: 'max_agents_invalid',
  sort_field_invalid: 'sort_field_invalid',
  callback_url_invalid: 'callback_url_invalid',
  callback_headers_invalid: 'callback_headers_invalid',
  owner_invalid: 'invite_error',
  agent_not_found: 'agent_not_found',
  role_not_found: 'role_not_found',
  service_package_not_found: 'service_package_not_found',
  agent_exists: 'agent_exists',
  agent_uuid_exists: 'agent_uuid_exists',
  extension_exists: 'extension_exists',
  role_exists: 'role_exists',
  service_package_exists: 'service_package_exists',
  team_exists: 'team_exists',
  status_exists: 'status_exists',
  status_in_use: 'status_in_use',
  extension_unavailable: 'invite_error',
  agent_limit: 'limit_agent',
  unknown_status: 'unknown_status',
  system_status_target: 'system_status_target',
  system_status_name: 'system_status_name',
  no_ready_status: 'no_ready_status',
  last_ready_status: 'last_ready_status',
  invalid_transition: 'invalid_transition',
  offline: 'offline',
  system_status: 'system_status',
  agent_not_registered: 'agent_not_registered',
  destination_not_allowed: 'destination_not_allowed',
  no_trunk: 'no_trunk',
  call_limit: 'call_limit',
  click_to_call_unavailable: 'click_to_call_unavailable',
  queue_refused: 'queue_refused',
  missing_credentials: 'unauthorized',
  invalid_credentials: 'unauthorized',
  invalid_signature: 'invalid_signature',
  timestamp_out_of_window: 'timestamp_out_of_window',
  nonce_replayed: 'nonce_replayed',
  domain_mismatch: 'domain_mismatch',
  email_not_in_company: 'email_not_in_company',
  invalid_sip_credentials: 'invalid_sip_credentials',
  device_not_registered: 'device_not_registered',
  tenant_mismatch: 'unauthorized',
  link_expired: 'link_expired',
  link_invalid: 'link_invalid',
  range_not_satisfiable: 'range_not_satisfiable',
  token_ttl_out_of_range: 'token_ttl_out_of_range',
  invalid_flow: 'invalid_flow',
  bad_credentials: 'bad_credentials',
  account_locked: 'account_locked',
  account_inactive: 'account_inactive',
  password_weak: 'password_weak',
  login_rate_limited: 'login_rate_limited',
  tenant_needed: 'tenant_needed',
  csrf: 'csrf',
  content_type: 'content_type',
  role: 'role',
};

/** The error envelope: the success shape with the HTTP status as `status_code`, the code in `message`. */
export function errorBody(status: number, code: string, description: string) {
  return {
    status_code: status,
    instance_id: INSTANCE_ID,
    instance_version: INSTANCE_VERSION,
    message: code,
    error_description: description,
    payload: null,
    key_enabled: false,
  };
}

/** The OmiCall family's envelope for installFamilyErrors. */
export const omicallEnvelope: FamilyEnvelope = {
  body: (f) => errorBody(f.status, f.reason ? OMICALL_CODES[f.reason] : GENERIC[f.code], f.message),
};

export function installOmicallErrors(app: FastifyInstance): void {
  installFamilyErrors(app, omicallEnvelope);
}
