import { Server as SocketServer } from 'socket.io';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { type Clock, systemClock } from './clock.js';
import type { Config } from './config.js';
import type { AppContext } from './context.js';
import { CredentialService } from './domain/credentials.js';
import { EventBus } from './domain/events.js';
import { SecretBox, loadSecretKey } from './domain/secrets.js';
import { StatusService } from './domain/status-service.js';
import { FatalConfigError } from './errors.js';
import { nativeFamily } from './http/native/index.js';
import { alohubFamily } from './http/alohub/index.js';
import { antbuddyFamily } from './http/antbuddy/index.js';
import { recordingsFamily } from './http/recordings.js';
import { type RealtimeGateway, attachRealtime } from './realtime/gateway.js';
import { attachEventWebhooks } from './webhooks/events.js';
import { RecordingRetentionJob, repairUnfinishedRecordings } from './media/recordings.js';
import { RecordingPipeline } from './recordings/pipeline.js';
import { recoverAfterCrash, resetStuckAgents } from './domain/recovery.js';
import { ClusterOwnership } from './cluster/ownership.js';
import { ccaiFamily } from './http/ccai/index.js';
import { type FamilyPlugin, type HttpServer, buildHttpServer } from './http/server.js';
import {
  type CounterStore,
  MemoryCounterStore,
  RateLimiter,
  RedisCounterStore,
} from './ratelimit/limiter.js';
import { type Store, commitWatch, openStore } from './store/db.js';
import { type Telephony, createTelephony } from './calls/index.js';
import { attachSipWebSocket } from './sip/websocket.js';
import { createOutboxWorker } from './webhooks/index.js';
import { omicallFamily } from './http/omicall/index.js';
import { consoleFamily } from './http/console/index.js';
import { attachConsoleLive } from './http/console/live.js';
import { createMetrics } from './metrics/index.js';
import { createLogger } from './metrics/logging.js';
import { LiveStatuses } from './domain/live-statuses.js';
import { PgLiveStatuses } from './domain/pg-live-statuses.js';
import { Readiness, databaseCheck, mediaCheck, redisCheck, sipCheck } from './metrics/readiness.js';
import { registerMetricsRoute, startMetricsListener } from './metrics/server.js';

/** The route families, in registration order. Each is a thin adapter over the shared domain. */
const FAMILIES: FamilyPlugin[] = [
  nativeFamily,
  alohubFamily,
  omicallFamily,
  ccaiFamily,
  antbuddyFamily,
  recordingsFamily,
  consoleFamily,
];

export interface BuildOptions {
  clock?: Clock;
  logger?: Logger;
  /** An already-open store (tests); otherwise one is opened from the config. */
  store?: Store;
  /** PostgreSQL schema to isolate this instance in (tests). */
  pgSchema?: string;
  /** Run the durable outbox worker once listening (default true); tests may drive it by hand instead. */
  outboxWorker?: boolean;
}

export interface Tongdai {
  readonly ctx: AppContext;
  readonly http: HttpServer;
  readonly io: SocketServer;
  /** The bound SIP port (UDP and TCP), known once listening. */
  readonly sipPort: number;
  /** The bound port of the separate metrics listener (METRICS_PORT), once listening; null without one. */
  readonly metricsPort: number | null;
  /** The SIP server and call engine (tests and benchmarks inspect live calls through it). */
  readonly telephony: Telephony;
  /** Start listening; resolves with the bound HTTP port. */
  listen(): Promise<number>;
  /** Graceful stop: in-flight requests finish, then engines and the database close. */
  close(): Promise<void>;
}

async function connectRedis(url: string, logger: Logger): Promise<Redis> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 2, enableOfflineQueue: true });
  redis.on('error', (err) => logger.warn({ err: err.message }, 'redis error'));
  try {
    await redis.connect();
    await redis.ping();
  } catch (e) {
    redis.disconnect();
    const msg = e instanceof Error ? e.message : String(e);
    throw new FatalConfigError(
      `cannot connect to Redis at ${url}: ${msg} (check REDIS_URL and that Redis is running)`,
    );
  }
  return redis;
}

/** The composition root: config → store → services → engines → servers. No module-level singletons. */
export async function createTongdai(config: Config, opts: BuildOptions = {}): Promise<Tongdai> {
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger ?? createLogger(config.logLevel);
  const store =
    opts.store ??
    (await openStore({
      dataDir: config.dataDir,
      databaseUrl: config.databaseUrl,
      pgSchema: opts.pgSchema ?? config.databaseSchema,
    }));
  const closers: (() => Promise<void>)[] = [];
  try {
    await store.migrate();
    const box = new SecretBox(loadSecretKey(config.secretKey, config.dataDir));
    let counters: CounterStore = new MemoryCounterStore(clock);
    let redis: Redis | undefined;
    if (config.redisUrl) {
      redis = await connectRedis(config.redisUrl, logger);
      const r = redis;
      closers.push(async () => void (await r.quit().catch(() => r.disconnect())));
      counters = new RedisCounterStore(
        redis,
        `tongdai:rl:${opts.pgSchema ?? config.databaseSchema ?? 'main'}:`,
      );
    }
    const bus = new EventBus((err, e) => logger.error({ err, event: e.type }, 'event subscriber failed'));
    // Statuses in memory for list reads on the embedded store; PostgreSQL reads them with the list's one query.
    const watch = commitWatch(store.db);
    const liveStatuses =
      store.dialect === 'sqlite'
        ? new LiveStatuses(store.db)
        : watch
          ? new PgLiveStatuses(store.db, watch)
          : undefined;
    const statuses = new StatusService(store.db, store.dialect, clock, bus, liveStatuses);
    const outbox = createOutboxWorker({ db: store.db, clock, box, logger, config });
    const recordings = new RecordingPipeline({
      db: store.db,
      clock,
      logger,
      dataDir: config.dataDir,
      nodeId: config.nodeId,
      config: config.recordings,
    });
    closers.push(() => recordings.stop());
    const ctx: AppContext = {
      outbox,
      recordings,
      config,
      clock,
      store,
      db: store.db,
      bus,
      box,
      credentials: new CredentialService(store.db, clock, box),
      limiter: new RateLimiter(counters, clock),
      statuses,
      ...(liveStatuses ? { liveStatuses } : {}),
      logger,
      async tenantLimits(tenantId) {
        const t = await store.db
          .selectFrom('tenants')
          .select(['rate_limit_tenant', 'rate_limit_route'])
          .where('id', '=', tenantId)
          .executeTakeFirst();
        return {
          tenant: t?.rate_limit_tenant ?? config.rateLimitTenant,
          route: t?.rate_limit_route ?? config.rateLimitRoute,
        };
      },
    };
    const telephony = createTelephony(ctx);
    const recoveryDeps = {
      db: store.db,
      statuses: ctx.statuses,
      nodeId: config.nodeId,
      now: () => clock.now(),
      inLiveCall: (tenantId: number, agentId: number) => telephony.core.involves(tenantId, agentId),
    };
    // A node found dead by a heartbeat leaves agents in Ringing/In-call/Wrap-up: resume them (docs/cluster.md).
    telephony.node.onDeadCallsClosed(() => resetStuckAgents(recoveryDeps));
    // Set below, before the first lease round (at listen()): a gained tenant numbers above every reserved id.
    const late: { realtime?: RealtimeGateway } = {};
    // Several nodes share PostgreSQL: each tenant's live call state runs on the node holding its lease.
    const ownership = config.databaseUrl
      ? new ClusterOwnership({
          db: store.db,
          clock,
          nodeId: config.nodeId,
          bus,
          logger: logger.child({ module: 'cluster' }),
          redisUrl: config.redisUrl ?? null,
          channel: opts.pgSchema ?? config.databaseSchema ?? 'main',
          hooks: {
            tenantMoved: (tenantId, owned) => {
              if (!owned) return telephony.acd.forgetTenant(tenantId);
              late.realtime?.tenantGained(tenantId);
              telephony.acd.tenantGained(tenantId).catch((err: unknown) => {
                logger.warn({ err, tenantId }, 'reloading a gained tenant failed');
              });
            },
            recover: () => resetStuckAgents(recoveryDeps),
            agentChanged: (tenantId, agentId) => telephony.acd.agentChanged(tenantId, agentId),
            ownerDied: (nodeId) => telephony.node.closeCallsOf(nodeId),
          },
        })
      : null;
    if (ownership) telephony.router.owners = ownership;
    ctx.clickToCall = telephony.clickToCall;
    ctx.webPhone = { credentials: (who) => telephony.sip.webCredentials(who) };
    ctx.liveCalls = telephony.live;
    ctx.callActions = telephony.callActions;
    ctx.readiness = new Readiness()
      .add('database', databaseCheck(store.db, store.dialect))
      .add('redis', redis ? redisCheck(redis) : null)
      .add(
        'sip',
        sipCheck(config.sipHost, () => telephony.sip.port),
      )
      .add('media', mediaCheck(telephony.media));
    // One component per media worker: its event loop answers a ping (a dead one is restarted, see workers.ts).
    const mw = telephony.mediaWorkers;
    for (let i = 0; i < (mw?.size ?? 0); i++) ctx.readiness.add(`media_worker_${i}`, () => mw!.ping(i));
    const metrics = createMetrics({ store, clock, bus, logger, telephony });
    closers.push(async () => metrics.close());
    const retention = new RecordingRetentionJob({
      db: store.db,
      clock,
      dataDir: config.dataDir,
      logger,
      s3: recordings.s3,
    });
    const http = await buildHttpServer(ctx, FAMILIES);
    registerMetricsRoute(http, metrics, config.metricsToken, logger);
    const io = new SocketServer(http.server, {
      allowEIO3: true,
      cors: { origin: '*' },
      // No connectionStateRecovery: it appends an offset argument to every event, which breaks Kazoo clients.
      // Reconnecting clients resume with `last_event_id` instead (docs/api/antbuddy.md).
    });
    // SIP over WebSocket (RFC 7118) for the console's browser phone, beside Socket.IO (docs/webrtc.md).
    const detachSipWs = attachSipWebSocket(http.server, telephony.sip.stack.transport, {
      allowedOrigins: config.sip.wsOrigins,
      publicUrl: config.publicUrl,
      heartbeatMs: config.sip.tcpPartialTimeoutSec * 1000,
      logger: logger.child({ module: 'sip' }),
    });
    const realtime = (late.realtime = attachRealtime(ctx, io));
    metrics.addRealtime(() => realtime.totals());
    closers.push(() => realtime.close());
    // Domain events to the tenants' webhook endpoints (docs/webhooks.md); detached after telephony stopped.
    closers.push(attachEventWebhooks({ db: store.db, clock, bus, logger }));
    closers.push(attachConsoleLive(ctx, io).close);

    let closed = false;
    let metricsListener: { port: number; close(): Promise<void> } | null = null;
    return {
      ctx,
      http,
      io,
      telephony,
      get sipPort() {
        return telephony.sip.port;
      },
      get metricsPort() {
        return metricsListener?.port ?? null;
      },
      async listen() {
        try {
          await http.listen({ port: config.port, host: config.host });
        } catch (e) {
          const code = (e as { code?: string }).code;
          if (code === 'EADDRINUSE') {
            throw new FatalConfigError(
              `HTTP port ${config.port} is already in use (set PORT or --port to another one)`,
            );
          }
          if (code === 'EACCES') throw new FatalConfigError(`not allowed to listen on port ${config.port}`);
          throw e;
        }
        if (config.metricsPort !== undefined) {
          metricsListener = await startMetricsListener(
            metrics,
            logger,
            config.metricsHost,
            config.metricsPort,
          );
        }
        if (opts.outboxWorker !== false) outbox.start();
        await telephony.start();
        await repairUnfinishedRecordings(store.db, clock, config.dataDir, config.nodeId);
        await recoverAfterCrash(recoveryDeps);
        await ownership?.start();
        if (opts.outboxWorker !== false) await recordings.start();
        retention.start();
        const addr = http.server.address();
        return typeof addr === 'object' && addr ? addr.port : config.port;
      },
      async close() {
        if (closed) return;
        closed = true;
        await metricsListener?.close();
        await telephony.stop();
        // After this node left telephony_nodes, so the next owner's recovery resumes the agents it held.
        await ownership?.stop();
        await detachSipWs();
        await retention.stop();
        await recordings.stop();
        await outbox.stop();
        io.disconnectSockets(true);
        await http.close();
        // socket.io closes the HTTP server too; fastify already did, so its "not running" callback is expected.
        await new Promise<void>((resolve) => void io.close(() => resolve()));
        for (const c of closers.reverse()) await c();
        if (!opts.store) await store.close();
      },
    };
  } catch (e) {
    for (const c of closers.reverse()) await c().catch(() => undefined);
    if (!opts.store) await store.close().catch(() => undefined);
    throw e;
  }
}
