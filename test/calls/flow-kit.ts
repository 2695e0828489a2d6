import pino from 'pino';
import { AcdDriver } from '../../src/calls/acd-driver.js';
import { Call, type Side } from '../../src/calls/call.js';
import type { DialBDeps } from '../../src/calls/dial-b.js';
import type { CalleeLeg, DialHandlers, DialTarget, Dialing } from '../../src/calls/dialer.js';
import { CallCore } from '../../src/calls/engine.js';
import { CallLimits } from '../../src/calls/limits.js';
import { MediaLeg } from '../../src/calls/media-leg.js';
import { CallRecord, type CallStart } from '../../src/calls/records.js';
import type { FakeClock } from '../../src/clock.js';
import type { AcdSetup, CallEndWrite, CallStore, RunnableFlow } from '../../src/domain/call-store.js';
import { type Envelope, EventBus } from '../../src/domain/events.js';
import type { AgentStatusView } from '../../src/domain/status-service.js';
import type { Bridge, MediaEngine, RtpEndpoint } from '../../src/media/engine.js';
import type { Binding } from '../../src/sip/location.js';
import type { InboundQueue } from '../../src/store/schema.js';

/**
 * Call flows without sockets: the SIP dialer, RTP endpoints and the store are in-memory stand-ins the test drives
 * by hand (answer fork i, fail it, hang it up), everything else (Call, dialB, QueueFlow, AcdDriver, the ACD) is the
 * real code on a FakeClock. The real-peer tests (test/sip/*.sipp) cover the same flows over SIP and RTP.
 */

export class FakeEndpoint implements RtpEndpoint {
  readonly localIp = '127.0.0.1';
  readonly localPort = 40000;
  moh: string | null = null;
  mohStarts = 0;
  closed = false;
  setRemote(): void {}
  startMoh(wavPath?: string): void {
    this.moh = wavPath ?? 'default';
    this.mohStarts++;
  }
  stopMoh(): void {
    this.moh = null;
  }
  /** Every playPrompt's files, in order; `played` resolves the playback now running (instant by default). */
  readonly prompts: string[][] = [];
  holdPrompts = false;
  private pending: (() => void)[] = [];
  dtmf: ((digit: string, durationMs: number) => void) | null = null;
  playPrompt(files: string[] = []): Promise<void> {
    this.prompts.push(files);
    if (!this.holdPrompts) return Promise.resolve();
    return new Promise((r) => this.pending.push(r));
  }
  /** Finish the playback now held (holdPrompts). */
  played(): void {
    for (const r of this.pending.splice(0)) r();
  }
  /** How many playbacks were cut short (stopPrompt while one was held). */
  stopped = 0;
  stopPrompt(): void {
    if (this.pending.length > 0) this.stopped++;
    this.played();
  }
  onDtmf(l: ((digit: string, durationMs: number) => void) | null): void {
    this.dtmf = l;
  }
  /** recordInbound's files, and whether each was stopped (its duration is the fake clock's span). */
  readonly recordings: { path: string; stopped: boolean }[] = [];
  recordInbound(path: string) {
    const r = { path, stopped: false };
    this.recordings.push(r);
    return {
      stop: () => {
        r.stopped = true;
        return Promise.resolve({ path, durationMs: 1000, sizeBytes: 8044, pauses: [] });
      },
    };
  }
  /** The caller presses a key (an RFC 4733 event on this leg). */
  press(digit: string): void {
    this.dtmf?.(digit, 100);
  }
  stats() {
    return { packetsIn: 0, packetsOut: 0, bytesIn: 0, bytesOut: 0, lastPacketAt: null };
  }
  close(): void {
    this.closed = true;
  }
  // The flows are plain RTP here; WebRTC legs are covered by test/media/webrtc.test.ts and the console's browser test.
  answerWebRtc(): Promise<string> {
    return Promise.reject(new Error('no WebRTC in the flow kit'));
  }
  offerWebRtc(): Promise<never> {
    return Promise.reject(new Error('no WebRTC in the flow kit'));
  }
  webRtcSdp(): null {
    return null;
  }
}

/** The media engine's bridge as calls see it: bridges are counted; bridging stops what either leg played. */
export class FakeMedia implements Pick<MediaEngine, 'bridge' | 'allocate'> {
  readonly bridges: { a: RtpEndpoint; b: RtpEndpoint; stopped: boolean }[] = [];
  allocate(): Promise<RtpEndpoint> {
    return Promise.resolve(new FakeEndpoint());
  }
  bridge(a: RtpEndpoint, b: RtpEndpoint): Bridge {
    a.stopMoh();
    b.stopMoh();
    const entry = { a, b, stopped: false };
    this.bridges.push(entry);
    return {
      stop: () => {
        entry.stopped = true;
        return Promise.resolve({});
      },
      recordingState: 'off',
      recordingPositionMs: null,
      record: () => false,
      pauseRecording: () => false,
      resumeRecording: () => false,
      monitor: () => null,
      monitoring: null,
    };
  }
}

/** One outgoing attempt the test answers, fails or hangs up. */
export class FakeAttempt implements Dialing {
  cancelled = 0;
  readonly byes: number[] = [];
  readonly media: MediaLeg;
  private leg?: CalleeLeg;

  constructor(
    readonly targets: DialTarget[],
    readonly from: string,
    readonly h: DialHandlers,
    media: MediaLeg | undefined,
  ) {
    this.media = media ?? new MediaLeg(new FakeEndpoint());
  }

  cancel(): void {
    this.cancelled++;
  }

  ringing(): void {
    this.h.onRinging?.();
  }

  earlyMedia(): void {
    this.h.onEarlyMedia?.(this.media);
  }

  answer(): void {
    const session = { bye: () => this.byes.push(1) } as unknown as CalleeLeg['session'];
    this.leg = { session, media: this.media };
    this.h.onAnswer(this.leg);
  }

  fail(status: number): void {
    this.h.onFail(status, 'test');
  }

  /** The answered leg hangs up (a BYE from the phone). */
  bye(): void {
    this.h.onHangup();
  }
}

export class FakeDialer {
  readonly attempts: FakeAttempt[] = [];
  dial(targets: DialTarget[], from: string, h: DialHandlers, media?: MediaLeg): Promise<Dialing> {
    const a = new FakeAttempt(targets, from, h, media);
    this.attempts.push(a);
    return Promise.resolve(a);
  }
  get last(): FakeAttempt {
    return this.attempts.at(-1)!;
  }
}

/** An in-memory CallStore: record writes are kept per call id; the ACD sees one queue with agents 7 and 8. */
export class MemoryStore implements CallStore {
  readonly rows = new Map<
    string,
    { tenantId: number; answeredAt: number | null; agentId?: number | null; end: CallEndWrite | null }
  >();
  readonly setup: AcdSetup;

  constructor(queue: Partial<InboundQueue> = {}) {
    const q: InboundQueue = {
      id: 4,
      tenant_id: 1,
      name: 'Support',
      management_type: 1,
      agent_selector: null,
      moh_file: null,
      max_wait_sec: null,
      announce_position: 0,
      announce_interval_sec: 60,
      wrapup_sec: 0,
      ring_timeout_sec: 15,
      max_no_answer: 0,
      service_level_sec: 20,
      overflow_target: null,
      divert_target: null,
      record_calls: 0,
      created_at: 0,
      ...queue,
    } as InboundQueue;
    this.setup = {
      queues: [
        {
          queue: q,
          members: [
            { agentId: 7, priority: 1 },
            { agentId: 8, priority: 2 },
          ],
        },
      ],
      vip: [],
      blacklist: [],
      skills: { agents: new Map(), queues: new Map(), skillIds: new Set() },
    };
  }

  insertCall = (tenantId: number, c: { callId: string }) => {
    this.rows.set(c.callId, { tenantId, answeredAt: null, end: null });
    return Promise.resolve();
  };
  markAnswered = (_t: number, callId: string, at: number, agentId: number | null) => {
    this.rows.get(callId)!.answeredAt = at;
    this.rows.get(callId)!.agentId = agentId;
    return Promise.resolve();
  };
  markEnded = (_t: number, callId: string, e: CallEndWrite) => {
    this.rows.get(callId)!.end = e;
    return Promise.resolve();
  };
  openCalls = () => Promise.resolve([]);
  closeOpenCall = () => Promise.resolve(false);
  registerNode = () => Promise.resolve();
  touchNode = () => Promise.resolve(true);
  advertiseNode = () => Promise.resolve();
  removeNode = () => Promise.resolve();
  liveNodeIds = () => Promise.resolve(new Set<string>());
  pruneNodes = () => Promise.resolve(0);
  openCallOwners = () => Promise.resolve([]);
  trunks = () => Promise.resolve([]);
  firstTrunk = () => Promise.resolve(undefined);
  numberTarget = () => Promise.resolve(undefined);
  tenant = () => Promise.resolve(undefined);
  agentByExtension = () => Promise.resolve(undefined);
  agentById = () => Promise.resolve(undefined);
  calloutCallerIds = () => Promise.resolve([]);
  revision = () => Promise.resolve(1);
  acdSetup = () => Promise.resolve(this.setup);
  queueMoh = () => Promise.resolve(undefined);
  firstNotReadyStatus = () => Promise.resolve('Break');
  recordingWanted = () => Promise.resolve(false);
  openRecording = () => Promise.resolve({ id: 1, path: '/dev/null' });
  finishRecording = () => Promise.resolve();
  /** Voicemails saved, in order. */
  readonly voicemails: Parameters<CallStore['saveVoicemail']>[1][] = [];
  openVoicemail = (_t: number, callId: string) =>
    Promise.resolve({ id: 9, path: `/tmp/vm-${callId}.wav`, name: `${callId}.mp3` });
  saveVoicemail = (_t: number, v: Parameters<CallStore['saveVoicemail']>[1]) => {
    this.voicemails.push(v);
    return Promise.resolve(this.voicemails.length);
  };
  /** IVR flows by id (tests put theirs here); the directory is queue 4, agents 7 and 8 (extensions 1007/1008). */
  readonly flows = new Map<number, RunnableFlow>();
  ivrFlow = (_t: number, id: number) => Promise.resolve(this.flows.get(id));
  ivrDirectory = () => Promise.resolve({ queueIds: [4], agentIds: [7, 8], extensions: ['1007', '1008'] });
}

/** Agents' statuses as the call flows set them, in order. */
export class StepLog {
  readonly steps: string[] = [];
  set(_tenantId: number, agentId: number, step: string): Promise<void> {
    this.steps.push(`${agentId}:${step}`);
    return Promise.resolve();
  }
}

/** Let promise chains (async flows, record writes) run to the end. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
}

export interface Kit {
  clock: FakeClock;
  bus: EventBus;
  events: Envelope[];
  store: MemoryStore;
  media: FakeMedia;
  dialer: FakeDialer;
  follower: StepLog;
  legB: DialBDeps;
  core: CallCore;
  record(start?: Partial<CallStart>): CallRecord;
  /** A side A whose hang-ups are counted. */
  side(): Side & { hangups: number[] };
  call(start?: Partial<CallStart>): { call: Call; a: Side & { hangups: number[] } };
  /** The ACD driver: `ready` agents are ready, `offline` ones logged out, the others logged in but not ready. */
  driver(ready?: number[], offline?: number[]): AcdDriver;
  binding(agentId: number): Binding;
}

export function kit(clock: FakeClock, queue: Partial<InboundQueue> = {}): Kit {
  const bus = new EventBus();
  const events: Envelope[] = [];
  bus.subscribe((e) => events.push(e));
  const store = new MemoryStore(queue);
  const media = new FakeMedia();
  const dialer = new FakeDialer();
  const follower = new StepLog();
  const logger = pino({ level: 'silent' });
  const records = { store, bus, clock, logger };
  const legB: DialBDeps = { dialer, follower, record: () => Promise.resolve(), logger };
  const core = new CallCore({
    records,
    limits: new CallLimits(clock),
    media,
    // Only CallCore.incoming (an INVITE's side A) uses SIP; the flows under test get side A made by hand.
    stack: undefined as never,
    registry: undefined as never,
    clock,
    logger,
  });
  const start: CallStart = { tenantId: 1, direction: 'inbound', callerNumber: '0901', calleeNumber: '1900' };
  const side = () => {
    const s = {
      media: new MediaLeg(new FakeEndpoint()),
      hangups: [] as number[],
      answered: true,
      hangup(status?: number) {
        s.hangups.push(status ?? 0);
      },
    };
    return s;
  };
  return {
    clock,
    bus,
    events,
    store,
    media,
    dialer,
    follower,
    legB,
    core,
    record: (st = {}) => new CallRecord(records, { ...start, ...st }),
    side,
    call(st = {}) {
      const a = side();
      const call = new Call(media, new CallRecord(records, { ...start, ...st }), a, clock);
      core.track(call, () => undefined);
      return { call, a };
    },
    driver(ready = [7, 8], offline: number[] = []) {
      const presence = (id: number) =>
        ready.includes(id) ? 'ready' : offline.includes(id) ? 'offline' : 'not_ready';
      const statuses = {
        getStatuses: (_t: number, ids: readonly number[]) =>
          Promise.resolve(ids.map((id) => ({ id, presence: presence(id) }) as AgentStatusView)),
      };
      return new AcdDriver({ store, clock, bus, statuses, logger });
    },
    binding: (agentId) => ({
      tenantId: 1,
      agentId,
      contact: `sip:${1000 + agentId}@127.0.0.1:5070`,
      remote: { transport: 'udp', address: '127.0.0.1', port: 5070 },
      expiresAt: Number.MAX_SAFE_INTEGER,
      callId: `reg-${agentId}`,
      cseq: 1,
      userAgent: null,
    }),
  };
}
