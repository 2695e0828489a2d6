import { type HistoryEntry, queueFigures } from '../../domain/call-history.js';

const unix = (ms: number | null): number | null => (ms === null ? null : Math.floor(ms / 1000));

function status(e: HistoryEntry): 'waiting' | 'handled' | 'processed' | 'abandoned' {
  const c = e.call;
  if (c.answered_at === null) return c.ended_at === null ? 'waiting' : 'abandoned';
  return c.ended_at === null ? 'handled' : 'processed';
}

/**
 * The seed's `queue_stat` item, built from the call record and whatever statistics the ACD stored with it, so the
 * wire shape does not depend on which engine version wrote the row. Empty for calls that never entered a queue.
 */
export function queueStatView(e: HistoryEntry, accountId: string): Record<string, unknown>[] {
  const c = e.call;
  if (c.queue_id === null && e.queueStats.length === 0) return [];
  const f = queueFigures(e.queueStats[0]);
  const st = status(e);
  const wait =
    f.waitSec ??
    Math.max(0, Math.round(((c.answered_at ?? c.ended_at ?? c.created_at) - c.created_at) / 1000));
  const hungUpBy = f.hungUpBy ?? c.hangup_by;
  return [
    {
      _id: String(c.id),
      call_id: c.call_id,
      queue_id: c.queue_id === null ? null : String(c.queue_id),
      __v: 0,
      org: accountId,
      wait_time: wait,
      caller_id_number: c.caller_number,
      caller_id_name: c.caller_number,
      status: st,
      entered_timestamp: unix(c.created_at),
      handled_timestamp: unix(c.answered_at),
      processed_timestamp: st === 'processed' ? unix(c.ended_at) : null,
      agent_id: e.agent?.uid ?? null,
      username: e.agent?.username ?? null,
      talk_time: c.answered_at === null ? 0 : (f.talkSec ?? c.billing_sec ?? 0),
      hung_up_by: hungUpBy,
      end_call_reason: f.endReason ?? (hungUpBy ? `${hungUpBy}_hungup` : null),
      misses: e.misses.map((m) => ({
        agent_id: m.agent?.uid ?? null,
        username: m.agent?.username ?? null,
        timestamp: unix(m.at),
        reason: m.reason,
      })),
    },
  ];
}
