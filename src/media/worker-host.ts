/**
 * The worker's side of media off the main thread: one MediaEngine on this worker's shard of the RTP port range,
 * driven by messages from the main thread's proxy (src/media/workers.ts). Everything on a leg happens here:
 * relay, latching, stats (also published in the shared stats buffer), DTMF detection, hold music and prompts
 * from this thread's media clock, the monitor mix and the WAV recorder.
 */
import { MediaEngine, type Bridge, type LegRecording, type RtpEndpoint } from './engine.js';
import { STAT_FIELDS, StatSlot } from './endpoint.js';
import type { MonitorHandle } from './monitor.js';
import type { FromWorker, Request, WorkerInit } from './worker-protocol.js';

/** The two ends of a message channel the host needs (a worker's parentPort, or an in-thread MessagePort). */
export interface HostPort {
  postMessage(m: FromWorker): void;
  on(event: 'message', listener: (m: Request) => void): void;
}

export class MediaHost {
  private readonly engine: MediaEngine;
  private readonly eps = new Map<number, RtpEndpoint>();
  private readonly bridges = new Map<number, Bridge>();
  private readonly monitors = new Map<number, MonitorHandle>();
  private readonly legRecs = new Map<number, LegRecording>();
  private readonly stats: Float64Array;

  constructor(
    private readonly port: HostPort,
    private readonly init: WorkerInit,
  ) {
    this.stats = new Float64Array(init.stats);
    this.engine = new MediaEngine({
      publicIp: init.publicIp,
      ...(init.bindIp ? { bindIp: init.bindIp } : {}),
      portMin: init.portMin,
      portMax: init.portMax,
      counters: (p) => this.slot(p),
    });
    port.on('message', (m) => this.handle(m));
  }

  /** Close every socket and recording (the in-thread transport's stand-in for the thread exiting). */
  dispose(): Promise<void> {
    return this.engine.close();
  }

  private slot(localPort: number): Float64Array {
    const at = ((localPort - this.init.statsFirstPort) / 2) * STAT_FIELDS;
    const view = this.stats.subarray(at, at + STAT_FIELDS);
    view.fill(0);
    view[StatSlot.lastPacketAt] = NaN;
    return view;
  }

  private ok(req: number, extra: object = {}): void {
    this.port.postMessage({ reply: req, ok: true, ...extra });
  }

  private handle(m: Request): void {
    try {
      this.dispatch(m);
    } catch (e) {
      if ('req' in m) this.port.postMessage({ reply: m.req, ok: false, error: (e as Error).message });
    }
  }

  private dispatch(m: Request): void {
    switch (m.op) {
      case 'allocate':
        this.engine.allocate().then(
          (ep) => {
            this.eps.set(m.ep, ep);
            this.ok(m.req, { localIp: ep.localIp, localPort: ep.localPort });
          },
          (e: Error & { code?: string }) =>
            this.port.postMessage({
              reply: m.req,
              ok: false,
              error: e.message,
              exhausted: e.code === 'MEDIA_PORTS_EXHAUSTED',
            }),
        );
        return;
      case 'setRemote':
        return this.eps.get(m.ep)?.setRemote(m.r);
      case 'startMoh':
        return this.eps.get(m.ep)?.startMoh(m.wav);
      case 'stopMoh':
        return this.eps.get(m.ep)?.stopMoh();
      case 'playPrompt': {
        const ep = this.eps.get(m.ep);
        if (!ep) return this.ok(m.req);
        void ep.playPrompt(m.files).then(() => this.ok(m.req));
        return;
      }
      case 'stopPrompt':
        return this.eps.get(m.ep)?.stopPrompt();
      case 'listenDtmf':
        return this.eps
          .get(m.ep)
          ?.onDtmf(m.on ? (digit, ms) => this.port.postMessage({ ev: 'dtmf', ep: m.ep, digit, ms }) : null);
      case 'recordLeg': {
        const r = this.eps.get(m.ep)?.recordInbound(m.path);
        if (r) this.legRecs.set(m.rec, r);
        return;
      }
      case 'stopLeg': {
        const r = this.legRecs.get(m.rec);
        this.legRecs.delete(m.rec);
        if (!r) return this.ok(m.req, { recording: null });
        void r.stop().then((recording) => this.ok(m.req, { recording }));
        return;
      }
      case 'close': {
        this.eps.get(m.ep)?.close();
        this.eps.delete(m.ep);
        return;
      }
      case 'bridge':
        return this.bridge(m);
      case 'bridgeStop': {
        const b = this.bridges.get(m.br);
        this.bridges.delete(m.br);
        if (!b) return this.ok(m.req, { recording: null });
        void b.stop().then((r) => this.ok(m.req, { recording: r.recording ?? null }));
        return;
      }
      case 'bridgeRecord':
        if (!this.bridges.get(m.br)?.record({ path: m.path, callerIsA: m.callerIsA })) {
          this.port.postMessage({ ev: 'recordingFailed', br: m.br });
        }
        return;
      case 'pause':
        this.bridges.get(m.br)?.pauseRecording();
        return;
      case 'resume':
        this.bridges.get(m.br)?.resumeRecording();
        return;
      case 'monitor':
        return this.monitor(m);
      case 'monitorMode':
        return this.monitors.get(m.mon)?.setMode(m.mode);
      case 'monitorStop':
        this.monitors.get(m.mon)?.stop();
        this.monitors.delete(m.mon);
        return;
      case 'ping':
        return this.ok(m.req, { localPort: this.eps.size });
      case 'shutdown':
        void this.engine.close().then(() => this.ok(m.req));
        return;
    }
  }

  private bridge(m: Extract<Request, { op: 'bridge' }>): void {
    const a = this.eps.get(m.a);
    const b = this.eps.get(m.b);
    if (!a || !b) return;
    const bridge = this.engine.bridge(a, b, {
      ...(m.record ? { record: m.record } : {}),
      ...(m.dtmf
        ? {
            onDtmf: (side, digit, ms) =>
              this.port.postMessage({ ev: 'bridgeDtmf', br: m.br, side, digit, ms }),
          }
        : {}),
    });
    this.bridges.set(m.br, bridge);
    if (m.record && bridge.recordingState === 'off')
      this.port.postMessage({ ev: 'recordingFailed', br: m.br });
  }

  private monitor(m: Extract<Request, { op: 'monitor' }>): void {
    const sup = this.eps.get(m.sup);
    const h = sup && this.bridges.get(m.br)?.monitor(sup, m.mode, { agentIsA: m.agentIsA });
    if (!h) return void this.port.postMessage({ ev: 'monitorEnded', mon: m.mon });
    this.monitors.set(m.mon, h);
    // The mix ends itself when its call leaves the bridge (a transfer): tell the main thread.
    const watch = setInterval(() => {
      if (h.active) return;
      clearInterval(watch);
      if (this.monitors.get(m.mon) === h) {
        this.monitors.delete(m.mon);
        this.port.postMessage({ ev: 'monitorEnded', mon: m.mon });
      }
    }, 100);
    watch.unref();
  }
}
