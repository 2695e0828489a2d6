import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { DomainEvents, Envelope, EventBus, EventType } from '../domain/events.js';
import { type Db, inTransaction, precompile } from '../store/db.js';
import { enqueueWebhook } from './deliver.js';

/**
 * Domain events as webhook bodies (docs/webhooks.md "Event webhooks"): the wire names of each event type that
 * leaves tenant boundaries. Types without an entry (directory revisions: `agent.changed`, `queue.changed`) are
 * internal and never delivered.
 */
const TO_WIRE: { [K in EventType]?: (p: DomainEvents[K]) => Record<string, unknown> } = {
  'call.created': callData,
  'call.answered': callData,
  'call.ended': callData,
  'call.dtmf': (p) => ({
    call_id: p.callId,
    leg: p.leg,
    digit: p.digit,
    duration_ms: p.durationMs,
    at: p.at,
  }),
  'callback.requested': callbackData,
  'callback.offered': callbackData,
  'callback.retrying': callbackData,
  'callback.completed': callbackData,
  'callback.failed': callbackData,
  'voicemail.left': (p) => ({
    voicemail_id: p.voicemailId,
    call_id: p.callId,
    caller_number: p.callerNumber,
    mailbox: p.mailbox,
    duration_ms: p.durationMs,
    recording_name: p.recordingName,
    at: p.at,
  }),
  'call.transferred': (p) => ({
    call_id: p.callId,
    kind: p.kind,
    by: p.by,
    from_agent_id: p.fromAgentId,
    to_kind: p.toKind,
    to_agent_id: p.toAgentId,
    to_queue_id: p.toQueueId,
    to_number: p.toNumber,
    to: p.to,
    leg_call_id: p.legCallId,
    at: p.at,
  }),
  'agent.status_changed': (p) => ({
    agent_id: p.agentId,
    agent_uid: p.agentUid,
    extension: p.extension,
    previous: p.previous,
    current: p.current,
    changed_by: p.changedBy,
    at: p.at,
  }),
};

function callbackData(p: DomainEvents['callback.requested']): Record<string, unknown> {
  return {
    callback_id: p.callbackId,
    queue_id: p.queueId,
    number: p.number,
    call_id: p.callId,
    agent_id: p.agentId,
    attempts: p.attempts,
    outcome: p.outcome,
    at: p.at,
  };
}

function callData(p: DomainEvents['call.created']): Record<string, unknown> {
  return {
    call_id: p.callId,
    direction: p.direction,
    caller_number: p.callerNumber,
    destination_number: p.destinationNumber,
    did_number: p.didNumber,
    queue_id: p.queueId,
    agent_id: p.agentId,
    created_at: p.createdAt,
    answered_at: p.answeredAt,
    ended_at: p.endedAt,
    duration_sec: p.durationSec,
    hangup_cause: p.hangupCause,
    at: p.at,
  };
}

/** The event types a webhook endpoint can receive (the ones with a wire form above), in their listed order. */
export const WEBHOOK_EVENT_TYPES = Object.keys(TO_WIRE) as EventType[];

/** The webhook body of one domain event, or null for events that are never delivered. */
export function webhookBody(
  e: Envelope,
): { type: EventType; tenant_id: number; data: Record<string, unknown> } | null {
  const map = TO_WIRE[e.type] as ((p: unknown) => Record<string, unknown>) | undefined;
  return map ? { type: e.type, tenant_id: e.tenantId, data: map(e.payload) } : null;
}

/** Whether an endpoint's `events` list (`*`, `call.dtmf`, `call.*`, comma-separated) selects `type`. */
export function selects(events: string, type: string): boolean {
  return events
    .split(',')
    .map((x) => x.trim())
    .some((p) => p === '*' || p === type || (p.endsWith('.*') && type.startsWith(p.slice(0, -1))));
}

/**
 * Deliver domain events to the tenant's webhook endpoints: each event an endpoint subscribes to becomes one signed
 * `webhook.deliver` job in the outbox (signed with that endpoint's secret, retried like every webhook). Events are
 * published after their change committed, so the job is enqueued in its own transaction right after; receivers
 * order by `data.at` (jobs carry no ordering guarantee). Returns the detach function, which waits for enqueues
 * still under way.
 */
export function attachEventWebhooks(d: {
  db: Db;
  clock: Clock;
  bus: EventBus;
  logger: Logger;
}): () => Promise<void> {
  const pending = new Set<Promise<void>>();
  // A burst of events (a bulk status change publishes one per agent) shares one read of the tenant's endpoints.
  const reads = new Map<number, Promise<Endpoint[]>>();
  // Every call publishes several events: compiled once, and on SQLite read on the read-only connection.
  const activeEndpoints = precompile(
    d.db,
    (tenantId: number) =>
      d.db
        .selectFrom('webhook_endpoints')
        .select(['id', 'url', 'events'])
        .where('tenant_id', '=', tenantId)
        .where('active', '=', 1),
    ['number'],
  );
  const endpointsOf = (tenantId: number): Promise<Endpoint[]> => {
    let r = reads.get(tenantId);
    if (!r) {
      r = activeEndpoints(tenantId).finally(() => reads.delete(tenantId));
      reads.set(tenantId, r);
    }
    return r;
  };
  const unsubscribe = d.bus.subscribe((e) => {
    const body = webhookBody(e);
    if (!body) return;
    const job = enqueueFor(d, endpointsOf(e.tenantId), e.tenantId, body)
      .catch((err: unknown) =>
        d.logger.error({ err, event: e.type, tenant: e.tenantId }, 'event webhook not queued'),
      )
      .finally(() => pending.delete(job));
    pending.add(job);
  });
  return async () => {
    unsubscribe();
    await Promise.all([...pending]);
  };
}

type Endpoint = { id: number; url: string; events: string };

async function enqueueFor(
  d: { db: Db; clock: Clock },
  endpoints: Promise<Endpoint[]>,
  tenantId: number,
  body: NonNullable<ReturnType<typeof webhookBody>>,
): Promise<void> {
  const chosen = (await endpoints).filter((ep) => selects(ep.events, body.type));
  // Guard against opening a transaction for the (usual) tenant without a subscribed endpoint.
  if (chosen.length === 0) return;
  const text = JSON.stringify({ ...body, at: d.clock.now() });
  await inTransaction(d.db, async (tx) => {
    for (const ep of chosen) {
      await enqueueWebhook(tx, d.clock, tenantId, {
        messageId: `msg_${randomUUID()}`,
        url: ep.url,
        headers: {},
        body: text,
        endpointId: ep.id,
      });
    }
  });
}
