import type { Logger } from 'pino';
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { CredentialService } from './domain/credentials.js';
import type { EventBus } from './domain/events.js';
import type { SecretBox } from './domain/secrets.js';
import type { StatusService } from './domain/status-service.js';
import type { Readiness } from './metrics/readiness.js';
import type { RateLimiter } from './ratelimit/limiter.js';
import type { Db, Store } from './store/db.js';
import type { OutboxWorker } from './webhooks/worker.js';

/** Starts a click-to-call: rings the agent's registered device, then dials `number` from it. */
export interface ClickToCallService {
  originate(req: { tenantId: number; agentId: number; number: string }): Promise<{ callId: string }>;
}

/** Everything a route family or engine may use, built once by the composition root (src/app.ts). */
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
  readonly logger: Logger;
  /** The components `/readyz` checks (set by the composition root; without it only the database is checked). */
  readiness?: Readiness;
  /** Set by the call engine once it runs; without it click-to-call answers 503 (AntBuddy family). */
  clickToCall?: ClickToCallService;
  /** The durable outbox: families register their job kinds; `enqueue()` (webhooks/outbox.ts) adds jobs. */
  readonly outbox: OutboxWorker;
  /** The tenant's rate limits per 10 s window (its own settings, else the configured defaults). */
  tenantLimits(tenantId: number): Promise<{ tenant: number; route: number }>;
}
