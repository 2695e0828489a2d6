import { io as connect, type Socket } from 'socket.io-client';
import type { CallEventPayload } from '../../src/domain/events.js';
import type { TestServer } from '../helpers/harness.js';

/** A v4 client that records every event it receives, in order. */
export interface Recorder {
  socket: Socket;
  events: { name: string; data: any }[];
  /** Resolves once `n` events named one of `names` arrived (rejects after `ms`). */
  waitFor(names: string[], n: number, ms?: number): Promise<{ name: string; data: any }[]>;
  close(): void;
}

export function record(url: string, opts: Parameters<typeof connect>[1] = {}): Recorder {
  const socket = connect(url, { transports: ['websocket'], reconnectionDelay: 50, ...opts });
  const events: { name: string; data: any }[] = [];
  socket.onAny((name: string, data: unknown) => events.push({ name, data }));
  return {
    socket,
    events,
    async waitFor(names, n, ms = 3000) {
      const deadline = Date.now() + ms;
      for (;;) {
        const got = events.filter((e) => names.includes(e.name));
        if (got.length >= n) return got;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${n} of ${names.join(',')}; got ${JSON.stringify(events)}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => void socket.disconnect(),
  };
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

/**
 * A minimal Socket.IO v2 client (Engine.IO 3, HTTP long-polling) — what legacy Kazoo/AntBuddy integrations run.
 * Enough of the protocol to connect, emit and collect events.
 */
export class Eio3Client {
  private sid = '';
  readonly events: { name: string; data: any }[] = [];
  private polling = true;
  private loop: Promise<void> = Promise.resolve();
  constructor(private readonly url: string) {}

  private endpoint(): string {
    return `${this.url}/socket.io/?EIO=3&transport=polling${this.sid ? `&sid=${this.sid}` : ''}&t=${Date.now()}`;
  }

  /** EIO3 polling payloads are `<length>:<packet>` repeated (length in UTF-16 code units). */
  private static decode(body: string): string[] {
    const out: string[] = [];
    let i = 0;
    while (i < body.length) {
      const colon = body.indexOf(':', i);
      const len = Number(body.slice(i, colon));
      out.push(body.slice(colon + 1, colon + 1 + len));
      i = colon + 1 + len;
    }
    return out;
  }

  private handle(packet: string): void {
    if (packet.startsWith('42')) {
      const [name, data] = JSON.parse(packet.slice(2)) as [string, unknown];
      this.events.push({ name, data });
    }
  }

  async open(): Promise<{ pingInterval: number }> {
    const res = await fetch(this.endpoint());
    const packets = Eio3Client.decode(await res.text());
    const open = JSON.parse(packets[0]!.slice(1)) as { sid: string; pingInterval: number };
    this.sid = open.sid;
    for (const p of packets.slice(1)) this.handle(p);
    this.loop = this.poll();
    return open;
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      const res = await fetch(this.endpoint()).catch(() => null);
      if (!res || res.status !== 200) return;
      for (const p of Eio3Client.decode(await res.text())) this.handle(p);
    }
  }

  async emit(name: string, data: unknown): Promise<void> {
    const packet = `42${JSON.stringify([name, data])}`;
    const res = await fetch(this.endpoint(), {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8' },
      body: `${packet.length}:${packet}`,
    });
    if (res.status !== 200) throw new Error(`EIO3 post failed: ${res.status}`);
    await res.text();
  }

  async close(): Promise<void> {
    this.polling = false;
    await this.emitRaw('1');
    await this.loop.catch(() => undefined);
  }

  private async emitRaw(packet: string): Promise<void> {
    await fetch(this.endpoint(), { method: 'POST', body: `${packet.length}:${packet}` }).catch(
      () => undefined,
    );
  }
}
