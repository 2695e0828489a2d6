import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import pino from 'pino';
import { createTongdai } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import type { Envelope } from '../../src/domain/events.js';
import { createTenant } from '../../src/domain/tenants.js';
import { dropSchema } from '../helpers/harness.js';
import { insertCallRecord } from '../../src/domain/call-history.js';

describe('crash recovery', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'tongdai-recovery-'));
  const pgSchema = process.env.DATABASE_URL ? `t_${randomBytes(6).toString('hex')}` : undefined;
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    SIP_PORT: '0',
    SIP_HOST: '127.0.0.1',
    TONGDAI_DATA: dataDir,
    LOG_LEVEL: 'silent',
    ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}),
  });
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
});
