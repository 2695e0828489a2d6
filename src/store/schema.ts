import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely';

// Conventions that keep one schema portable across SQLite and PostgreSQL:
// times are integer milliseconds since the epoch; booleans are integers 0/1; JSON is stored as text;
// every tenant-owned table carries tenant_id and its indexes start with it.

type Id = Generated<number>;
type Ms = number;
type Bool = number;

export interface TenantTable {
  id: number;
  name: string;
  account_id: string;
  sip_domain: string;
  /** Bumped in the same transaction as any change to directory data, so caches can tell they are stale. */
  revision: Generated<number>;
  /** Counts agent status changes by any writer (a trigger; embedded store only, 0 on PostgreSQL): migration 0018. */
  status_version: Generated<number>;
  max_concurrent_calls: Generated<number>;
  max_calls_per_second: Generated<number>;
  allow_international: Generated<Bool>;
  allow_premium: Generated<Bool>;
  rate_limit_tenant: number | null;
  rate_limit_route: number | null;
  recording_retention_days: Generated<number>;
  created_at: Ms;
  /** The console's default language for the tenant's users ('vi' or 'en'; null: 'en'). */
  console_locale: string | null;
  /** The format recordings are stored in: 'mp3' (default) or 'wav'. */
  recording_format: Generated<string>;
  /** The wallboard's tile thresholds as JSON (see src/domain/console-settings.ts); null: the defaults. */
  console_thresholds: string | null;
}

export interface ApiKeyTable {
  id: Id;
  tenant_id: number;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string;
  created_at: Ms;
  revoked_at: Ms | null;
}

export interface AppCredentialTable {
  id: Id;
  tenant_id: number;
  app_id: string;
  secret_enc: string;
  created_at: Ms;
  revoked_at: Ms | null;
}

export interface AccessTokenTable {
  id: Id;
  tenant_id: number;
  /** 'bearer' (OmiCall-style API access) or 'ws' (AntBuddy websocket auth_token). */
  kind: string;
  token_hash: string;
  app_credential_id: number | null;
  created_at: Ms;
  expires_at: Ms;
  revoked_at: Ms | null;
  /** Comma-separated scopes; null: the fixed set of CLI-issued tokens (see CredentialService.verifyToken). */
  scopes: string | null;
  /** The API key that obtained the token over HTTP (`GET /api/auth`); revoking the key ends the token. */
  api_key_id: number | null;
}

export interface AgentTable {
  id: Id;
  tenant_id: number;
  uid: string;
  extension: string;
  name: string;
  email: string;
  phone: string | null;
  username: string | null;
  gender: string | null;
  role_id: number | null;
  service_package_id: number | null;
  owner_email: string | null;
  /** OmiCall `uuid`: the user's id in a third-party system, unique among the tenant's live agents. */
  external_uuid: string | null;
  /** Extra directory attributes (avatar, job_title, address, …) as a JSON object. */
  attributes: Generated<string>;
  password_hash: string | null;
  /** Console role (admin, supervisor, agent); null: derived from the OmiCall role name (docs/console.md). */
  console_role: string | null;
  /** Consecutive failed console sign-ins, reset by a good one. */
  login_failures: Generated<number>;
  locked_until: Ms | null;
  sip_password_enc: string;
  is_active: Generated<Bool>;
  recording_enabled: Generated<Bool>;
  follow_me: Generated<Bool>;
  callout_queue_id: number | null;
  /** The agent's current status: a system status name or a custom status name. */
  status: Generated<string>;
  /**
   * The custom status the agent is in, or returns to after a call (kept while Ringing/In-call/Wrap-up);
   * null when logged out. See docs/statuses.md.
   */
  status_id: number | null;
  status_changed_at: Ms | null;
  /** Counts the agent's status changes (a trigger, PostgreSQL only; 0 on the embedded store): migration 0024. */
  status_seq: Generated<number>;
  created_by: string | null;
  updated_by: string | null;
  created_at: Ms;
  updated_at: Ms;
  deleted_at: Ms | null;
}

export interface TeamTable {
  id: Id;
  tenant_id: number;
  name: string;
  created_at: Ms;
}

export interface TeamMemberTable {
  tenant_id: number;
  team_id: number;
  agent_id: number;
}

export interface RoleTable {
  id: Id;
  tenant_id: number;
  uid: string;
  name: string;
  permissions: Generated<string>;
  is_default: Generated<Bool>;
  created_at: Ms;
}

export interface ServicePackageTable {
  id: Id;
  tenant_id: number;
  uid: string;
  name: string;
  max_agents: number;
  created_at: Ms;
}

export interface StatusTable {
  id: Id;
  tenant_id: number;
  name: string;
  /** lower(name): unique per tenant, so names are case-insensitively unique. */
  name_key: string;
  /** 1 when an agent in this status may be offered calls (e.g. "Available"). */
  is_ready: Bool;
  position: Generated<number>;
  created_at: Ms;
  deleted_at: Ms | null;
}

export interface StatusHistoryTable {
  id: Id;
  tenant_id: number;
  agent_id: number;
  previous_status: string;
  new_status: string;
  changed_by: string;
  reason: string | null;
  created_at: Ms;
}

export interface InboundQueueTable {
  id: Id;
  tenant_id: number;
  name: string;
  /** AloHub `strategy`: 1 normal, 2 VIP, 3 blacklist, 4 divert, 99 locked. */
  management_type: Generated<number>;
  /** Agent selection strategy (ring-all, longest-idle, round-robin, top-down, …); null = default. */
  agent_selector: string | null;
  moh_file: string | null;
  max_wait_sec: number | null;
  announce_position: number | null;
  announce_interval_sec: Generated<number>;
  wrapup_sec: Generated<number>;
  ring_timeout_sec: Generated<number>;
  max_no_answer: Generated<number>;
  service_level_sec: Generated<number>;
  overflow_target: string | null;
  divert_target: string | null;
  record_calls: Generated<Bool>;
  /** The language of position and wait announcements (`vi`, `en`). */
  announce_language: Generated<string>;
  /** Queued callback: whether a waiting caller may press `callback_key` to be called back. */
  callback_enabled: Generated<Bool>;
  callback_key: Generated<string>;
  /** Dial attempts to the customer before the callback fails. */
  callback_max_attempts: Generated<number>;
  /** Back-off before the second attempt; doubles with each further attempt. */
  callback_retry_sec: Generated<number>;
  /** The caller id the customer sees; null = the trunk's default. */
  callback_caller_id: string | null;
  created_at: Ms;
  updated_at: Ms;
}

export interface CallbackTable {
  id: Id;
  tenant_id: number;
  queue_id: number;
  number: string;
  call_id: string;
  entered_at: Ms;
  caller_id: string;
  state: string;
  attempts: Generated<number>;
  next_attempt_at: Ms | null;
  agent_id: number | null;
  outcome: string | null;
  created_at: Ms;
  updated_at: Ms;
}

export interface SkillTable {
  id: Id;
  tenant_id: number;
  name: string;
  description: Generated<string>;
  created_at: Ms;
  updated_at: Ms;
}

export interface VoicemailTable {
  id: Id;
  tenant_id: number;
  call_id: string;
  recording_id: number;
  mailbox: string | null;
  caller_number: string;
  duration_ms: number;
  created_at: Ms;
}

export interface AgentSkillTable {
  tenant_id: number;
  agent_id: number;
  skill_id: number;
  proficiency: number;
}

export interface QueueSkillTable {
  tenant_id: number;
  queue_id: number;
  skill_id: number;
  min_proficiency: number;
  /** JSON list of relax steps `{after_sec, min_proficiency}`. */
  relax: Generated<string>;
}

export interface QueueMemberTable {
  tenant_id: number;
  queue_id: number;
  agent_id: number;
  priority: Generated<number>;
}

export interface OutboundQueueTable {
  id: Id;
  tenant_id: number;
  name: string;
  /** JSON array of caller-id numbers used for calls out through this queue. */
  caller_ids: Generated<string>;
  created_at: Ms;
}

export interface CallerListTable {
  id: Id;
  tenant_id: number;
  /** 'vip' or 'blacklist'. */
  list: string;
  number: string;
  created_at: Ms;
}

export interface TrunkTable {
  id: Id;
  tenant_id: number;
  name: string;
  host: string;
  port: number;
  transport: Generated<string>;
  /** JSON array of source addresses allowed to send calls from this trunk. */
  allowed_ips: Generated<string>;
  username: string | null;
  password_enc: string | null;
  created_at: Ms;
}

export interface NumberTable {
  id: Id;
  tenant_id: number;
  number: string;
  /** 'queue', 'agent' or 'ivr' (target_id: an ivr_flows id). */
  target_type: string;
  target_id: number;
  trunk_id: number | null;
  created_at: Ms;
}

/** An IVR flow of a tenant: its name and which of its versions new calls get. */
export interface IvrFlowTable {
  id: Id;
  tenant_id: number;
  name: string;
  current_version: number;
  created_at: Ms;
  updated_at: Ms;
}

/** One immutable version of a flow: the JSON document as submitted (validated before it was stored). */
export interface IvrFlowVersionTable {
  id: Id;
  tenant_id: number;
  flow_id: number;
  version: number;
  document: string;
  created_at: Ms;
}

export interface MediaFileTable {
  id: Id;
  tenant_id: number;
  name: string;
  /** 'moh' or 'prompt'. */
  kind: string;
  path: string;
  size_bytes: number;
  duration_ms: number;
  created_at: Ms;
}

export interface SipRegistrationTable {
  id: Id;
  tenant_id: number;
  agent_id: number;
  contact: string;
  source_ip: string;
  source_port: number;
  transport: string;
  user_agent: string | null;
  /** RFC 3327 Path of the REGISTER as a JSON array of name-addrs (0014_cluster); null: reached directly. */
  path: string | null;
  expires_at: Ms;
  created_at: Ms;
}

/** A running telephony node and its heartbeat. */
/** A SIP source address refused until `until` (ms), because of a scanner User-Agent or failed authentications. */
export interface SipBlockTable {
  address: string;
  /** 'scanner' or 'auth-failures'. */
  reason: string;
  user_agent: string | null;
  blocked_at: Ms;
  until: Ms;
}

/** Which node runs a tenant's live call state until `expires_at` (ms); `token`: the fencing token (0014_cluster). */
export interface TenantLeaseTable {
  tenant_id: number;
  node_id: string;
  token: number;
  expires_at: Ms;
}

export interface TelephonyNodeTable {
  id: string;
  started_at: number;
  seen_at: number;
  /** The SIP host:port the edge reaches this node at (0017); null until bound. */
  sip_address: string | null;
}

export interface CallTable {
  id: Id;
  tenant_id: number;
  call_id: string;
  /** 'inbound' | 'outbound' | 'internal'. */
  direction: string;
  caller_number: string;
  caller_agent_id: number | null;
  callee_number: string;
  callee_agent_id: number | null;
  did_number: string | null;
  queue_id: number | null;
  agent_id: number | null;
  created_at: Ms;
  answered_at: Ms | null;
  ended_at: Ms | null;
  duration_sec: number | null;
  billing_sec: number | null;
  hangup_cause: string | null;
  hangup_by: string | null;
  status_detail: string | null;
  sip_code: number | null;
  reason: string | null;
  /** Queue statistics for this call (wait time, entered/handled/processed, misses, …) as JSON. */
  queue_stat: string | null;
  /** The call's transfers as JSON (src/domain/call-transfers.ts), written when it ends; null: none. */
  transfers: string | null;
  recording_id: number | null;
  /** The telephony node running the call (crash recovery closes only dead nodes' calls); null: unknown. */
  node_id: string | null;
}

export interface RecordingTable {
  id: Id;
  tenant_id: number;
  call_id: string;
  name: string;
  path: string;
  size_bytes: Generated<number>;
  duration_ms: Generated<number>;
  created_at: Ms;
  completed_at: Ms | null;
  deleted_at: Ms | null;
  /** The stored format: 'mp3' | 'wav' (the tenant's setting when the call was recorded). */
  format: Generated<string>;
  /** 'recording' | 'encoding' | 'pending' (waiting for upload) | 'stored' | 'failed' (docs/recordings.md). */
  state: Generated<string>;
  /** Where the bytes are now: 'local' (`path` under the data directory) or 's3' (`storage_key`). */
  storage: Generated<string>;
  storage_key: string | null;
  /** The node whose disk holds the local files until they are stored (encoding and upload run there). */
  node_id: string | null;
  /** Why the recording failed, or the last upload error while pending. */
  state_detail: string | null;
  /** Paused spans as JSON `[{offset_ms, duration_ms}]` (null: never paused); migration 0012_monitor. */
  pauses: string | null;
  paused_ms: Generated<number>;
}

export interface WebhookEndpointTable {
  id: Id;
  tenant_id: number;
  url: string;
  secret_enc: string;
  /** Comma-separated event types, or '*'. */
  events: string;
  active: Generated<Bool>;
  created_at: Ms;
}

export interface OutboxTable {
  id: Id;
  tenant_id: number;
  /** The job kind, e.g. 'webhook' or 'omicall.agent_transfer'. */
  kind: string;
  payload: string;
  /** 'pending' | 'done' | 'failed'. */
  status: Generated<string>;
  attempts: Generated<number>;
  next_attempt_at: Ms;
  locked_until: Ms | null;
  /** The node holding the lease (`locked_until`), so it can take its own leases back after a restart. */
  locked_by: string | null;
  last_error: string | null;
  dedupe_key: string | null;
  created_at: Ms;
  updated_at: Ms;
}

export interface DeliveryAttemptTable {
  id: Id;
  tenant_id: number;
  outbox_id: number;
  attempt: number;
  status_code: number | null;
  error: string | null;
  duration_ms: number;
  created_at: Ms;
}

export interface WebhookSecretTable {
  tenant_id: number;
  /** The tenant's Standard Webhooks signing secret (`whsec_…`), sealed. */
  secret_enc: string;
  created_at: Ms;
}

export interface EventLogTable {
  /** The per-process-global offset clients resume from. */
  id: Id;
  tenant_id: number;
  type: string;
  payload: string;
  created_at: Ms;
}

/** A console sign-in: `id` is the SHA-256 of the cookie's token; `csrf` the token state-changing requests echo. */
export interface ConsoleSessionTable {
  id: string;
  tenant_id: number;
  agent_id: number;
  csrf: string;
  created_at: Ms;
  expires_at: Ms;
}

export interface Database {
  tenants: TenantTable;
  api_keys: ApiKeyTable;
  app_credentials: AppCredentialTable;
  access_tokens: AccessTokenTable;
  agents: AgentTable;
  teams: TeamTable;
  team_members: TeamMemberTable;
  roles: RoleTable;
  service_packages: ServicePackageTable;
  statuses: StatusTable;
  status_history: StatusHistoryTable;
  inbound_queues: InboundQueueTable;
  queue_members: QueueMemberTable;
  callbacks: CallbackTable;
  skills: SkillTable;
  voicemails: VoicemailTable;
  agent_skills: AgentSkillTable;
  queue_skills: QueueSkillTable;
  outbound_queues: OutboundQueueTable;
  caller_lists: CallerListTable;
  trunks: TrunkTable;
  numbers: NumberTable;
  media_files: MediaFileTable;
  ivr_flows: IvrFlowTable;
  ivr_flow_versions: IvrFlowVersionTable;
  sip_registrations: SipRegistrationTable;
  calls: CallTable;
  telephony_nodes: TelephonyNodeTable;
  tenant_leases: TenantLeaseTable;
  sip_blocks: SipBlockTable;
  recordings: RecordingTable;
  webhook_endpoints: WebhookEndpointTable;
  outbox: OutboxTable;
  delivery_attempts: DeliveryAttemptTable;
  event_log: EventLogTable;
  webhook_secrets: WebhookSecretTable;
  console_sessions: ConsoleSessionTable;
}

export type Tenant = Selectable<TenantTable>;
export type Agent = Selectable<AgentTable>;
export type NewAgent = Insertable<AgentTable>;
export type AgentUpdate = Updateable<AgentTable>;
export type InboundQueue = Selectable<InboundQueueTable>;
export type InboundQueueUpdate = Updateable<InboundQueueTable>;
export type Skill = Selectable<SkillTable>;
export type Call = Selectable<CallTable>;
export type Status = Selectable<StatusTable>;
export type ApiKey = Selectable<ApiKeyTable>;
export type MediaFile = Selectable<MediaFileTable>;
export type Recording = Selectable<RecordingTable>;
export type Voicemail = Selectable<VoicemailTable>;
export type OutboxRow = Selectable<OutboxTable>;
export type { ColumnType };
