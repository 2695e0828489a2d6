/**
 * A call's transfer history (docs/calls.md "Transfer history"): one entry per transfer, kept on the live call and
 * written on its record (`calls.transfers`, JSON) when the call ends, so `GET /api/calls/{id}` lists them for ended
 * calls too.
 */

/** Who asked for the transfer: the native API (or the console), the agent's phone by REFER, or REFER with Replaces. */
export type TransferBy = 'api' | 'refer' | 'attended';

/**
 * How it stands: `ringing` (an agent's or number's phone rings), `queued` (the caller waits in the target queue),
 * `done` (the new side took the caller), `failed` (nobody did: the call went back to the agent, or ended).
 */
export type TransferOutcome = 'ringing' | 'queued' | 'done' | 'failed';

export interface TransferEntry {
  /** When it was asked (epoch ms). */
  at: number;
  /** The agent who had the call (null: no agent). */
  fromAgentId: number | null;
  toKind: 'agent' | 'queue' | 'number';
  /** The agent named (kind agent), or the queue's agent who answered (kind queue, once answered). */
  toAgentId: number | null;
  toQueueId: number | null;
  toNumber: string | null;
  /** A readable label (`agent 1002`, `queue 3`, a number). */
  to: string;
  by: TransferBy;
  outcome: TransferOutcome;
  /** The SIP status of a failure (the new side's, or 487 when the caller left first). */
  status: number | null;
  /** When it was settled (done or failed), epoch ms. */
  settledAt: number | null;
}

/** The JSON column's form (snake_case, as the native API returns it). */
export function storedTransfers(list: readonly TransferEntry[]): string | null {
  return list.length === 0 ? null : JSON.stringify(list.map(transferWire));
}

/** One entry as the native API returns it. */
export function transferWire(t: TransferEntry) {
  return {
    at: t.at,
    from_agent_id: t.fromAgentId,
    to_kind: t.toKind,
    to_agent_id: t.toAgentId,
    to_queue_id: t.toQueueId,
    to_number: t.toNumber,
    to: t.to,
    by: t.by,
    outcome: t.outcome,
    status: t.status,
    settled_at: t.settledAt,
  };
}

export type TransferWire = ReturnType<typeof transferWire>;

/** `calls.transfers` read back; anything unparsable reads as no transfers. */
export function parseStoredTransfers(raw: string | null): TransferWire[] {
  if (!raw) return [];
  try {
    const v: unknown = JSON.parse(raw);
    return Array.isArray(v) ? (v.filter((x) => x && typeof x === 'object') as TransferWire[]) : [];
  } catch {
    return [];
  }
}
