import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { WireEventName, WirePayload } from './protocol.js';

/** One pushed event, as relayed to the other nodes (already persisted by its origin). */
export interface RelayedEvent {
  node: string;
  tenantId: number;
  event: WireEventName;
  key: string;
  payload: WirePayload;
}

/**
 * Several nodes sharing PostgreSQL and Redis: each node pushes the events of the calls it handles to its own
 * clients and publishes them on a Redis channel; every other node re-emits them to its clients. Socket.IO keeps its
 * in-memory adapter (a Redis-stream adapter lost packets emitted while a recovered socket rejoined its rooms); a
 * client resumes on any node by `last_event_id` from the shared event log. Only with both DATABASE_URL and
 * REDIS_URL: nodes that don't share a database don't share tenant ids, and must not share channels.
 */
export class EventRelay {
  readonly node = randomBytes(8).toString('hex');
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly subscribed: Promise<unknown>;

  private constructor(
    config: Config & { redisUrl: string },
    logger: Logger,
    onRemote: (e: RelayedEvent) => void,
  ) {
    this.channel = `tongdai:rt:${config.databaseSchema ?? 'main'}`;
    this.pub = new Redis(config.redisUrl, { maxRetriesPerRequest: 2 });
    this.sub = new Redis(config.redisUrl, { maxRetriesPerRequest: null });
    for (const r of [this.pub, this.sub]) {
      r.on('error', (err) => logger.warn({ err: err.message }, 'redis error (realtime relay)'));
    }
    this.sub.on('message', (_channel: string, raw: string) => {
      try {
        const e = JSON.parse(raw) as RelayedEvent;
        if (e.node !== this.node) onRemote(e);
      } catch (err) {
        logger.warn({ err }, 'unreadable relayed event');
      }
    });
    this.subscribed = this.sub.subscribe(this.channel).catch((err: unknown) => {
      logger.error({ err }, 'relay subscribe failed');
    });
  }

  static create(config: Config, logger: Logger, onRemote: (e: RelayedEvent) => void): EventRelay | null {
    if (!config.redisUrl || !config.databaseUrl) return null;
    return new EventRelay({ ...config, redisUrl: config.redisUrl }, logger, onRemote);
  }

  /** Resolves once Redis acknowledged the subscription: nothing published afterwards is missed. */
  async ready(): Promise<void> {
    await this.subscribed;
  }

  publish(e: Omit<RelayedEvent, 'node'>): void {
    void this.pub.publish(this.channel, JSON.stringify({ ...e, node: this.node })).catch(() => undefined);
  }

  async close(): Promise<void> {
    await Promise.all([this.pub, this.sub].map((r) => r.quit().catch(() => r.disconnect())));
  }
}
