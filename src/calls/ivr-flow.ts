import type { Logger } from 'pino';
import type { Clock, Timer } from '../clock.js';
import type { IvrStore, RunnableFlow } from '../domain/call-store.js';
import {
  type FlowEnv,
  type IvrAction,
  type RouteTarget,
  type Step,
  startFlow,
  stepFlow,
} from '../ivr/interpreter.js';
import type { IvrEvent, IvrState } from '../ivr/interpreter.js';
import type { Flow } from '../ivr/schema.js';
import type { LocationService } from '../sip/location.js';
import type { CallbackFlow } from './callback-flow.js';
import type { DialTarget } from './dialer.js';
import { type DirectDeps, connectDirect } from './direct.js';
import type { Incoming } from './engine.js';
import type { QueueFlow } from './queue-flow.js';
import type { Routing } from './routing.js';
import { externalTarget, phoneTargets } from './targets.js';
import type { Voicemails } from './voicemail.js';

/** What an IVR call uses: its flow and directory reads, the queue flow, direct legs, routing, the clock. */
export interface IvrFlowDeps {
  store: Pick<IvrStore, 'ivrFlow' | 'ivrDirectory'>;
  queues: Pick<QueueFlow, 'enter'>;
  /** Voicemail branches (absent: the branch hangs up, saying so in the record's reason). */
  voicemails?: Pick<Voicemails, 'take'>;
  /** Queued callback for a menu's callback branch (absent: the branch waits in its queue like a caller). */
  callbacks?: Pick<CallbackFlow, 'accepts' | 'requestNew'>;
  direct: DirectDeps;
  routing: Pick<Routing, 'agentDestination' | 'outboundTrunk' | 'tenant'>;
  location: Pick<LocationService, 'lookup'>;
  /** The file a prompt of the flow plays for the tenant (src/prompts/files.ts). */
  promptFile(tenantId: number, lang: Flow['language'], prompt: string): string;
  /** tongdai's SIP host:port (the From of legs it rings). */
  hostport(): string;
  clock: Clock;
  logger: Logger;
}

const HANGUP_REASON: Record<Extract<IvrAction, { type: 'hangup' }>['reason'], string> = {
  flow: 'IVR: the flow hung up',
  retries: 'IVR: no valid input',
  error: 'IVR: error branch',
};

/**
 * Inbound calls to a number with an IVR flow: the caller is answered, the pure stepper (src/ivr/interpreter.ts)
 * says what to play and collect, and its route action hands the call to the queue flow or rings a destination.
 */
export class IvrFlows {
  constructor(private readonly d: IvrFlowDeps) {}

  /** A caller reached a number pointing to flow `flowId`: its current version runs for the whole call. */
  async enter(inc: Incoming, flowId: number): Promise<void> {
    const { call } = inc;
    const run = await this.d.store.ivrFlow(call.tenantId, flowId);
    if (call.ended) return;
    if (!run) {
      return call.end('UNALLOCATED_NUMBER', 'system', { reason: `IVR flow ${flowId} no longer exists` });
    }
    if (!call.enterIvr()) return;
    inc.session.answer(inc.answerSdp);
    this.d.logger.info({ callId: call.callId, flowId, version: run.version }, 'call entered an IVR flow');
    new IvrCall(this.d, inc, run).start();
  }
}

/** One caller in one flow: the stepper's state, the collect timer, and events fed one at a time. */
class IvrCall {
  private state?: IvrState;
  private timer?: Timer;
  private chain: Promise<void> = Promise.resolve();
  /** Digits pressed and not yet stepped. */
  private digitsQueued = 0;
  /** True while a prompt the caller may interrupt plays (one followed by a collect). */
  private bargeable = false;

  constructor(
    private readonly d: IvrFlowDeps,
    private readonly inc: Incoming,
    private readonly run: RunnableFlow,
  ) {}

  start(): void {
    const { call } = this.inc;
    call.onEnd(() => this.d.clock.clearTimeout(this.timer));
    call.listenDigits((digit) => this.digit(digit));
    this.enqueue((env) => startFlow(this.run.flow, env));
  }

  /** Barge-in: a digit cuts short a prompt that asks for input, and the step after it acts on the digit at once. */
  private digit(digit: string): void {
    this.digitsQueued++;
    if (this.bargeable) {
      this.bargeable = false;
      this.inc.side.media.endpoint.stopPrompt();
    }
    this.enqueue((env) => {
      this.digitsQueued--;
      return this.state ? stepFlow(this.run.flow, this.state, { type: 'digit', digit }, env) : null;
    });
  }

  private feed(event: IvrEvent): void {
    this.enqueue((env) => (this.state ? stepFlow(this.run.flow, this.state, event, env) : null));
  }

  /**
   * Steps run one after another: a digit waits for the step before it to finish (a prompt that asks for input is
   * cut short by it, see `digit`; any other prompt plays to its end first).
   */
  private enqueue(next: (env: FlowEnv) => Step | null): void {
    this.chain = this.chain
      .then(() => this.step(next))
      .catch((err: unknown) => {
        this.d.logger.error({ err, callId: this.inc.call.callId }, 'IVR step failed');
        this.inc.call.end('NORMAL_TEMPORARY_FAILURE', 'system', { reason: 'IVR: internal error' });
      });
  }

  private async step(next: (env: FlowEnv) => Step | null): Promise<void> {
    const { call } = this.inc;
    if (call.ended || this.state?.waiting === 'done') return;
    const dir = await this.d.store.ivrDirectory(call.tenantId);
    if (call.ended) return;
    const queues = new Set(dir.queueIds);
    const agents = new Set(dir.agentIds);
    const extensions = new Set(dir.extensions);
    const step = next({
      clock: this.d.clock,
      directory: {
        queueExists: (id) => queues.has(id),
        agentExists: (id) => agents.has(id),
        extensionExists: (ext) => extensions.has(ext),
      },
    });
    if (!step || (step.actions.length === 0 && step.state === this.state)) return;
    this.d.clock.clearTimeout(this.timer);
    this.state = step.state;
    await this.carryOut(step.actions);
  }

  private async carryOut(actions: IvrAction[]): Promise<void> {
    const { call } = this.inc;
    let played = false;
    const asks = actions.some((a) => a.type === 'collect');
    for (const a of actions) {
      if (call.ended) return;
      switch (a.type) {
        case 'play':
          played = true;
          // A digit already pressed answers the question: the rest of the prompt is not played.
          if (asks && this.digitsQueued > 0) break;
          this.bargeable = asks;
          await this.play(a.prompts, a.language);
          this.bargeable = false;
          break;
        case 'collect':
          this.timer = this.d.clock.setTimeout(() => this.feed({ type: 'timeout' }), a.timeoutMs);
          break;
        case 'route':
          // Callback and voicemail branches may end the call in the flow: they leave it on their own.
          if (a.target.kind !== 'callback' && a.target.kind !== 'voicemail') call.leaveIvr();
          return this.route(a.target);
        case 'hangup':
          // Every way out of the flow says goodbye, unless the branch already said something.
          if (!played) await this.play(['goodbye'], this.run.flow.language);
          if (!call.ended) call.end('NORMAL_CLEARING', 'system', { reason: HANGUP_REASON[a.reason] });
          return;
      }
    }
    if (this.state?.waiting === 'played' && !call.ended) this.feed({ type: 'played' });
  }

  private play(prompts: string[], lang: Flow['language']): Promise<void> {
    const files = prompts.map((p) => this.d.promptFile(this.inc.call.tenantId, lang, p));
    return this.inc.side.media.endpoint.playPrompt(files);
  }

  private async route(t: RouteTarget): Promise<void> {
    const { call } = this.inc;
    const caller = call.record.start.callerNumber;
    switch (t.kind) {
      case 'queue':
        return this.d.queues.enter(this.inc, t.queueId, caller, t.skills);
      case 'callback':
        return this.callback(t.queueId);
      case 'agent':
        return this.ring(phoneTargets(this.d.location.lookup(call.tenantId, t.agentId)), t.agentId);
      case 'extension': {
        const dest = await this.d.routing.agentDestination(call.tenantId, t.extension);
        if (dest.kind !== 'extension') return this.unreachable(`extension ${t.extension}`);
        return this.ring(phoneTargets(this.d.location.lookup(call.tenantId, dest.agent.id)), dest.agent.id);
      }
      case 'external': {
        const tenant = await this.d.routing.tenant(call.tenantId);
        if (!tenant) return this.unreachable(t.number);
        const out = await externalTarget(this.d.routing, tenant, t.number);
        if ('refusal' in out) {
          return call.end(out.refusal.cause, 'system', {
            sipCode: out.refusal.status,
            reason: `IVR: ${out.refusal.reason}`,
          });
        }
        return this.ring([out.target], null);
      }
      case 'voicemail': {
        if (!this.d.voicemails) {
          return call.end('NORMAL_CLEARING', 'system', { reason: 'IVR: voicemail is not available' });
        }
        // The caller stays in the flow (a voicemail is `IVR` in histories); digits now go to the recording.
        const endpoint = this.inc.side.media.endpoint;
        return this.d.voicemails.take(call, {
          mailbox: t.mailbox,
          maxSec: t.maxSec,
          play: (files) => endpoint.playPrompt(files),
          goodbye: () => this.play(['goodbye'], this.run.flow.language),
        });
      }
    }
  }

  /**
   * A menu's callback branch: a number the tenant's destination rules bar hears `callback-refused` and waits in
   * the queue instead; otherwise the callback enters the queue, the caller hears the confirmation and is hung up.
   */
  private async callback(queueId: number): Promise<void> {
    const { call } = this.inc;
    const start = call.record.start;
    const cbs = this.d.callbacks;
    const lang = this.run.flow.language;
    if (!cbs || !(await cbs.accepts(call.tenantId, start.callerNumber))) {
      if (cbs) await this.play(['callback-refused'], lang);
      if (call.ended) return;
      call.leaveIvr();
      return this.d.queues.enter(this.inc, queueId, start.callerNumber);
    }
    if (call.ended) return;
    call.listenDigits(null);
    await cbs.requestNew({
      tenantId: call.tenantId,
      queueId,
      number: start.callerNumber,
      callId: call.callId,
      didNumber: start.didNumber ?? start.calleeNumber,
    });
    await this.play(['callback-confirmed'], lang);
    if (!call.ended) call.end('NORMAL_CLEARING', 'system', { reason: 'IVR: callback requested' });
  }

  private ring(targets: DialTarget[], agentId: number | null): Promise<void> {
    const caller = this.inc.call.record.start.callerNumber;
    return connectDirect(this.d.direct, this.inc, {
      from: `"${caller}" <sip:${caller}@${this.d.hostport()}>`,
      targets,
      calleeAgentId: agentId,
    });
  }

  private unreachable(what: string): void {
    this.inc.call.end('UNALLOCATED_NUMBER', 'system', { reason: `IVR: ${what} is not reachable` });
  }
}
