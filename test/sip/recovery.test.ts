import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { createTongdai } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { FakeClock } from '../../src/clock.js';
import type { Envelope } from '../../src/domain/events.js';
import { createTenant } from '../../src/domain/tenants.js';
import { dropSchema } from '../helpers/harness.js';
import { insertCallRecord } from '../../src/domain/call-history.js';

describe('crash recovery', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tongdai-recovery-'));
  const pgSchema = process.env.DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined;
  const env = {
    PORT: '0',
    HOST: '127.0.0.1',
    SIP_PORT: '0',
    SIP_HOST: '127.0.0.1',
    TONGDAI_DATA: dataDir,
    LOG_LEVEL: 'silent',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  };
  const config = loadConfig(env);
  after(async () => {
    if (pgSchema) await dropSchema(process.env.DATABASE_URL!, pgSchema);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('closes calls a dead process left open, with a cause and a call.ended event', async () => {
    const first = await createTongdai(config, { logger: pino({ level: 'silent' }), pgSchema });
    await first.listen();
    const tenant = await createTenant(first.ctx.db, first.ctx.clock, { name: 'recovery' });
    const started = Date.now() - 30_000;
    // What a crash leaves behind: one answered call and one still ringing, never ended.
    for (const [callId, answered] of [
      ['c-answered', started + 5000],
      ['c-ringing', null],
    ] as const) {
      await insertCallRecord(first.ctx.db, tenant.id, {
        callId,
        direction: 'inbound',
        callerNumber: '0909',
        calleeNumber: '1900',
        createdAt: started,
        answeredAt: answered,
      });
    }
    await first.close();

    const second = await createTongdai(config, { logger: pino({ level: 'silent' }), pgSchema });
    const events: Envelope[] = [];
    second.ctx.bus.subscribe((e) => events.push(e));
    await second.listen();
    try {
      const rows = await second.ctx.db.selectFrom('calls').selectAll().orderBy('call_id').execute();
      assert.equal(rows.length, 2);
      for (const r of rows) {
        assert.ok(r.ended_at, `${r.call_id} closed`);
        assert.equal(r.hangup_cause, 'NORMAL_TEMPORARY_FAILURE');
        assert.equal(r.hangup_by, 'system');
        assert.match(r.reason!, /restarted/);
        assert.ok(r.duration_sec! >= 30);
      }
      assert.equal(rows[0]!.status_detail, 'SUCCESS');
      assert.ok(rows[0]!.billing_sec! >= 25);
      assert.equal(rows[1]!.status_detail, 'UNSUCCESS');
      assert.deepEqual(
        events
          .filter((e) => e.type === 'call.ended')
          .map((e) => (e.payload as { callId: string }).callId)
          .sort(),
        ['c-answered', 'c-ringing'],
      );
    } finally {
      await second.close();
    }
  });

  it('two nodes on one database: a starting node leaves a live node’s calls alone and closes a dead one’s', async () => {
    const clock = new FakeClock(Date.now());
    const node = (id: string) =>
      createTongdai(loadConfig({ ...env, NODE_ID: id }), {
        logger: pino({ level: 'silent' }),
        pgSchema,
        clock,
      });
    const a = await node('node-a');
    await a.listen();
    const tenant = await createTenant(a.ctx.db, a.ctx.clock, { name: 'two nodes' });
    const open = (callId: string, nodeId: string) =>
      insertCallRecord(a.ctx.db, tenant.id, {
        callId,
        nodeId,
        direction: 'inbound',
        callerNumber: '0909',
        calleeNumber: '1900',
        createdAt: clock.now(),
      });
    // node-a runs one call; node-c ran one and died (its heartbeat is old).
    await open('on-a', 'node-a');
    await open('on-c', 'node-c');
    await a.ctx.db
      .insertInto('telephony_nodes')
      .values({ id: 'node-c', started_at: clock.now() - 600_000, seen_at: clock.now() - 60_000 })
      .execute();
    const b = await node('node-b');
    await b.listen();
    try {
      const ended = async () =>
        Object.fromEntries(
          (
            await b.ctx.db
              .selectFrom('calls')
              .select(['call_id', 'ended_at'])
              .where('call_id', 'like', 'on-%')
              .execute()
          ).map((r) => [r.call_id, r.ended_at !== null]),
        );
      assert.deepEqual(
        await ended(),
        { 'on-a': false, 'on-c': true },
        'node-b started: only the dead node’s call closed',
      );

      // node-a keeps beating while node-b waits past the dead line: its call stays open.
      clock.advance(30_000);
      await a.telephony.node.beat();
      clock.advance(30_000);
      await b.telephony.node.beat();
      assert.deepEqual(await ended(), { 'on-a': false, 'on-c': true });

      // node-a goes silent (a crash: no graceful stop) and stays silent: node-b's next beats close its call.
      clock.advance(60_000);
      await b.telephony.node.beat();
      assert.deepEqual(await ended(), { 'on-a': true, 'on-c': true });
      const row = await b.ctx.db
        .selectFrom('calls')
        .selectAll()
        .where('call_id', '=', 'on-a')
        .executeTakeFirstOrThrow();
      assert.equal(row.hangup_cause, 'NORMAL_TEMPORARY_FAILURE');
      assert.equal(row.hangup_by, 'system');
    } finally {
      await b.close();
      await a.close();
    }
  });
});
