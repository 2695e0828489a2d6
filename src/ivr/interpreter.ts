/**
 * The IVR stepper: pure. Given a validated flow, the caller's state and an event (a digit, a collect
 * timeout, the end of a playback), it returns the new state and what the call should do next. The call
 * engine carries the actions out and feeds the results back; time comes from the injected clock.
 */
import type { Clock } from '../clock.js';
import { hoursBranch } from './hours.js';
import type { SkillRequirement } from '../acd/types.js';
import type { Action, Flow, MenuNode } from './schema.js';

/** What the flow may route to, looked up when the branch is taken (a queue may be deleted since). */
export interface FlowDirectory {
  queueExists(queueId: number): boolean;
  agentExists(agentId: number): boolean;
  extensionExists(extension: string): boolean;
}

export interface FlowEnv {
  clock: Clock;
  directory: FlowDirectory;
}

export type RouteTarget =
  /** `skills`: what the branch requires on top of the queue's own (docs/acd.md, Skills). */
  | { kind: 'queue'; queueId: number; skills?: SkillRequirement[] }
  | { kind: 'agent'; agentId: number }
  | { kind: 'extension'; extension: string }
  | { kind: 'external'; number: string }
  | { kind: 'callback'; queueId: number }
  | { kind: 'voicemail'; mailbox: string | null; maxSec: number };

export type IvrAction =
  | { type: 'play'; prompts: string[]; language: Flow['language'] }
  | { type: 'collect'; timeoutMs: number; digits: string[] }
  | { type: 'route'; target: RouteTarget }
  | { type: 'hangup'; reason: 'flow' | 'retries' | 'error' };

export type IvrEvent = { type: 'digit'; digit: string } | { type: 'timeout' } | { type: 'played' };

export interface IvrState {
  node: string;
  /** Invalid or missing inputs at the current menu so far. */
  retries: number;
  /** What the stepper waits for; `done` once the call left the flow. */
  waiting: 'collect' | 'played' | 'done';
}

export interface Step {
  state: IvrState;
  actions: IvrAction[];
}

const DEFAULT_TIMEOUT_SEC = 5;
/** The longest voicemail when the branch says nothing. */
export const VOICEMAIL_MAX_SEC = 120;
const DEFAULT_RETRIES = 2;
/** Bound on gotos and hours checks without caller input, so a flow that loops on itself cannot spin. */
const MAX_HOPS = 32;
const ERROR_ACTION: Action = { type: 'hangup', prompt: ['error'] };

/** The first step of a call entering the flow. */
export function startFlow(flow: Flow, env: FlowEnv): Step {
  return new Run(flow, env, { node: flow.start, retries: 0, waiting: 'played' }).enter(flow.start);
}

/** The next step after `event`; an event the state does not wait for changes nothing. */
export function stepFlow(flow: Flow, state: IvrState, event: IvrEvent, env: FlowEnv): Step {
  const run = new Run(flow, env, state);
  const node = flow.nodes[state.node];
  if (!node || state.waiting === 'done') return { state, actions: [] };
  if (state.waiting === 'played' && event.type === 'played' && node.type === 'play')
    return run.take(node.next);
  if (state.waiting === 'collect' && node.type === 'menu') {
    if (event.type === 'digit') {
      const chosen = node.options[event.digit as keyof MenuNode['options']];
      return chosen ? run.take(chosen) : run.retry(node, node.invalidPrompt ?? ['invalid']);
    }
    if (event.type === 'timeout') return run.retry(node, node.timeoutPrompt ?? ['no-input']);
  }
  return { state, actions: [] };
}

class Run {
  private readonly actions: IvrAction[] = [];
  private hops = 0;
  private inError = false;
  constructor(
    private readonly flow: Flow,
    private readonly env: FlowEnv,
    private state: IvrState,
  ) {}

  enter(name: string): Step {
    if (++this.hops > MAX_HOPS) return this.fail();
    const node = this.flow.nodes[name];
    if (!node) return this.fail();
    this.state = { node: name, retries: 0, waiting: 'played' };
    switch (node.type) {
      case 'menu':
        return this.menu(node, []);
      case 'play':
        this.play(node.prompt);
        return this.wait('played');
      case 'hours': {
        const branch = hoursBranch(node, this.env.clock.now(), this.flow.timezone);
        return this.take(branch === 'holiday' ? (node.holiday ?? node.closed) : node[branch]);
      }
    }
  }

  /** Invalid digit or no input: say so and ask again, or take the menu's failure branch. */
  retry(node: MenuNode, prompt: string[]): Step {
    const retries = this.state.retries + 1;
    if (retries > (node.maxRetries ?? DEFAULT_RETRIES)) {
      this.play(prompt);
      return this.take(node.onFail ?? { type: 'hangup', prompt: ['goodbye'] }, 'retries');
    }
    this.state = { ...this.state, retries };
    return this.menu(node, prompt);
  }

  take(action: Action, hangupReason: 'flow' | 'retries' = 'flow'): Step {
    this.play(action.prompt ?? []);
    switch (action.type) {
      case 'goto':
        this.state = { ...this.state, retries: 0 };
        return this.enter(action.node);
      case 'hangup':
        this.actions.push({ type: 'hangup', reason: this.inError ? 'error' : hangupReason });
        return this.wait('done');
      case 'queue':
        return this.route(
          { kind: 'queue', queueId: action.queueId, ...(action.skills ? { skills: action.skills } : {}) },
          this.env.directory.queueExists(action.queueId),
        );
      case 'callback':
        return this.route(
          { kind: 'callback', queueId: action.queueId },
          this.env.directory.queueExists(action.queueId),
        );
      case 'agent':
        return this.route(
          { kind: 'agent', agentId: action.agentId },
          this.env.directory.agentExists(action.agentId),
        );
      case 'extension':
        return this.route(
          { kind: 'extension', extension: action.extension },
          this.env.directory.extensionExists(action.extension),
        );
      case 'external':
        return this.route({ kind: 'external', number: action.number }, true);
      case 'voicemail':
        // The branch's prompt is its greeting; without one the caller hears the shipped `voicemail` sentence.
        if (!action.prompt?.length) this.play(['voicemail']);
        return this.route(
          { kind: 'voicemail', mailbox: action.mailbox ?? null, maxSec: action.maxSec ?? VOICEMAIL_MAX_SEC },
          true,
        );
    }
  }

  private menu(node: MenuNode, before: string[]): Step {
    this.play([...before, ...node.prompt]);
    const timeoutMs = (node.timeoutSec ?? DEFAULT_TIMEOUT_SEC) * 1000;
    this.actions.push({ type: 'collect', timeoutMs, digits: Object.keys(node.options) });
    return this.wait('collect');
  }

  private route(target: RouteTarget, exists: boolean): Step {
    if (!exists) return this.fail();
    this.actions.push({ type: 'route', target });
    return this.wait('done');
  }

  /** A branch that cannot be taken (deleted target, runaway loop): the flow's error branch, once. */
  private fail(): Step {
    if (this.inError) {
      this.play(['error']);
      this.actions.push({ type: 'hangup', reason: 'error' });
      return this.wait('done');
    }
    this.inError = true;
    this.hops = 0;
    return this.take(this.flow.onError ?? ERROR_ACTION);
  }

  private play(prompts: string[]): void {
    if (prompts.length > 0) this.actions.push({ type: 'play', prompts, language: this.flow.language });
  }

  private wait(waiting: IvrState['waiting']): Step {
    this.state = { ...this.state, waiting };
    return { state: this.state, actions: this.actions };
  }
}
