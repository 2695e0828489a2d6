// Helpers shared by the ACD tests and the benchmark: a queue config with sensible defaults and a
// rig that drives an Acd on a FakeClock and keeps every decision it made.
import { FakeClock } from '../clock.js';
import { Acd } from './engine.js';
import type { AcdDecision, AcdInput, Presence, QueueConfig } from './types.js';

/** The tenant every test queue and agent belongs to. */
export const TENANT = 20260310;

/** A queue config: normal, longest-idle, no limits, no wrap-up, 20 s ring timeout. */
export function queueConfig(over: Partial<QueueConfig> = {}): QueueConfig {
  return {
    id: 1,
    tenantId: TENANT,
    managementType: 1,
    selector: 'longest-idle',
    maxWaitSec: null,
    announcePosition: false,
    announceIntervalSec: 30,
    wrapupSec: 0,
    ringTimeoutSec: 20,
    maxNoAnswer: 0,
    serviceLevelSec: 20,
    overflowTarget: null,
    divertTarget: null,
    members: [],
    ...over,
  };
}

/** Members 1..n (or the given ids) at one priority. */
export function members(ids: number[], priority = 1): QueueConfig['members'] {
  return ids.map((agentId) => ({ agentId, priority }));
}

/** An Acd on a FakeClock plus conveniences to feed it. */
export class Rig {
  readonly clock = new FakeClock();
  readonly acd: Acd;
  readonly log: AcdDecision[] = [];

  constructor(random?: () => number) {
    this.acd = new Acd(this.clock, random ? { random } : {});
  }

  send(input: AcdInput): AcdDecision[] {
    const out = this.acd.handle(input);
    this.log.push(...out);
    return out;
  }

  queue(over: Partial<QueueConfig> = {}): AcdDecision[] {
    return this.send({ type: 'queue_config', queue: queueConfig(over) });
  }

  presence(agentIds: number[], presence: Presence = 'ready', tenantId = TENANT): AcdDecision[] {
    return agentIds.flatMap((agentId) =>
      this.send({ type: 'agent_availability', tenantId, agentId, presence }),
    );
  }

  call(callId: string, queueId = 1, callerNumber = '0900000000', priority?: number): AcdDecision[] {
    return this.send({
      type: 'call_entered',
      callId,
      tenantId: TENANT,
      queueId,
      callerNumber,
      ...(priority === undefined ? {} : { priority }),
    });
  }

  /** Moves the clock and fires whatever became due. */
  advance(sec: number): AcdDecision[] {
    this.clock.advance(sec * 1000);
    const out = this.acd.tick();
    this.log.push(...out);
    return out;
  }

  /** Answers `callId` by `agentId`, then ends the call after `talkSec`. */
  talk(callId: string, agentId: number, talkSec: number): AcdDecision[] {
    const out = this.send({ type: 'agent_answered', callId, agentId });
    this.clock.advance(talkSec * 1000);
    return [...out, ...this.send({ type: 'call_ended', callId })];
  }
}

/** The offers among `decisions` as [callId, agentIds]. */
export function offers(decisions: AcdDecision[]): [string, number[]][] {
  return decisions.flatMap((d) => (d.type === 'offer' ? [[d.callId, d.agentIds] as [string, number[]]] : []));
}

/** The decisions of one type. */
export function ofType<T extends AcdDecision['type']>(
  decisions: AcdDecision[],
  type: T,
): Extract<AcdDecision, { type: T }>[] {
  return decisions.filter((d): d is Extract<AcdDecision, { type: T }> => d.type === type);
}
