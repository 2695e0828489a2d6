/**
 * kill -9 while a webhook POST is in flight (the receiver holds the first request unanswered), then restart on the
 * same storage with the same node id: the delivery is made again, with the same `webhook-id` and body.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { call, newStorage, storageKind } from '../helpers/harness.js';
import { spawnServer } from '../helpers/spawn.js';
import { startReceiver } from '../helpers/receiver.js';
import { waitFor } from '../helpers/wait.js';

const NODE_ID = 'crash-webhook-node';

test(`kill -9 during a webhook delivery: redelivered after restart with the same id (${storageKind})`, async () => {
  const st = newStorage('tongdai-crash-webhook-');
  // The first POST is never answered (status 0): the server is killed while it waits; the next gets 200.
  const rx = await startReceiver([0, 200]);
  const env = { NODE_ID, CHILD_WEBHOOK_URL: rx.url };
  try {
    const first = spawnServer(st, env);
    try {
      const ready = await first.next((l) => l.ready === true, 'ready', 60_000);
      const agent = ready.demo!.agents[0]!.agent_id;
      const r = await call(`${ready.url}/api/agents/${agent}/login`, {
        method: 'POST',
        headers: { 'X-Api-Key': ready.demo!.api_key },
      });
      assert.equal(r.status, 200, JSON.stringify(r.body));
      await waitFor(() => (rx.received.length > 0 ? true : undefined), 30_000);
    } finally {
      first.kill();
    }
    assert.equal(await first.exited, 'SIGKILL');
    const inFlight = rx.received[0]!;
    const id = inFlight.headers['webhook-id'];
    assert.ok(typeof id === 'string' && id.length > 0, 'the in-flight delivery carried a webhook-id');

    const second = spawnServer(st, env);
    try {
      await second.next((l) => l.ready === true, 'ready after the restart', 60_000);
      const again = await waitFor(
        () => rx.received.slice(1).find((x) => x.headers['webhook-id'] === id),
        30_000,
      );
      assert.equal(again.body, inFlight.body, 'the same event');
      assert.equal(again.status, 200);
    } finally {
      second.kill();
    }
    await second.exited;
  } finally {
    await rx.close();
    await st.remove();
  }
});
