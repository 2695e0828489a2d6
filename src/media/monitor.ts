/**
 * A supervisor on a bridged call, mixed in the media engine. The caller (side A) and the agent (side B) keep
 * their relay wherever a leg hears only the other one; every leg that hears two parties gets a mix produced on
 * the one media clock: decoded, summed with saturation, encoded in that leg's law.
 *
 *   listen:  supervisor hears caller + agent; the supervisor's audio is discarded on arrival (muted server-side)
 *   whisper: supervisor hears caller + agent; agent hears caller + supervisor; the caller hears the agent only
 *   barge:   everyone hears the other two
 *
 * The recorder taps only the caller's and the agent's legs, so a recording never contains the supervisor.
 */
import type { Endpoint } from './endpoint.js';
import { FRAME_SAMPLES, SampleQueue, mixFrame } from './mixer.js';
import type { MediaClock, Ticker } from './scheduler.js';

export type MonitorMode = 'listen' | 'whisper' | 'barge';
export const MONITOR_MODES: readonly MonitorMode[] = ['listen', 'whisper', 'barge'];

/** A supervisor's leg on a bridged call; `setMode` switches mid-call, `stop` leaves the call as it was. */
export interface MonitorHandle {
  readonly mode: MonitorMode;
  readonly active: boolean;
  setMode(mode: MonitorMode): void;
  stop(): void;
}

export class MonitorMix implements Ticker, MonitorHandle {
  private current: MonitorMode;
  private stopped = false;
  private readonly inC = new SampleQueue();
  private readonly inA = new SampleQueue();
  private readonly inS = new SampleQueue();
  private readonly c = new Int16Array(FRAME_SAMPLES);
  private readonly a = new Int16Array(FRAME_SAMPLES);
  private readonly s = new Int16Array(FRAME_SAMPLES);
  private readonly scratch = new Int16Array(FRAME_SAMPLES);
  private readonly out = new Uint8Array(FRAME_SAMPLES);

  constructor(
    private readonly clock: MediaClock,
    private readonly caller: Endpoint,
    private readonly agent: Endpoint,
    private readonly supervisor: Endpoint,
    mode: MonitorMode,
    /** Whether the caller and agent are still in the bridge this monitor joined (a transfer moves them on). */
    private readonly stillBridged: () => boolean,
    private readonly onStop: () => void,
  ) {
    this.current = mode;
    supervisor.stopLocal();
    supervisor.startMixing();
    caller.mixIn = (law, p) => this.inC.push(law, p.payload);
    agent.mixIn = (law, p) => this.inA.push(law, p.payload);
    this.apply();
    clock.add(this);
  }

  get mode(): MonitorMode {
    return this.current;
  }

  get active(): boolean {
    return !this.stopped;
  }

  setMode(mode: MonitorMode): void {
    if (this.stopped || mode === this.current) return;
    this.current = mode;
    this.apply();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.delete(this);
    this.caller.mixIn = null;
    this.agent.mixIn = null;
    this.supervisor.mixIn = null;
    this.caller.stopMixing();
    this.agent.stopMixing();
    this.supervisor.stopMixing();
    this.onStop();
  }

  /** Who hears a mix in the current mode, and whether the supervisor's audio is taken at all. */
  private apply(): void {
    const m = this.current;
    if (m === 'listen') {
      // Muted here, not by trusting the phone: whatever it sends never reaches a queue.
      this.supervisor.mixIn = null;
      this.inS.clear();
    } else this.supervisor.mixIn = (law, p) => this.inS.push(law, p.payload);
    if (m === 'listen') this.agent.stopMixing();
    else this.agent.startMixing();
    if (m === 'barge') this.caller.startMixing();
    else this.caller.stopMixing();
  }

  tick(frame: number): void {
    if (!this.stillBridged()) return this.stop();
    this.inC.take(this.c);
    this.inA.take(this.a);
    const sup = this.current !== 'listen' && this.inS.take(this.s);
    this.send(this.supervisor, frame, [this.c, this.a]);
    if (this.current !== 'listen') this.send(this.agent, frame, sup ? [this.c, this.s] : [this.c]);
    if (this.current === 'barge') this.send(this.caller, frame, sup ? [this.a, this.s] : [this.a]);
  }

  private send(to: Endpoint, frame: number, inputs: Int16Array[]): void {
    const law = to.remote?.codec;
    if (!law) return;
    to.sendMixed(frame, mixFrame(law, inputs, this.scratch, this.out));
  }
}
