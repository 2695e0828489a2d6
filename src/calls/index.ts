import type { AppContext } from '../context.js';
import { loadSecretKey } from '../domain/secrets.js';
import { type Media, MediaEngine } from '../media/engine.js';
import { MediaWorkers } from '../media/workers.js';
import { DialogRegistry } from '../sip/dialogs.js';
import type { SipOptions } from '../sip/options.js';
import { SipServer } from '../sip/server.js';
import { AcdDriver } from './acd-driver.js';
import { CallbackFlow } from './callback-flow.js';
import { createCallbackStore } from '../domain/callbacks.js';
import { ClickToCall } from './click-to-call.js';
import { LiveCalls } from './live.js';
import { CallTransfer } from './transfer.js';
import { ReferTransfers } from './refer.js';
import { getAgentByExtension, getAgentById } from '../domain/agents.js';
import { consoleRoleOf } from '../domain/console-accounts.js';
import type { CallActionsService } from '../context.js';
import type { Call } from './call.js';
import { CallMonitor } from './monitor.js';
import { RecordingControl } from './recording-control.js';
import { Dialer } from './dialer.js';
import { CallCore } from './engine.js';
import { type CallStore, createCallStore } from '../domain/call-store.js';
import type { DialBDeps } from './dial-b.js';
import { recordIfWanted } from './recording.js';
import { InviteRouter } from './inbound.js';
import { CallLimits } from './limits.js';
import { StatusFollower, followRegistrations } from './presence.js';
import { QueueFlow } from './queue-flow.js';
import { IvrFlows } from './ivr-flow.js';
import { Voicemails } from './voicemail.js';
import { promptFile } from '../prompts/files.js';
import { TelephonyNode } from './nodes.js';
import { Routing } from './routing.js';

/** The telephony half of tongdai: the SIP server, the media engine and the call engine on top of them. */
export interface Telephony {
  readonly sip: SipServer;
  /** The in-thread engine (MEDIA_WORKERS=0) or the proxy to the media worker threads. */
  readonly media: Media;
  /** The media workers when MEDIA_WORKERS > 0 (their /readyz components). */
  readonly mediaWorkers: MediaWorkers | null;
  readonly core: CallCore;
  /** This process among the telephony nodes sharing the database (heartbeat, crash recovery). */
  readonly node: TelephonyNode;
  readonly acd: AcdDriver;
  /** Queued callbacks in progress (docs/ivr.md). */
  readonly callbacks: CallbackFlow;
  readonly clickToCall: ClickToCall;
  /** The live calls as the native calls API lists and acts on them. */
  readonly live: LiveCalls;
  /** Supervisor monitoring and recording control (docs/monitoring.md). */
  readonly callActions: CallActionsService;
  /** The INVITE router (tenant ownership plugs its owner lookup in: `router.owners`). */
  readonly router: InviteRouter;
  /** Close calls a crash left open, bind SIP (UDP+TCP), put open callbacks back; resolves with the SIP port. */
  start(): Promise<number>;
  stop(): Promise<void>;
}

/** Build the SIP server and the call engine from the application context (composition root helper). */
export function createTelephony(ctx: AppContext, options: SipOptions = ctx.config.sip): Telephony {
  const logger = ctx.logger.child({ module: 'sip' });
  const sip = new SipServer({
    db: ctx.db,
    box: ctx.box,
    clock: ctx.clock,
    logger,
    host: ctx.config.sipHost,
    port: ctx.config.sipPort,
    publicIp: ctx.config.publicIp,
    secretKey: loadSecretKey(ctx.config.secretKey, ctx.config.dataDir),
    options,
  });
  followRegistrations(sip.location, ctx);
  const mediaOptions = {
    publicIp: ctx.config.publicIp,
    bindIp: ctx.config.sipHost,
    portMin: ctx.config.rtpPortMin,
    portMax: ctx.config.rtpPortMax,
    clock: ctx.clock,
    logger: ctx.logger.child({ module: 'media' }),
  };
  const workers = ctx.config.mediaWorkers > 0;
  const mediaWorkers = workers
    ? new MediaWorkers({ ...mediaOptions, workers: ctx.config.mediaWorkers })
    : null;
  const media: Media = mediaWorkers ?? new MediaEngine(mediaOptions);
  // New INVITEs reach the router, which needs the registry itself: bound once both exist.
  const ref: { router?: InviteRouter } = {};
  const registry = new DialogRegistry((req, tx) => ref.router?.onInvite(req, tx));
  sip.setDialogHandler(registry);
  const store = createCallStore(ctx.db, ctx.clock, ctx.config.dataDir);
  const { clock, bus } = ctx;
  const limits = new CallLimits(clock);
  const routing = new Routing(store, ctx.box);
  const follower = new StatusFollower(ctx);
  const records = { store, nodeId: ctx.config.nodeId, bus, clock, logger };
  const core = new CallCore({ records, limits, media, stack: sip.stack, registry, clock, logger });
  const legB: DialBDeps = {
    dialer: new Dialer(sip.stack, registry, media),
    follower,
    record: (call, agentIds, queueId) => recordIfWanted(store, call, agentIds, queueId),
    logger,
  };
  const direct = { legB, follower };
  const acd = new AcdDriver({ store, clock, bus, statuses: ctx.statuses, logger });
  const callbacks = new CallbackFlow({
    store: createCallbackStore(ctx.db, clock),
    driver: acd,
    core,
    legB,
    follower,
    routing,
    location: sip.location,
    media,
    bus,
    clock,
    hostport: () => sip.stack.hostport(),
    publicIp: () => sip.stack.publicIp,
    dataDir: ctx.config.dataDir,
    logger: logger.child({ module: 'callback' }),
  });
  const queues = new QueueFlow({
    callbacks,
    ...direct,
    driver: acd,
    store,
    statuses: ctx.statuses,
    routing,
    location: sip.location,
    hostport: () => sip.stack.hostport(),
    dataDir: ctx.config.dataDir,
    clock,
  });
  const ivr = new IvrFlows({
    store,
    queues,
    callbacks,
    voicemails: new Voicemails({
      store,
      bus,
      clock,
      dataDir: ctx.config.dataDir,
      logger: logger.child({ module: 'voicemail' }),
    }),
    direct,
    routing,
    location: sip.location,
    promptFile: (tenantId, lang, prompt) => promptFile(ctx.config.dataDir, tenantId, lang, prompt),
    hostport: () => sip.stack.hostport(),
    clock,
    logger: logger.child({ module: 'ivr' }),
  });
  const router = new InviteRouter({
    core,
    queues,
    ivr,
    direct,
    routing,
    box: ctx.box,
    auth: sip.auth,
    location: sip.location,
    publicIp: () => sip.stack.publicIp,
    edges: options.edgeAddresses,
    logger,
  });
  ref.router = router;
  const clickToCall = new ClickToCall({
    core,
    legB,
    follower,
    limits,
    routing,
    location: sip.location,
    media,
    hostport: () => sip.stack.hostport(),
    publicIp: () => sip.stack.publicIp,
    dataDir: ctx.config.dataDir,
  });
  const transfers = new CallTransfer({
    legB,
    follower,
    routing,
    location: sip.location,
    queues,
    core,
    hostport: () => sip.stack.hostport(),
  });
  // A REFER from a leg's phone is a transfer through the same rules (bound here: transfers ring through legB).
  legB.refer = new ReferTransfers({ transfers, calls: () => core.calls.values(), follower, logger });
  // … and from side A's phone (an agent who placed the call: tongdai's UAS leg).
  core.refer = legB.refer;
  const node = new TelephonyNode({ store, bus, clock, nodeId: ctx.config.nodeId, logger });
  const callActions = createCallActions(ctx, core, sip, registry, media, legB.dialer, store);
  // A media worker that dies took its legs' audio with it: their calls end (the worker is restarted).
  mediaWorkers?.onFailure((legs) => {
    const dead = new Set(legs);
    for (const c of [...core.calls.values()]) {
      if (dead.has(c.a.media.endpoint) || (c.b && dead.has(c.b.media.endpoint))) {
        c.end('NETWORK_OUT_OF_ORDER', 'system', { reason: 'media worker failed' });
      }
    }
  });
  router.features = callActions.monitor;
  return {
    sip,
    media,
    mediaWorkers,
    core,
    acd,
    callbacks,
    router,
    clickToCall,
    live: new LiveCalls(core, transfers),
    callActions,
    node,
    async start() {
      const closed = await node.start();
      if (closed) logger.warn({ closed }, 'closed calls left open by a previous run or a stopped node');
      const port = await sip.start();
      await node.advertise(sip.stack.hostport());
      const resumed = await callbacks.resume();
      if (resumed) logger.info({ resumed }, 'open callbacks back in their queues');
      return port;
    },
    async stop() {
      core.endAll();
      callbacks.stop();
      acd.stop();
      await sip.stop();
      await media.close();
      await node.stop();
    },
  };
}

/** Monitoring and recording control over the live-call table (a live or recently ended call, by tenant). */
function createCallActions(
  ctx: AppContext,
  core: CallCore,
  sip: SipServer,
  registry: DialogRegistry,
  media: Media,
  dialer: Pick<Dialer, 'dial'>,
  store: Pick<CallStore, 'openRecording' | 'finishRecording'>,
): CallActionsService {
  const findCall = (tenantId: number, callId: string): Call | undefined => core.getOrRecent(tenantId, callId);
  const monitor = new CallMonitor({
    agents: {
      byId: (tenantId, id) => getAgentById(ctx.db, tenantId, id),
      byExtension: (tenantId, extension) => getAgentByExtension(ctx.db, tenantId, extension),
      roleOf: (agent) => consoleRoleOf(ctx.db, agent),
    },
    clock: ctx.clock,
    bus: ctx.bus,
    logger: ctx.logger.child({ module: 'monitor' }),
    findCall,
    liveCalls: (tenantId) => [...core.calls.values()].filter((c) => c.tenantId === tenantId),
    phones: (tenantId, agentId) => sip.location.lookup(tenantId, agentId),
    dialer,
    media,
    stack: sip.stack,
    registry,
  });
  const recording = new RecordingControl({
    clock: ctx.clock,
    bus: ctx.bus,
    findCall,
    files: {
      open: (tenantId, callId) => store.openRecording(tenantId, callId),
      finish: (tenantId, id, r) => store.finishRecording(tenantId, id, r),
    },
  });
  return { monitor, recording };
}
