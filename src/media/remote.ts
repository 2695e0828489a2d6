/**
 * The main thread's stand-ins for a media worker's legs, bridges and monitors (src/media/workers.ts): the same
 * interfaces the call engine uses of the in-thread engine, kept synchronous where they are: a leg's address is
 * known at allocation, its counters are read from the worker's shared stats slot, and a bridge's recording state
 * and position are mirrored here (the worker only reports when a recording could not start after all).
 */
import { closeSync, openSync } from 'node:fs';
import type { Bridge, LegRecording, RecordingState, RtpEndpoint, WebRtcOffer } from './engine.js';
import type { EndpointStats, RemoteMedia } from './endpoint.js';
import type { MonitorHandle, MonitorMode } from './monitor.js';
import type { RecordingResult } from './recorder.js';
import type { Reply, Request } from './worker-protocol.js';

/** What a remote object needs of its worker (one generation of it: a restarted worker is a new one). */
export interface WorkerLink {
  readonly index: number;
  readonly alive: boolean;
  post(m: Request): void;
  request(m: Request & { req: number }): Promise<Reply>;
  nextId(): number;
  readonly bridges: Map<number, RemoteBridge>;
  readonly monitors: Map<number, RemoteMonitor>;
  forget(ep: RemoteEndpoint): void;
}

/** What a remote leg needs of the proxy: its counters, the in-thread engine for WebRTC, the logger. */
export interface ProxyLink {
  readStats(port: number): EndpointStats;
  retire(s: EndpointStats): void;
  /** A main-thread leg (WebRTC needs werift, which stays on this thread). */
  allocateLocal(): Promise<RtpEndpoint>;
  bridgeLocal(a: RtpEndpoint, b: RtpEndpoint): Bridge;
  readonly loopIp: string;
  warn(obj: object, msg: string): void;
}

/** Whether `path` can be created here: the worker opens it again, but a failure must be known synchronously. */
function creatable(path: string, link: ProxyLink): boolean {
  try {
    closeSync(openSync(path, 'w', 0o640));
    return true;
  } catch (e) {
    link.warn({ err: (e as Error).message, path }, 'cannot open recording file');
    return false;
  }
}

const emptyRecording = (path: string): RecordingResult => ({ path, durationMs: 0, sizeBytes: 0, pauses: [] });

/** A browser's leg: werift's peer connection on a main-thread endpoint, relayed to the worker leg over loopback. */
interface WebRtcLoop {
  peer: RtpEndpoint;
  loop: RtpEndpoint | null;
  bridge: Bridge | null;
}

export class RemoteEndpoint implements RtpEndpoint {
  closed = false;
  dtmf: ((digit: string, durationMs: number) => void) | null = null;
  /** The bridge this leg is in, mirrored from the worker's (detaching a partner clears it there and here). */
  bridge: RemoteBridge | null = null;
  /** One of a cross-worker bridge's relay legs: internal, left out of the totals (its packets are counted twice). */
  relay = false;
  private final: EndpointStats | null = null;
  private remote: RemoteMedia | null = null;
  private web: WebRtcLoop | null = null;

  constructor(
    readonly worker: WorkerLink,
    readonly id: number,
    readonly localIp: string,
    readonly localPort: number,
    private readonly proxy: ProxyLink,
  ) {}

  setRemote(r: RemoteMedia): void {
    this.remote = r;
    if (this.web) this.applyLoop();
    else this.worker.post({ op: 'setRemote', ep: this.id, r });
  }
  startMoh(wavPath?: string): void {
    this.worker.post({ op: 'startMoh', ep: this.id, ...(wavPath ? { wav: wavPath } : {}) });
  }
  stopMoh(): void {
    this.worker.post({ op: 'stopMoh', ep: this.id });
  }
  async playPrompt(files: string[]): Promise<void> {
    if (this.closed || files.length === 0) return;
    await this.worker.request({ op: 'playPrompt', req: this.worker.nextId(), ep: this.id, files });
  }
  stopPrompt(): void {
    this.worker.post({ op: 'stopPrompt', ep: this.id });
  }
  onDtmf(listener: ((digit: string, durationMs: number) => void) | null): void {
    this.dtmf = listener;
    this.worker.post({ op: 'listenDtmf', ep: this.id, on: listener !== null });
  }
  recordInbound(path: string): LegRecording | null {
    if (this.closed || !this.worker.alive || !creatable(path, this.proxy)) return null;
    const rec = this.worker.nextId();
    this.worker.post({ op: 'recordLeg', ep: this.id, rec, path });
    let done: Promise<RecordingResult> | null = null;
    return {
      stop: () =>
        (done ??= this.worker
          .request({ op: 'stopLeg', req: this.worker.nextId(), rec })
          .then((r) => (r.ok && r.recording) || emptyRecording(path))),
    };
  }
  stats(): EndpointStats {
    return this.final ?? this.proxy.readStats(this.localPort);
  }
  close(): void {
    if (this.closed) return;
    this.final = this.stats();
    this.closed = true;
    this.dtmf = null;
    this.worker.post({ op: 'close', ep: this.id });
    this.worker.forget(this);
    if (!this.relay) this.proxy.retire(this.final);
    this.closeWeb();
  }

  /** The worker died: keep the last counters, send nothing more (the call ends with a media failure). */
  orphan(): void {
    this.final ??= this.stats();
  }

  async answerWebRtc(offer: string): Promise<string> {
    const peer = await this.proxy.allocateLocal();
    try {
      const sdp = await peer.answerWebRtc(offer);
      await this.joinLoop(peer);
      return sdp;
    } catch (e) {
      peer.close();
      throw e;
    }
  }
  async offerWebRtc(): Promise<WebRtcOffer> {
    const peer = await this.proxy.allocateLocal();
    let offer: WebRtcOffer;
    try {
      offer = await peer.offerWebRtc();
    } catch (e) {
      peer.close();
      throw e;
    }
    return {
      sdp: offer.sdp,
      accept: (answer) => {
        offer.accept(answer);
        this.joinLoop(peer).catch((e: Error) =>
          this.proxy.warn({ err: e.message, port: this.localPort }, 'webrtc loopback leg failed'),
        );
      },
      close: () => {
        if (this.web?.peer === peer) return;
        offer.close();
        peer.close();
      },
    };
  }
  webRtcSdp(kind: 'answer' | 'offer'): string | null {
    return this.web?.peer.webRtcSdp(kind) ?? null;
  }

  /** Relay the browser's leg (main thread) to this worker leg: peer ⇄ loop (bridged here) ⇄ this leg (worker). */
  private async joinLoop(peer: RtpEndpoint): Promise<void> {
    if (this.web) this.closeWeb();
    const web: WebRtcLoop = { peer, loop: null, bridge: null };
    this.web = web;
    const loop = await this.proxy.allocateLocal();
    if (this.closed || this.web !== web) {
      loop.close();
      peer.close();
      return;
    }
    web.loop = loop;
    web.bridge = this.proxy.bridgeLocal(peer, loop);
    this.applyLoop();
  }

  private applyLoop(): void {
    const w = this.web;
    const r = this.remote;
    if (!w || !r) return;
    w.peer.setRemote(r);
    if (!w.loop) return;
    const ip = this.proxy.loopIp;
    w.loop.setRemote({ ...r, ip, port: this.localPort, trusted: true });
    this.worker.post({
      op: 'setRemote',
      ep: this.id,
      r: { ...r, ip, port: w.loop.localPort, trusted: true },
    });
  }

  private closeWeb(): void {
    const w = this.web;
    this.web = null;
    if (!w) return;
    void w.bridge?.stop();
    w.loop?.close();
    w.peer.close();
  }
}

export class RemoteMonitor implements MonitorHandle {
  active = true;
  constructor(
    private readonly worker: WorkerLink,
    readonly id: number,
    public mode: MonitorMode,
  ) {}
  setMode(mode: MonitorMode): void {
    if (!this.active || mode === this.mode) return;
    this.mode = mode;
    this.worker.post({ op: 'monitorMode', mon: this.id, mode });
  }
  stop(): void {
    if (!this.active) return;
    this.worker.post({ op: 'monitorStop', mon: this.id });
    this.ended();
  }
  ended(): void {
    this.active = false;
    this.worker.monitors.delete(this.id);
  }
}

/**
 * Two legs in different workers (an attended transfer joins two calls): each is bridged in its own worker to a
 * relay leg, and the two relay legs send to each other over loopback. The near bridge (A's worker) carries the
 * recording, the DTMF and the monitor; `far` is B's bridge to its relay leg.
 */
export interface CrossLegs {
  near: RemoteEndpoint;
  far: { worker: WorkerLink; br: number; legs: RemoteEndpoint[] };
}

export class RemoteBridge implements Bridge {
  private state: RecordingState = 'off';
  /** Messages for the worker held until the cross-worker relay legs exist (null: send at once). */
  private queue: (() => Request)[] | null = null;
  private cross: CrossLegs | null = null;
  private readonly ready: Promise<void>;
  private recordingSince = 0;
  private stopped: Promise<{ recording?: RecordingResult }> | null = null;
  private mon: RemoteMonitor | null = null;

  constructor(
    private readonly worker: WorkerLink,
    readonly id: number,
    private readonly a: RemoteEndpoint,
    private readonly b: RemoteEndpoint,
    readonly onDtmf: ((from: 'a' | 'b', digit: string, durationMs: number) => void) | undefined,
    private readonly proxy: ProxyLink,
    record: { path: string; callerIsA?: boolean } | undefined,
    via?: Promise<CrossLegs>,
  ) {
    for (const [e, other] of [
      [a, b],
      [b, a],
    ] as const) {
      // The worker detaches a leg's previous partner the same way (MediaEngine.bridge).
      const old = e.bridge;
      if (old && old !== this) old.detach(e, other);
      e.bridge = this;
      e.dtmf = null;
    }
    const ok = record !== undefined && creatable(record.path, proxy);
    if (via) {
      this.queue = [];
      this.ready = via.then(
        (c) => {
          this.cross = c;
          const q = this.queue!;
          this.queue = null;
          for (const f of q) this.worker.post(f());
        },
        (e: Error) => {
          this.queue = null;
          proxy.warn({ err: e.message }, 'no relay legs between media workers: the legs stay unbridged');
        },
      );
    } else this.ready = Promise.resolve();
    this.send(() => ({
      op: 'bridge',
      br: id,
      a: a.id,
      b: (this.cross?.near ?? b).id,
      ...(ok ? { record: { path: record.path, callerIsA: record.callerIsA ?? true } } : {}),
      dtmf: onDtmf !== undefined,
    }));
    if (ok) this.started();
  }

  private send(f: () => Request): void {
    if (this.queue) this.queue.push(f);
    else this.worker.post(f());
  }

  /** Leg `e` moved to a bridge with `next`: its old partner here is no longer bridged to anyone. */
  detach(e: RemoteEndpoint, next: RemoteEndpoint): void {
    const partner = e === this.a ? this.b : this.a;
    if (partner !== next && partner.bridge === this) {
      partner.bridge = null;
      partner.dtmf = null;
    }
  }

  private live(): boolean {
    return this.a.bridge === this && this.b.bridge === this;
  }

  private started(): void {
    this.state = 'recording';
    this.recordingSince = performance.now();
  }

  /** The worker could not open the file after all. */
  recordingFailed(): void {
    this.state = 'off';
  }

  stop(): Promise<{ recording?: RecordingResult }> {
    this.stopped ??= (async () => {
      this.mon?.ended();
      for (const e of [this.a, this.b]) if (e.bridge === this) e.bridge = null;
      await this.ready;
      const r = await this.worker.request({ op: 'bridgeStop', req: this.worker.nextId(), br: this.id });
      this.worker.bridges.delete(this.id);
      const c = this.cross;
      if (c) {
        await c.far.worker.request({ op: 'bridgeStop', req: c.far.worker.nextId(), br: c.far.br });
        c.near.close();
        for (const e of c.far.legs) e.close();
      }
      return r.ok && r.recording ? { recording: r.recording } : {};
    })();
    return this.stopped;
  }
  get recordingState(): RecordingState {
    return this.state;
  }
  get recordingPositionMs(): number | null {
    return this.state === 'off' ? null : Math.round(performance.now() - this.recordingSince);
  }
  record(o: { path: string; callerIsA?: boolean }): boolean {
    if (this.state !== 'off' || this.stopped || !this.live() || !creatable(o.path, this.proxy)) return false;
    this.send(() => ({ op: 'bridgeRecord', br: this.id, path: o.path, callerIsA: o.callerIsA ?? true }));
    this.started();
    return true;
  }
  pauseRecording(): boolean {
    if (this.stopped || this.state !== 'recording') return false;
    this.send(() => ({ op: 'pause', br: this.id }));
    this.state = 'paused';
    return true;
  }
  resumeRecording(): boolean {
    if (this.stopped || this.state !== 'paused') return false;
    this.send(() => ({ op: 'resume', br: this.id }));
    this.state = 'recording';
    return true;
  }
  monitor(supervisor: RtpEndpoint, mode: MonitorMode, o: { agentIsA?: boolean } = {}): MonitorHandle | null {
    if (this.stopped || !this.live() || this.mon?.active) return null;
    if (!(supervisor instanceof RemoteEndpoint) || supervisor.worker !== this.worker) {
      this.proxy.warn({ port: supervisor.localPort }, 'supervisor leg is not in the call’s media worker');
      return null;
    }
    const m = new RemoteMonitor(this.worker, this.worker.nextId(), mode);
    this.worker.monitors.set(m.id, m);
    this.send(() => ({
      op: 'monitor',
      br: this.id,
      mon: m.id,
      sup: supervisor.id,
      mode,
      agentIsA: !!o.agentIsA,
    }));
    this.mon = m;
    return m;
  }
  get monitoring(): MonitorHandle | null {
    return this.mon?.active ? this.mon : null;
  }
}
