/**
 * The media engine: allocates RTP ports, bridges two legs (relay, transcoding, recording, DTMF events)
 * and plays hold music and prompts from one media clock. The SIP core drives it; see docs/media.md.
 */
import { createSocket, type Socket } from 'node:dgram';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import { AudioCache, type Clip } from './audio-cache.js';
import { type AudioTap, Endpoint, type EndpointStats, type RemoteMedia } from './endpoint.js';
import { type RecordingResult, StereoRecorder } from './recorder.js';
import { type MonitorHandle, MonitorMix, type MonitorMode } from './monitor.js';
import { MediaClock } from './scheduler.js';
import { MediaTotals } from './quality.js';
import { WebRtcTransport, type WebRtcOptions } from './webrtc.js';

export type { EndpointStats, RemoteMedia } from './endpoint.js';
export type { RecordingResult, RecordingPause } from './recorder.js';
export type { MonitorHandle, MonitorMode } from './monitor.js';
export { MONITOR_MODES } from './monitor.js';

/** One leg's RTP port, as the SIP core sees it. */
export interface RtpEndpoint {
  readonly localIp: string;
  readonly localPort: number;
  /** Where to send (from the SDP); the first packet's real source then wins (symmetric RTP, NAT). */
  setRemote(r: RemoteMedia): void;
  /** Loop a WAV file (or the synthesised default) to this leg from the media clock. */
  startMoh(wavPath?: string): void;
  stopMoh(): void;
  /** Play files in order (hold music pauses meanwhile); resolves when done, stopped or closed. */
  playPrompt(files: string[]): Promise<void>;
  /** Cut the prompt now playing short (an IVR caller's barge-in): its playPrompt resolves; no-op when none plays. */
  stopPrompt(): void;
  /**
   * Hear this leg's RFC 4733 digits while it is in no bridge (an IVR menu, a queue's callback key); a bridge
   * replaces the listener; null stops.
   */
  onDtmf(listener: ((digit: string, durationMs: number) => void) | null): void;
  /**
   * Record what this leg sends while it is in no bridge (a voicemail): a WAV like a call's recording, the leg's
   * audio on the left channel. Null when the file cannot be opened; `stop` finishes the file.
   */
  recordInbound(path: string): LegRecording | null;
  stats(): EndpointStats;
  close(): void;
  /**
   * Make this leg a WebRTC peer answering `offer` (a browser's DTLS-SRTP offer): resolves with the answer SDP;
   * from then on the leg's media is the peer connection's. Rejects when werift cannot use the offer.
   */
  answerWebRtc(offer: string): Promise<string>;
  /** Our WebRTC offer to a browser; `accept` its answer (the leg then becomes WebRTC), or `close` it unused. */
  offerWebRtc(): Promise<WebRtcOffer>;
  /** Our current WebRTC description (answer or re-offer), null when this leg is plain RTP. */
  webRtcSdp(kind: 'answer' | 'offer'): string | null;
}

export interface WebRtcOffer {
  readonly sdp: string;
  /** Apply the browser's answer (DTLS and ICE then complete in the background). */
  accept(answer: string): void;
  close(): void;
}

/** A recording of one leg's incoming audio (RtpEndpoint.recordInbound). */
export interface LegRecording {
  stop(): Promise<RecordingResult>;
}

export interface BridgeOptions {
  /** Record the call as stereo WAV: the caller's audio left, the agent's right. */
  record?: { path: string; callerIsA?: boolean };
  /** A DTMF digit (RFC 4733) arrived from side `from`; the call engine decides what it means and who hears of it. */
  onDtmf?: (from: 'a' | 'b', digit: string, durationMs: number) => void;
}

/** Whether a bridge records: not at all, into its file, or paused (the span becomes silence in the file). */
export type RecordingState = 'off' | 'recording' | 'paused';

export interface Bridge {
  /** Unlink the legs (each may then get hold music or a new bridge), end any monitor, finish the recording. */
  stop(): Promise<{ recording?: RecordingResult }>;
  readonly recordingState: RecordingState;
  /** Milliseconds into the recording file now (null when not recording). */
  readonly recordingPositionMs: number | null;
  /** Start recording the live bridge (no re-bridge, no gap in the relay); false when it already records. */
  record(o: { path: string; callerIsA?: boolean }): boolean;
  /** Pause / resume the recording; false when the state does not allow it (not recording, already paused…). */
  pauseRecording(): boolean;
  resumeRecording(): boolean;
  /** Join a supervisor's leg (src/media/monitor.ts); one at a time (null while another monitors). */
  monitor(supervisor: RtpEndpoint, mode: MonitorMode, o?: { agentIsA?: boolean }): MonitorHandle | null;
  readonly monitoring: MonitorHandle | null;
}

/** Where a new leg goes: next to `near` (the call's other leg), so the two can be bridged in one thread. */
export interface AllocateOptions {
  near?: RtpEndpoint;
}

/**
 * What the call engine, the metrics and /readyz use of media: the in-thread MediaEngine, or MediaWorkers
 * (src/media/workers.ts), which runs the same engine in worker threads behind this interface.
 */
export interface Media {
  allocate(o?: AllocateOptions): Promise<RtpEndpoint>;
  bridge(a: RtpEndpoint, b: RtpEndpoint, o?: BridgeOptions): Bridge;
  close(): Promise<void>;
  readonly totals: MediaTotals;
  readonly openEndpoints: number;
}

export interface MediaEngineOptions {
  publicIp: string;
  bindIp?: string;
  portMin: number;
  portMax: number;
  clock?: Clock;
  logger?: Logger;
  /** A shared stats slot for the endpoint on `port` (a media worker's; src/media/worker-host.ts). */
  counters?: (port: number) => Float64Array;
}

/** Thrown when no even port in the configured range can be bound. */
export class MediaPortsExhaustedError extends Error {
  readonly code = 'MEDIA_PORTS_EXHAUSTED';
}

const FLUSH_EVERY_MS = 1000;

/** A leg moving into a new bridge leaves its previous partner unbridged (it may then get hold music). */
function detachPartner(e: Endpoint, next: Endpoint): void {
  const old = e.peer;
  if (!old || old === next) return;
  old.peer = null;
  old.bridgeToken = null;
  old.tap = null;
  old.onDtmf = null;
}

class EndpointHandle implements RtpEndpoint {
  constructor(
    readonly ep: Endpoint,
    private readonly engine: MediaEngine,
  ) {}
  get localIp(): string {
    return this.ep.localIp;
  }
  get localPort(): number {
    return this.ep.localPort;
  }
  setRemote(r: RemoteMedia): void {
    this.ep.setRemote(r);
  }
  startMoh(wavPath?: string): void {
    this.ep.startMoh(this.engine.clip(wavPath));
  }
  stopMoh(): void {
    this.ep.stopMoh();
  }
  playPrompt(files: string[]): Promise<void> {
    return this.ep.playPrompt(this.engine.prompts(files));
  }
  stopPrompt(): void {
    this.ep.stopPrompt();
  }
  onDtmf(listener: ((digit: string, durationMs: number) => void) | null): void {
    this.ep.onDtmf = listener;
  }
  recordInbound(path: string): LegRecording | null {
    return this.engine.recordLeg(this.ep, path);
  }
  stats(): EndpointStats {
    return this.ep.stats();
  }
  close(): void {
    this.ep.close();
  }
  async answerWebRtc(offer: string): Promise<string> {
    const { transport, sdp } = await WebRtcTransport.answer(offer, this.engine.webRtcOptions());
    this.ep.attachWebRtc(transport);
    return sdp;
  }
  async offerWebRtc(): Promise<WebRtcOffer> {
    const { transport, sdp } = await WebRtcTransport.offer(this.engine.webRtcOptions());
    const log = this.engine.logger;
    return {
      sdp,
      accept: (answer) => {
        this.ep.attachWebRtc(transport);
        transport.accept(answer).catch((e: Error) => {
          log?.warn({ err: e.message, port: this.localPort }, 'webrtc answer refused');
          transport.close();
        });
      },
      close: () => {
        if (this.ep.webRtc !== transport) transport.close();
      },
    };
  }
  webRtcSdp(kind: 'answer' | 'offer'): string | null {
    return this.ep.webRtc?.localSdp(kind) ?? null;
  }
}

export class MediaEngine implements Media {
  readonly cache = new AudioCache();
  readonly mediaClock: MediaClock;
  private readonly used = new Set<number>();
  private readonly endpoints = new Set<Endpoint>();
  private readonly recorders = new Set<StereoRecorder>();
  /** Packets, loss and jitter of every endpoint opened so far (read by src/metrics). */
  readonly totals = new MediaTotals(() => [...this.endpoints].map((e) => e.stats()));
  private readonly clock: Clock;
  readonly logger: Logger | undefined;
  private readonly flushTimer: NodeJS.Timeout;
  private cursor: number;

  constructor(private readonly o: MediaEngineOptions) {
    this.logger = o.logger;
    if (o.portMin > o.portMax - 1) throw new RangeError('RTP port range needs at least two ports');
    this.clock = o.clock ?? systemClock;
    this.mediaClock = new MediaClock(() => performance.now());
    const first = o.portMin + (o.portMin % 2);
    this.cursor = first + 2 * Math.floor(Math.random() * (Math.floor((o.portMax - first) / 2) + 1));
    // The header patch interval bounds what a crash can lose from a recording.
    this.flushTimer = setInterval(() => this.flushRecorders(), FLUSH_EVERY_MS);
    this.flushTimer.unref();
  }

  /** Bind an even UDP port in the range (RTCP is not used, so the odd one stays free). */
  async allocate(_o?: AllocateOptions): Promise<RtpEndpoint> {
    const first = this.o.portMin + (this.o.portMin % 2);
    const slots = Math.floor((this.o.portMax - first) / 2) + 1;
    for (let i = 0; i < slots; i++) {
      const port = this.nextPort(first, slots);
      if (this.used.has(port)) continue;
      this.used.add(port);
      const socket = await this.bind(port);
      if (!socket) {
        this.used.delete(port);
        continue;
      }
      const ep = new Endpoint(socket, this.o.publicIp, port, {
        mediaClock: this.mediaClock,
        cache: this.cache,
        mono: () => performance.now(),
        wall: () => this.clock.now(),
        warn: (obj, msg) => this.o.logger?.warn(obj, msg),
        ...(this.o.counters ? { counters: this.o.counters(port) } : {}),
        released: (e) => {
          if (this.endpoints.delete(e)) this.totals.retire(e.stats());
          this.used.delete(e.localPort);
        },
      });
      this.endpoints.add(ep);
      return new EndpointHandle(ep, this);
    }
    throw new MediaPortsExhaustedError(`no free RTP port in ${this.o.portMin}-${this.o.portMax}`);
  }

  /** Connect two legs: audio and DTMF flow both ways, optionally recorded. */
  bridge(a: RtpEndpoint, b: RtpEndpoint, o: BridgeOptions = {}): Bridge {
    const ea = this.unwrap(a);
    const eb = this.unwrap(b);
    ea.stopLocal();
    eb.stopLocal();
    detachPartner(ea, eb);
    detachPartner(eb, ea);
    ea.peer = eb;
    eb.peer = ea;
    for (const e of [ea, eb]) {
      e.tap = null;
      e.onDtmf = null;
      e.mixIn = null;
      e.stopMixing();
    }
    let recorder: StereoRecorder | null = null;
    if (o.record) recorder = this.startRecorder(ea, eb, o.record.path, o.record.callerIsA ?? true);
    const { onDtmf } = o;
    if (onDtmf) {
      ea.onDtmf = (digit, durationMs) => onDtmf('a', digit, durationMs);
      eb.onDtmf = (digit, durationMs) => onDtmf('b', digit, durationMs);
    }
    const token = {};
    ea.bridgeToken = eb.bridgeToken = token;
    const live = () => ea.bridgeToken === token && eb.bridgeToken === token;
    let monitor: MonitorMix | null = null;
    let stopped: Promise<{ recording?: RecordingResult }> | null = null;
    return {
      stop: () => {
        stopped ??= Promise.resolve().then(async () => {
          monitor?.stop();
          // Undo only legs still in this bridge: either may already be in a newer one (transfer, re-bridge).
          for (const e of [ea, eb]) {
            if (e.bridgeToken !== token) continue;
            e.bridgeToken = null;
            e.peer = null;
            e.tap = null;
            e.onDtmf = null;
          }
          if (!recorder) return {};
          this.recorders.delete(recorder);
          return { recording: await recorder.close() };
        });
        return stopped;
      },
      get recordingState(): RecordingState {
        return !recorder ? 'off' : recorder.paused ? 'paused' : 'recording';
      },
      get recordingPositionMs() {
        return recorder ? recorder.positionMs : null;
      },
      record: (r) => {
        if (recorder || stopped || !live()) return false;
        recorder = this.startRecorder(ea, eb, r.path, r.callerIsA ?? true);
        return recorder !== null;
      },
      pauseRecording: () => !stopped && recorder !== null && recorder.pause(),
      resumeRecording: () => !stopped && recorder !== null && recorder.resume(),
      monitor: (sup, mode, mo = {}) => {
        if (stopped || !live() || monitor?.active) return null;
        const es = this.unwrap(sup);
        const [customer, agent] = mo.agentIsA ? [eb, ea] : [ea, eb];
        const m = new MonitorMix(this.mediaClock, customer, agent, es, mode, live, () => {
          if (monitor === m) monitor = null;
        });
        monitor = m;
        return m;
      },
      get monitoring() {
        return monitor?.active ? monitor : null;
      },
    };
  }

  /** Close every endpoint and recording; the engine is unusable afterwards. */
  async close(): Promise<void> {
    clearInterval(this.flushTimer);
    await Promise.all([...this.recorders].map((r) => r.close()));
    this.recorders.clear();
    for (const e of [...this.endpoints]) e.close();
    this.mediaClock.stop();
  }

  /** werift's settings for a browser leg: host candidates on the interfaces (the bind address when one is set),
   * plus the public address when it is loopback (werift leaves loopback out by default). */
  webRtcOptions(): WebRtcOptions {
    const ip = this.o.publicIp;
    return {
      ...(ip.startsWith('127.') ? { hostAddresses: [ip] } : {}),
      ...(this.o.bindIp ? { bindIp: this.o.bindIp } : {}),
      warn: (obj, msg) => this.o.logger?.warn(obj, msg),
    };
  }

  /** Number of endpoints currently open. */
  get openEndpoints(): number {
    return this.endpoints.size;
  }

  /** The hold-music clip for a path; the synthesised default when none is given or it cannot be read. */
  clip(wavPath?: string): Clip {
    if (!wavPath) return this.cache.fallbackMoh();
    try {
      const clip = this.cache.get(wavPath);
      if (clip.pcm.length >= 160) return clip;
      this.o.logger?.warn({ path: wavPath }, 'hold music shorter than one frame, using default');
      return this.cache.fallbackMoh();
    } catch (e) {
      this.o.logger?.warn(
        { err: (e as Error).message, path: wavPath },
        'hold music unreadable, using default',
      );
      return this.cache.fallbackMoh();
    }
  }

  /** One unbridged leg's incoming audio into `path` (left channel), until `stop` or a bridge takes the leg. */
  recordLeg(e: Endpoint, path: string): LegRecording | null {
    const rec = this.openRecorder(path);
    if (!rec) return null;
    const tap: AudioTap = (law, p) => rec.write(0, law, p.ssrc, p.timestamp, p.payload);
    e.tap = tap;
    return {
      stop: () => {
        if (e.tap === tap) e.tap = null;
        this.recorders.delete(rec);
        return rec.close();
      },
    };
  }

  /** A failure to open the file is logged and the call goes on unrecorded: losing audio beats losing the call. */
  private startRecorder(ea: Endpoint, eb: Endpoint, path: string, callerIsA: boolean): StereoRecorder | null {
    const rec = this.openRecorder(path);
    if (!rec) return null;
    ea.tap = (law, p) => rec.write(callerIsA ? 0 : 1, law, p.ssrc, p.timestamp, p.payload);
    eb.tap = (law, p) => rec.write(callerIsA ? 1 : 0, law, p.ssrc, p.timestamp, p.payload);
    return rec;
  }

  private openRecorder(path: string): StereoRecorder | null {
    let rec: StereoRecorder;
    try {
      rec = new StereoRecorder(
        path,
        () => performance.now(),
        (err) => this.o.logger?.error({ err: err.message, path }, 'recording write failed'),
      );
    } catch (e) {
      this.o.logger?.error({ err: (e as Error).message, path }, 'cannot open recording file');
      return null;
    }
    this.recorders.add(rec);
    return rec;
  }

  /** The clips of prompt files; an unreadable file is logged and left out (the caller still hears the rest). */
  prompts(files: string[]): Clip[] {
    const clips: Clip[] = [];
    for (const f of files) {
      try {
        clips.push(this.cache.get(f));
      } catch (e) {
        this.o.logger?.warn({ err: (e as Error).message, path: f }, 'prompt unreadable, skipped');
      }
    }
    return clips;
  }

  private flushRecorders(): void {
    for (const r of this.recorders) r.flush();
  }

  private unwrap(x: RtpEndpoint): Endpoint {
    if (!(x instanceof EndpointHandle)) throw new TypeError('not an endpoint of this media engine');
    return x.ep;
  }

  private nextPort(first: number, slots: number): number {
    const port = this.cursor;
    this.cursor = first + (((port - first) / 2 + 1) % slots) * 2;
    return port;
  }

  private bind(port: number): Promise<Socket | null> {
    return new Promise((resolve) => {
      const address = this.o.bindIp ?? '0.0.0.0';
      const s = createSocket({ type: address.includes(':') ? 'udp6' : 'udp4' });
      const fail = () => {
        s.close();
        resolve(null);
      };
      s.once('error', fail);
      s.bind({ port, address, exclusive: true }, () => {
        s.off('error', fail);
        resolve(s);
      });
    });
  }
}
