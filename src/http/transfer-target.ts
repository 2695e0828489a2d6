import type { TransferTarget } from '../context.js';
import { DomainError } from '../errors.js';

/** A transfer request's body as the native API and the console take it: exactly one destination. */
export interface TransferBodyFields {
  agent_id?: number;
  extension?: string;
  number?: string;
  queue_id?: number;
}

/** The one destination a transfer body names (the native calls API and the console's live-call actions). */
export function transferTargetOf(b: TransferBodyFields): TransferTarget {
  const given = [b.agent_id, b.extension, b.number, b.queue_id].filter((x) => x !== undefined).length;
  if (given !== 1)
    throw new DomainError('INVALID_INPUT', 'give exactly one of agent_id, extension, number, queue_id');
  if (b.queue_id !== undefined) return { kind: 'queue', queueId: b.queue_id };
  if (b.agent_id !== undefined) return { kind: 'agent', agentId: b.agent_id };
  if (b.extension !== undefined) return { kind: 'extension', extension: b.extension };
  return { kind: 'number', number: b.number!.replace(/[\s\-().]/g, '') };
}
