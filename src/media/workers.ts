/**
 * Media off the main thread (MEDIA_WORKERS=N, docs/media.md): N worker threads, each a MediaEngine on its own
 * shard of the RTP port range with its own UDP sockets (a dgram handle cannot move between threads), driven by
 * messages from this proxy, which implements the same `Media` interface as the in-thread engine. A call's legs
 * are placed in one worker (`allocate({ near })`), so relay, recording, DTMF and the monitor mix never cross
 * threads. Counters are read from one SharedArrayBuffer (a slot per even port), so `stats()` stays synchronous.
 * A worker that dies has its legs reported to `onFailure` (the calls end) and is started again.
 */
import { MessageChannel, Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { type Clock, systemClock } from '../clock.js';
import {
  type AllocateOptions,
  type Bridge,
  type BridgeOptions,
  type Media,
  MediaEngine,
  MediaPortsExhaustedError,
  type RtpEndpoint,
} from './engine.js';
import { type EndpointStats, STAT_FIELDS, StatSlot } from './endpoint.js';
import { MediaTotals } from './quality.js';
import {
  type CrossLegs,
  type ProxyLink,
  RemoteBridge,
  RemoteEndpoint,
  type RemoteMonitor,
  type WorkerLink,
} from './remote.js';
import { MediaHost } from './worker-host.js';
import type { FromWorker, Reply, Request, WorkerInit } from './worker-protocol.js';

export interface MediaWorkersOptions {
  publicIp: string;
  bindIp?: string;
  portMin: number;
  portMax: number;
  workers: number;
  /** Run the hosts on this thread over MessageChannels (the protocol without threads; tests). */
  inThread?: boolean;
  clock?: Clock;
  logger?: Logger;
}

/** How the proxy talks to one host: a worker thread, or a MessagePort pair on this thread. */
interface Transport {
  post(m: Request): void;
  terminate(): Promise<void>;
}

const ENTRY = new URL(
  import.meta.url.endsWith('.ts') ? './worker-main.ts' : './worker-main.js',
  import.meta.url,
);

function spawnThread(init: WorkerInit, onMessage: (m: FromWorker) => void, onExit: (why: string) => void) {
  let w: Worker;
  if (!ENTRY.pathname.endsWith('.ts')) w = new Worker(ENTRY, { workerData: init });
  else {
    // Under tsx the worker registers the loader itself (as src/recordings/encoder.ts does).
    const tsx = import.meta.resolve('tsx/esm/api');
    const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(ENTRY.href)}); })`;
    w = new Worker(boot, { eval: true, workerData: init });
  }
  let reason = '';
  w.on('message', onMessage);
  w.on('error', (e) => (reason = e.message));
  w.on('exit', (code) => onExit(reason || `exit code ${code}`));
  return {
    post: (m: Request) => w.postMessage(m),
    terminate: async () => void (await w.terminate()),
  };
}

function spawnInThread(init: WorkerInit, onMessage: (m: FromWorker) => void, onExit: (why: string) => void) {
  const { port1, port2 } = new MessageChannel();
  const host = new MediaHost(port1 as never, init);
  port2.on('message', onMessage);
  return {
    post: (m: Request) => port2.postMessage(m),
    terminate: async () => {
      port1.close();
      port2.close();
      // What a thread's exit does to its sockets and files.
      await host.dispose();
      onExit('terminated');
    },
  };
}

/** One generation of one worker: a restart makes a new one, and legs of the dead one go quiet. */
class MediaWorker implements WorkerLink {
  alive = true;
  readonly endpoints = new Map<number, RemoteEndpoint>();
  readonly bridges = new Map<number, RemoteBridge>();
  readonly monitors = new Map<number, RemoteMonitor>();
  private readonly pending = new Map<number, (r: Reply) => void>();
  private readonly transport: Transport;
  readonly exited: Promise<string>;

  constructor(
    readonly index: number,
    init: WorkerInit,
    inThread: boolean,
    readonly nextId: () => number,
    onDeath: (w: MediaWorker, why: string) => void,
  ) {
    let exit!: (why: string) => void;
    this.exited = new Promise((r) => (exit = r));
    const spawn = inThread ? spawnInThread : spawnThread;
    this.transport = spawn(
      init,
      (m) => this.receive(m),
      (why) => {
        const wasAlive = this.alive;
        this.alive = false;
        for (const done of this.pending.values()) done({ reply: 0, ok: false, error: `media worker ${why}` });
        this.pending.clear();
        exit(why);
        if (wasAlive) onDeath(this, why);
      },
    );
  }

  post(m: Request): void {
    if (this.alive) this.transport.post(m);
  }

  request(m: Request & { req: number }): Promise<Reply> {
    if (!this.alive) return Promise.resolve({ reply: m.req, ok: false, error: 'media worker is gone' });
    return new Promise((resolve) => {
      this.pending.set(m.req, resolve);
      this.transport.post(m);
    });
  }

  forget(ep: RemoteEndpoint): void {
    this.endpoints.delete(ep.id);
  }

  /** Stop the thread on purpose (shutdown, or a test's crash): flush recordings first when `graceful`. */
  async stop(graceful: boolean): Promise<void> {
    if (graceful && this.alive) await this.request({ op: 'shutdown', req: this.nextId() });
    this.alive = false;
    await this.transport.terminate();
  }

  /** Kill the thread as a crash would (no flush): its calls end, the worker is restarted. */
  kill(): Promise<void> {
    return this.transport.terminate();
  }

  private receive(m: FromWorker): void {
    if ('reply' in m) {
      const done = this.pending.get(m.reply);
      this.pending.delete(m.reply);
      return done?.(m);
    }
    switch (m.ev) {
      case 'dtmf':
        return this.endpoints.get(m.ep)?.dtmf?.(m.digit, m.ms);
      case 'bridgeDtmf':
        return this.bridges.get(m.br)?.onDtmf?.(m.side, m.digit, m.ms);
      case 'recordingFailed':
        return this.bridges.get(m.br)?.recordingFailed();
      case 'monitorEnded':
        return this.monitors.get(m.mon)?.ended();
    }
  }
}

/** Even ports of [min, max] split into `parts` contiguous shards of at least one even port each. */
function shards(min: number, max: number, parts: number): { portMin: number; portMax: number }[] {
  const first = min + (min % 2);
  const slots = Math.floor((max - first) / 2) + 1;
  if (slots < parts) throw new RangeError(`RTP port range too small for ${parts - 1} media workers`);
  const out = [];
  let at = 0;
  for (let i = 0; i < parts; i++) {
    const n = Math.floor((slots - at) / (parts - i));
    out.push({ portMin: first + 2 * at, portMax: first + 2 * (at + n - 1) + 1 });
    at += n;
  }
  return out;
}

export class MediaWorkers implements Media {
  private readonly workers: MediaWorker[] = [];
  private readonly stats: Float64Array;
  private readonly statsBuffer: SharedArrayBuffer;
  private readonly first: number;
  /** werift's legs (WebRTC stays on this thread) and their loopback legs to the workers. */
  private readonly local: MediaEngine;
  private readonly clock: Clock;
  private ids = 0;
  private closing = false;
  private failureListener: ((legs: RtpEndpoint[], why: string) => void) | null = null;
  readonly restarts: number[];
  readonly totals = new MediaTotals(() =>
    this.workers.flatMap((w) => [...w.endpoints.values()].filter((e) => !e.relay).map((e) => e.stats())),
  );
  private readonly link: ProxyLink;

  constructor(private readonly o: MediaWorkersOptions) {
    if (o.workers < 1) throw new RangeError('MediaWorkers needs at least one worker');
    this.clock = o.clock ?? systemClock;
    this.first = o.portMin + (o.portMin % 2);
    const slots = Math.floor((o.portMax - this.first) / 2) + 1;
    this.statsBuffer = new SharedArrayBuffer(slots * STAT_FIELDS * 8);
    this.stats = new Float64Array(this.statsBuffer);
    // The main thread's shard is for WebRTC (two legs per browser leg): a tenth of the range, the rest split.
    const mainSlots = Math.max(2, Math.ceil(slots / 10));
    const mainMax = this.first + 2 * (mainSlots - 1) + 1;
    this.local = new MediaEngine({
      publicIp: o.publicIp,
      ...(o.bindIp ? { bindIp: o.bindIp } : {}),
      portMin: this.first,
      portMax: mainMax,
      ...(o.clock ? { clock: o.clock } : {}),
      ...(o.logger ? { logger: o.logger } : {}),
    });
    const bind = o.bindIp;
    this.link = {
      readStats: (port) => this.readStats(port),
      retire: (s) => this.totals.retire(s),
      allocateLocal: () => this.local.allocate(),
      bridgeLocal: (a, b) => this.local.bridge(a, b),
      // The worker legs listen on the bind address; a wildcard one is reached on loopback.
      loopIp: bind && bind !== '0.0.0.0' && bind !== '::' ? bind : '127.0.0.1',
      warn: (obj, msg) => this.o.logger?.warn(obj, msg),
    };
    this.restarts = Array.from({ length: o.workers }, () => 0);
    const parts = shards(mainMax + 1, o.portMax, o.workers);
    for (let i = 0; i < o.workers; i++) this.workers.push(this.spawn(i, parts[i]!));
  }

  private spawn(index: number, shard: { portMin: number; portMax: number }): MediaWorker {
    const init: WorkerInit = {
      index,
      publicIp: this.o.publicIp,
      ...(this.o.bindIp ? { bindIp: this.o.bindIp } : {}),
      ...shard,
      stats: this.statsBuffer,
      statsFirstPort: this.first,
    };
    return new MediaWorker(
      index,
      init,
      this.o.inThread ?? false,
      () => ++this.ids,
      (w, why) => this.died(w, why, shard),
    );
  }

  private died(w: MediaWorker, why: string, shard: { portMin: number; portMax: number }): void {
    if (this.closing) return;
    const legs = [...w.endpoints.values()];
    this.o.logger?.error({ worker: w.index, why, legs: legs.length }, 'media worker died, restarting it');
    for (const e of legs) e.orphan();
    this.restarts[w.index]!++;
    this.workers[w.index] = this.spawn(w.index, shard);
    this.failureListener?.(legs, why);
  }

  /** Called with the legs a dead worker carried (the composition root ends their calls). */
  onFailure(listener: (legs: RtpEndpoint[], why: string) => void): void {
    this.failureListener = listener;
  }

  get size(): number {
    return this.workers.length;
  }

  /** Open legs per worker (for /readyz and the benches). */
  load(): number[] {
    return this.workers.map((w) => w.endpoints.size);
  }

  get openEndpoints(): number {
    return this.workers.reduce((n, w) => n + w.endpoints.size, 0) + this.local.openEndpoints;
  }

  async allocate(o: AllocateOptions = {}): Promise<RtpEndpoint> {
    const near = o.near instanceof RemoteEndpoint && o.near.worker.alive ? o.near.worker : null;
    if (near) return this.allocateIn(near as MediaWorker);
    const order = this.workers.filter((w) => w.alive).sort((x, y) => x.endpoints.size - y.endpoints.size);
    let last: unknown = new MediaPortsExhaustedError('no media worker is running');
    for (const w of order) {
      try {
        return await this.allocateIn(w);
      } catch (e) {
        last = e;
        if (!(e instanceof MediaPortsExhaustedError)) break;
      }
    }
    throw last;
  }

  private async allocateIn(w: MediaWorker): Promise<RtpEndpoint> {
    const id = this.nextId();
    const r = await w.request({ op: 'allocate', req: this.nextId(), ep: id });
    if (!r.ok) {
      if (r.exhausted) throw new MediaPortsExhaustedError(r.error);
      throw new Error(r.error);
    }
    const ep = new RemoteEndpoint(w, id, r.localIp!, r.localPort!, this.link);
    w.endpoints.set(id, ep);
    return ep;
  }

  bridge(a: RtpEndpoint, b: RtpEndpoint, o: BridgeOptions = {}): Bridge {
    if (!(a instanceof RemoteEndpoint) || !(b instanceof RemoteEndpoint)) {
      throw new TypeError('not an endpoint of these media workers');
    }
    const w = a.worker as MediaWorker;
    const via = a.worker === b.worker ? undefined : this.crossLegs(a, b);
    const br = new RemoteBridge(w, this.nextId(), a, b, o.onDtmf, this.link, o.record, via);
    w.bridges.set(br.id, br);
    return br;
  }

  /** Relay legs for a bridge between two workers (RemoteBridge: CrossLegs): near A's worker and B's. */
  private async crossLegs(a: RemoteEndpoint, b: RemoteEndpoint): Promise<CrossLegs> {
    const [x, y] = (await Promise.all([
      this.allocateIn(a.worker as MediaWorker),
      this.allocateIn(b.worker as MediaWorker),
    ])) as unknown as [RemoteEndpoint, RemoteEndpoint];
    x.relay = y.relay = true;
    const r = {
      ip: this.link.loopIp,
      codec: 'PCMU',
      payloadType: 0,
      dtmfPayloadType: 101,
      trusted: true,
    } as const;
    x.setRemote({ ...r, port: y.localPort });
    y.setRemote({ ...r, port: x.localPort });
    const br = this.nextId();
    b.worker.post({ op: 'bridge', br, a: b.id, b: y.id, dtmf: false });
    return { near: x, far: { worker: b.worker, br, legs: [y] } };
  }

  /** Whether worker `index` answers (a round trip through its event loop); its open legs. */
  async ping(index: number): Promise<{ open_endpoints: number; restarts: number }> {
    const w = this.workers[index]!;
    const r = await w.request({ op: 'ping', req: this.nextId() });
    if (!r.ok) throw new Error(r.error);
    return { open_endpoints: r.localPort ?? 0, restarts: this.restarts[index]! };
  }

  /** Kill worker `index` as a crash would (tests; operations). */
  kill(index: number): Promise<string> {
    const w = this.workers[index]!;
    void w.kill();
    return w.exited;
  }

  /** Which worker carries `ep` (-1: a main-thread leg or not one of ours). */
  workerOf(ep: RtpEndpoint): number {
    return ep instanceof RemoteEndpoint ? ep.worker.index : -1;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.workers.map((w) => w.stop(true)));
    await this.local.close();
  }

  private nextId(): number {
    return ++this.ids;
  }

  private readStats(port: number): EndpointStats {
    const at = ((port - this.first) / 2) * STAT_FIELDS;
    const s = this.stats;
    const last = s[at + StatSlot.lastPacketAt]!;
    return {
      packetsIn: s[at + StatSlot.packetsIn]!,
      packetsOut: s[at + StatSlot.packetsOut]!,
      bytesIn: s[at + StatSlot.bytesIn]!,
      bytesOut: s[at + StatSlot.bytesOut]!,
      // The worker stamps real time; calls read it on the injected clock.
      lastPacketAt: Number.isNaN(last) ? null : this.clock.now() - (Date.now() - last),
      lost: s[at + StatSlot.lost]!,
      jitterSec: s[at + StatSlot.jitterSec]!,
    };
  }
}
