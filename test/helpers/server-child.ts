/**
 * A real tongdai server as a child process (see spawn.ts), on the storage its environment names, seeded with the
 * demo tenant, printing one JSON line per fact a test waits for (ready, then every bus event) until it is killed.
 * CHILD_WEBHOOK_URL subscribes a webhook endpoint to agent.status_changed. CHILD_RING_TIMEOUT_SEC, when set, makes the demo queues ring that long, record every call and skip wrap-up.
 * CHILD_WS_TOKEN=1 adds a websocket auth_token to the ready line; CHILD_MEMORY_MS prints `memory` (the process's
 * memoryUsage) that often (the soak, bench/soak/run.ts).
 */
import pino from 'pino';
import { createTongdai } from '../../src/app.js';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { createWebhookEndpoint, listWebhookEndpoints } from '../../src/domain/console-integrations.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { seedDemo } from './harness.js';

const say = (o: unknown) => process.stdout.write(JSON.stringify(o) + '\n');
const config = loadConfig(process.env);
const t = await createTongdai(config, { clock: systemClock, logger: pino({ level: config.logLevel }) });
const port = await t.listen();
const url = `http://127.0.0.1:${port}`;
const demo = await seedDemo(t, url);
if (process.env.CHILD_RING_TIMEOUT_SEC) {
  await t.ctx.db
    .updateTable('inbound_queues')
    .set({ wrapup_sec: 0, ring_timeout_sec: Number(process.env.CHILD_RING_TIMEOUT_SEC), record_calls: 1 })
    .execute();
  await bumpRevision(t.ctx.db, demo.tenant_id);
}
// CHILD_WEBHOOK_URL: the demo tenant's agent.status_changed events go there (created once per storage).
const hook = process.env.CHILD_WEBHOOK_URL;
if (hook && (await listWebhookEndpoints(t.ctx.db, demo.tenant_id)).length === 0) {
  const events = ['agent.status_changed'];
  await createWebhookEndpoint(t.ctx.db, systemClock, t.ctx.box, demo.tenant_id, { url: hook, events }, true);
}
t.ctx.bus.subscribe((e) => say({ event: e.type, payload: e.payload }));
const wsToken = process.env.CHILD_WS_TOKEN
  ? (await t.ctx.credentials.createToken(demo.tenant_id, 'ws', { ttlMs: 86_400_000 })).token
  : undefined;
const memoryEvery = Number(process.env.CHILD_MEMORY_MS ?? 0);
if (memoryEvery > 0) setInterval(() => say({ memory: process.memoryUsage() }), memoryEvery).unref();
say({ ready: true, url, sipPort: t.sipPort, demo, ...(wsToken ? { wsToken } : {}) });
