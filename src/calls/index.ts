import type { AppContext } from '../context.js';
import { loadSecretKey } from '../domain/secrets.js';
import { MediaEngine } from '../media/engine.js';
import { DialogRegistry } from '../sip/dialogs.js';
import type { SipOptions } from '../sip/options.js';
import { SipServer } from '../sip/server.js';
import { AcdDriver } from './acd-driver.js';
import { ClickToCall } from './click-to-call.js';
import { createRecording, finishRecording } from '../media/recordings.js';
import type { CallActionsService } from '../context.js';
import type { Call } from './call.js';
import { CallMonitor } from './monitor.js';
import { RecordingControl } from './recording-control.js';
import { Dialer } from './dialer.js';
import { CallCore, type CallDeps } from './engine.js';
import { InviteRouter } from './inbound.js';
import { CallLimits } from './limits.js';
import { StatusFollower, followRegistrations } from './presence.js';
import { QueueFlow } from './queue-flow.js';
import { TelephonyNode } from './nodes.js';
import { Routing } from './routing.js';

/** The telephony half of tongdai: the SIP server, the media engine and the call engine on top of them. */
export interface Telephony {
  readonly sip: SipServer;
  readonly core: CallCore;
  /** This process among the telephony nodes sharing the database (heartbeat, crash recovery). */
  readonly node: TelephonyNode;
  readonly acd: AcdDriver;
  readonly clickToCall: ClickToCall;
  /** Supervisor monitoring and recording control (docs/monitoring.md). */
  readonly callActions: CallActionsService;
  /** Close calls a crash left open, bind SIP (UDP+TCP); resolves with the bound SIP port. */
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
  const media = new MediaEngine({
    publicIp: ctx.config.publicIp,
    bindIp: ctx.config.sipHost,
    portMin: ctx.config.rtpPortMin,
    portMax: ctx.config.rtpPortMax,
    clock: ctx.clock,
    logger: ctx.logger.child({ module: 'media' }),
  });
  // New INVITEs reach the router, which needs the registry itself: bound once both exist.
  const ref: { router?: InviteRouter } = {};
  const registry = new DialogRegistry((req, tx) => ref.router?.onInvite(req, tx));
  sip.setDialogHandler(registry);
  const deps: CallDeps = {
    db: ctx.db,
    nodeId: ctx.config.nodeId,
    dataDir: ctx.config.dataDir,
    box: ctx.box,
    clock: ctx.clock,
    bus: ctx.bus,
    logger,
    sip,
    registry,
    media,
    dialer: new Dialer(sip.stack, registry, media),
    routing: new Routing(ctx.db, ctx.box),
    limits: new CallLimits(ctx.clock),
    follower: new StatusFollower(ctx),
    statuses: ctx.statuses,
  };
  const core = new CallCore(deps);
  const acd = new AcdDriver(deps);
  const router = new InviteRouter(core, new QueueFlow(core, acd));
  ref.router = router;
  const clickToCall = new ClickToCall(core, router);
  const node = new TelephonyNode(deps);
  const callActions = createCallActions(ctx, core, sip, registry, media, deps.dialer);
  router.features = callActions.monitor;
  return {
    sip,
    core,
    acd,
    clickToCall,
    callActions,
    node,
    async start() {
      const closed = await node.start();
      if (closed) logger.warn({ closed }, 'closed calls left open by a previous run or a stopped node');
      return sip.start();
    },
    async stop() {
      core.endAll();
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
  media: MediaEngine,
  dialer: Dialer,
): CallActionsService {
  const findCall = (tenantId: number, callId: string): Call | undefined => {
    const c = core.calls.get(callId) ?? core.recent.get(callId);
    return c && c.tenantId === tenantId ? c : undefined;
  };
  const monitor = new CallMonitor({
    db: ctx.db,
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
      open: (tenantId, callId) =>
        createRecording(ctx.db, ctx.clock, ctx.config.dataDir, { tenantId, callId }),
      finish: (tenantId, id, r) => finishRecording(ctx.db, ctx.clock, tenantId, id, r),
    },
  });
  return { monitor, recording };
}
