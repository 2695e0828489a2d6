import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { SecretBox } from '../domain/secrets.js';
import type { Db } from '../store/db.js';
import { WEBHOOK_DELIVERY, webhookDeliveryHandler } from './deliver.js';
import { OutboxWorker } from './worker.js';

export { OutboxWorker } from './worker.js';

/** The process's outbox worker with the generic signed-webhook delivery registered; families add their kinds. */
export function createOutboxWorker(d: {
  db: Db;
  clock: Clock;
  box: SecretBox;
  logger: Logger;
  config: Pick<Config, 'allowPrivateWebhooks' | 'nodeId'>;
}): OutboxWorker {
  const worker = new OutboxWorker({ db: d.db, clock: d.clock, logger: d.logger, nodeId: d.config.nodeId });
  worker.register(
    WEBHOOK_DELIVERY,
    webhookDeliveryHandler({
      db: d.db,
      clock: d.clock,
      box: d.box,
      allowPrivate: d.config.allowPrivateWebhooks,
    }),
  );
  return worker;
}
