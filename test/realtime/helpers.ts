import { io as connect, type Socket } from 'socket.io-client';
import type { CallEventPayload } from '../../src/domain/events.js';
import type { TestServer } from '../helpers/harness.js';

/** One received event: its name, its first argument, and how many arguments came (always 1 on our wire). */
export interface Received {
  name: string;
  data: any;
  argc: number;
}

/** A client (any flavour) that records every event it receives, in order. */
export interface Recording {
  events: Received[];
  /**
   * Resolves once `n` events named one of `names` arrived (rejects after `ms`). Fails as soon as any event came
   * with other than exactly one argument: Kazoo clients (python-socketio's `def on_create(data)`) break on more.
   */
  waitFor(names: string[], n: number, ms?: number): Promise<Received[]>;
  /**
   * The events named one of `names` that arrived before the first one `isSentinel` accepts: how a test proves an
   * event did not come (publish the sentinel after it, on the same tenant's ordered stream).
   */
  until(names: string[], isSentinel: (e: Received) => boolean, ms?: number): Promise<Received[]>;
  close(): void;
}

/** The recorder behind every client flavour: `push` is called from the client's own handlers. */
export function recording(close: () => void): Recording & { push(name: string, args: unknown[]): void } {
  const events: Received[] = [];
  const oneArgumentEach = () => {
    const odd = events.find((e) => e.argc !== 1);
    if (odd) throw new Error(`${odd.name} arrived with ${odd.argc} arguments: ${JSON.stringify(events)}`);
  };
  const rec: Recording & { push(name: string, args: unknown[]): void } = {
    events,
    push: (name: string, args: unknown[]) => void events.push({ name, data: args[0], argc: args.length }),
    async waitFor(names: string[], n: number, ms = 3000) {
      const deadline = Date.now() + ms;
      for (;;) {
        oneArgumentEach();
        const got = events.filter((e) => names.includes(e.name));
        if (got.length >= n) return got;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${n} of ${names.join(',')}; got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    async until(names: string[], isSentinel: (e: Received) => boolean, ms = 3000) {
      const deadline = Date.now() + ms;
      while (!events.some(isSentinel)) {
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for the sentinel; got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
      oneArgumentEach();
      return events.slice(0, events.findIndex(isSentinel)).filter((e) => names.includes(e.name));
    },
    close,
  };
  return rec;
}

/** A v4 client (socket.io-client 4) that records every event it receives, in order. */
export interface Recorder extends Recording {
  socket: Socket;
}

export function record(url: string, opts: Parameters<typeof connect>[1] = {}): Recorder {
  const socket = connect(url, { transports: ['websocket'], reconnectionDelay: 50, ...opts });
  const rec = recording(() => void socket.disconnect());
  socket.onAny((name: string, ...args: unknown[]) => rec.push(name, args));
  return Object.assign(rec, { socket });
}

/** The first event of the call `callId`: the usual sentinel, published after what must not arrive. */
export const callSentinel =
  (callId: string) =>
  (e: Received): boolean =>
    e.data?.call_id === callId;

/**
 * An acknowledged no-op on this connection. The server writes to a connection in order, so once the ack is back,
 * every event the server emitted to this socket before it has arrived (the sentinel for another tenant's stream).
 */
export async function roundTrip(socket: Socket): Promise<void> {
  await socket.timeout(3000).emitWithAck('unsubscribe', { binding: 'call.CHANNEL_CREATE.round-trip' });
}

/** `subscribe` with an acknowledgement, so tests know the rooms are joined. */
export function subscribe(socket: Socket, req: Record<string, unknown>): Promise<any> {
  return socket.timeout(3000).emitWithAck('subscribe', req);
}

/** A call payload as the call engine publishes it. */
export function callPayload(
  callId: string,
  stage: 'created' | 'answered' | 'ended',
  at: number,
  over: Partial<CallEventPayload> = {},
): CallEventPayload {
  const createdAt = at - (stage === 'created' ? 0 : stage === 'answered' ? 5000 : 65_000);
  return {
    callId,
    direction: 'inbound',
    callerNumber: '0987654321',
    destinationNumber: '02873019555',
    didNumber: '02873019555',
    queueId: null,
    agentId: null,
    createdAt,
    answeredAt: stage === 'created' ? null : createdAt + 5000,
    endedAt: stage === 'ended' ? at : null,
    durationSec: stage === 'ended' ? 65 : null,
    hangupCause: stage === 'ended' ? 'NORMAL_CLEARING' : null,
    at,
    ...over,
  };
}

/** Publish a whole call (create, answer, destroy) for a tenant on the bus. */
export function publishCall(
  s: TestServer,
  tenantId: number,
  callId: string,
  over: Partial<CallEventPayload> = {},
) {
  const now = s.clock.now();
  s.t.ctx.bus.publish(tenantId, 'call.created', callPayload(callId, 'created', now, over));
  s.t.ctx.bus.publish(tenantId, 'call.answered', callPayload(callId, 'answered', now + 5000, over));
  s.t.ctx.bus.publish(tenantId, 'call.ended', callPayload(callId, 'ended', now + 65_000, over));
}

/** A DTMF digit as the media engine publishes it for a bridged call. */
export function publishDtmf(
  s: TestServer,
  tenantId: number,
  callId: string,
  digit: string,
  leg: 'caller' | 'agent' = 'caller',
) {
  s.t.ctx.bus.publish(tenantId, 'call.dtmf', { callId, leg, digit, durationMs: 160, at: s.clock.now() });
}
