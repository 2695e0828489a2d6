/**
 * The messages between the main thread's media proxy (src/media/workers.ts) and a media worker's host
 * (src/media/worker-host.ts). Ids of endpoints, bridges, monitors and leg recordings are chosen by the main
 * thread, so a request never waits for the worker to name what it creates; `req` is set on requests the main
 * thread awaits, and the worker answers each with a `Reply` carrying the same number.
 */
import type { MonitorMode } from './monitor.js';
import type { RecordingResult } from './recorder.js';
import type { RemoteMedia } from './endpoint.js';

/** What a worker is started with (workerData). */
export interface WorkerInit {
  index: number;
  publicIp: string;
  bindIp?: string;
  portMin: number;
  portMax: number;
  /** Counters of every endpoint, STAT_FIELDS Float64 per even port of the whole range (src/media/workers.ts). */
  stats: SharedArrayBuffer;
  statsFirstPort: number;
}

export type Request =
  | { op: 'allocate'; req: number; ep: number }
  | { op: 'setRemote'; ep: number; r: RemoteMedia }
  | { op: 'startMoh'; ep: number; wav?: string }
  | { op: 'stopMoh'; ep: number }
  | { op: 'playPrompt'; req: number; ep: number; files: string[] }
  | { op: 'stopPrompt'; ep: number }
  | { op: 'listenDtmf'; ep: number; on: boolean }
  | { op: 'recordLeg'; ep: number; rec: number; path: string }
  | { op: 'stopLeg'; req: number; rec: number }
  | { op: 'close'; ep: number }
  | {
      op: 'bridge';
      br: number;
      a: number;
      b: number;
      record?: { path: string; callerIsA: boolean };
      dtmf: boolean;
    }
  | { op: 'bridgeStop'; req: number; br: number }
  | { op: 'bridgeRecord'; br: number; path: string; callerIsA: boolean }
  | { op: 'pause' | 'resume'; br: number }
  | { op: 'monitor'; br: number; mon: number; sup: number; mode: MonitorMode; agentIsA: boolean }
  | { op: 'monitorMode'; mon: number; mode: MonitorMode }
  | { op: 'monitorStop'; mon: number }
  | { op: 'ping'; req: number }
  | { op: 'shutdown'; req: number };

export type Reply =
  | { reply: number; ok: true; localIp?: string; localPort?: number; recording?: RecordingResult | null }
  | { reply: number; ok: false; error: string; exhausted?: boolean };

export type WorkerEvent =
  | { ev: 'dtmf'; ep: number; digit: string; ms: number }
  | { ev: 'bridgeDtmf'; br: number; side: 'a' | 'b'; digit: string; ms: number }
  /** The worker's recording of a bridge did not start (file unopenable there): the proxy's state goes 'off'. */
  | { ev: 'recordingFailed'; br: number }
  /** A monitor ended in the worker (its call left the bridge it joined). */
  | { ev: 'monitorEnded'; mon: number };

export type FromWorker = Reply | WorkerEvent;
