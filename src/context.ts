import type { Logger } from 'pino';
import type { CallMonitor } from './calls/monitor.js';
import type { RecordingControl } from './calls/recording-control.js';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { CredentialService } from './domain/credentials.js';
import type { EventBus } from './domain/events.js';
import type { TransferEntry } from './domain/call-transfers.js';
import type { SecretBox } from './domain/secrets.js';
import type { LiveStatuses } from './domain/live-statuses.js';
import type { PgLiveStatuses } from './domain/pg-live-statuses.js';
import type { StatusService } from './domain/status-service.js';
import type { Readiness } from './metrics/readiness.js';
import type { RateLimiter } from './ratelimit/limiter.js';
import type { Db, Store } from './store/db.js';
import type { OutboxWorker } from './webhooks/worker.js';
import type { RecordingPipeline } from './recordings/pipeline.js';

/** Starts a click-to-call: rings the agent's registered device, then dials `number` from it. */
export interface ClickToCallService {
  originate(req: { tenantId: number; agentId: number; number: string }): Promise<{ callId: string }>;
}

/** A live call as the call engine shows it (src/calls/live.ts). */
export interface LiveCallView {
  callId: string;
  tenantId: number;
  /** The call state machine's state (src/calls/state.ts): routing, queued, offering, bridged, held, transferring. */
  state: string;
  direction: 'inbound' | 'outbound' | 'internal';
  callerNumber: string;
  calleeNumber: string;
  didNumber: string | null;
  queueId: number | null;
  agentId: number | null;
  callerAgentId: number | null;
  calleeAgentId: number | null;
  createdAt: number;
  answeredAt: number | null;
  legs: { side: 'a' | 'b'; answered: boolean; onHold: boolean }[];
  /** Every state the call went through, with when. */
  states: { state: string; at: number }[];
  /** The call's transfers so far, oldest first (src/domain/call-transfers.ts). */
  transfers: TransferEntry[];
}

/** Live calls of this node: list, find, and act on them (hang up, hold, resume). */
export interface LiveCallService {
  list(tenantId: number): LiveCallView[];
  get(tenantId: number, callId: string): LiveCallView | undefined;
  /**
   * Act on a live call; undefined when this node runs no such call of the tenant. An action the call's state
   * forbids throws DomainError CONFLICT with `details.state`.
   */
  act(tenantId: number, callId: string, action: 'hangup' | 'hold' | 'resume'): LiveCallView | undefined;
  /** Start a blind transfer of the call's agent side (resolves once the new side rings); undefined as for act. */
  transfer(tenantId: number, callId: string, target: TransferTarget): Promise<LiveCallView | undefined>;
}

/** Where a blind transfer sends a call. */
export type TransferTarget =
  | { kind: 'agent'; agentId: number }
  | { kind: 'extension'; extension: string }
  | { kind: 'number'; number: string }
  | { kind: 'queue'; queueId: number };

/** Supervisor monitoring and recording control of live calls (src/calls/monitor.ts, recording-control.ts). */
export interface CallActionsService {
  monitor: CallMonitor;
  recording: RecordingControl;
}

/** Everything a route family or engine may use, built once by the composition root (src/app.ts). */
export interface WebPhoneService {
  credentials(who: { tenantId: number; agentId: number; extension: string }): {
    username: string;
    password: string;
    expiresAt: number;
  };
}

export interface AppContext {
  readonly config: Config;
  readonly clock: Clock;
  readonly store: Store;
  readonly db: Db;
  readonly bus: EventBus;
  readonly box: SecretBox;
  readonly credentials: CredentialService;
  readonly limiter: RateLimiter;
  /** The agent status model (custom and system statuses, transitions, history, readiness for the ACD). */
  readonly statuses: StatusService;
  /** Every agent's committed status held in memory, for list reads (src/domain/live-statuses.ts, pg-live-statuses.ts). */
  readonly liveStatuses?: LiveStatuses | PgLiveStatuses;
  readonly logger: Logger;
  /** The components `/readyz` checks (set by the composition root; without it only the database is checked). */
  readiness?: Readiness;
  /** Set by the call engine once it runs; without it click-to-call answers 503 (AntBuddy family). */
  clickToCall?: ClickToCallService;
  /** Set by the call engine once it runs; without it `state=active` and call actions answer 503 (native calls API). */
  liveCalls?: LiveCallService;
  /** Set by the call engine once it runs; without it monitor and recording actions answer 503. */
  callActions?: CallActionsService;
  /** Set by the call engine: short-lived SIP credentials for a signed-in agent's browser phone (docs/webrtc.md). */
  webPhone?: WebPhoneService;
  /** The durable outbox: families register their job kinds; `enqueue()` (webhooks/outbox.ts) adds jobs. */
  readonly outbox: OutboxWorker;
  /** Recordings after the call: encoding, storage backend (local or S3) and its health (src/recordings). */
  readonly recordings: RecordingPipeline;
  /** The tenant's rate limits per 10 s window (its own settings, else the configured defaults). */
  tenantLimits(tenantId: number): Promise<{ tenant: number; route: number }>;
}
