import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { insertCallRecord } from '../../src/domain/call-history.js';
import { insertRecording } from '../../src/domain/recording-links.js';
import { signedQuery } from '../antbuddy/helpers.js';
import { assertOneLineError, oneJson, tongdai } from '../helpers/cli.js';
import {
  type Storage,
  type TestServer,
  call,
  requireTool,
  startTestServer,
  storageKind,
} from '../helpers/harness.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 2, 10, 8, 0, 0);
const pg = storageKind === 'postgres';
// On PostgreSQL the backup is pg_dump's and the restore pg_restore's: without them (and not in CI) a clear skip.
const missing = pg ? (await requireTool('pg_dump')) || (await requireTool('pg_restore')) : false;
const skip = missing ? `${missing}: the PostgreSQL backup and restore need it` : false;

/** A database of the test's own on the suite's PostgreSQL server, to restore into; dropped after. */
async function privateDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const { default: pgLib } = await import('pg');
  const name = `tongdai_restore_${randomBytes(6).toString('hex')}`;
  const admin = async (q: string) => {
    const c = new pgLib.Client({ connectionString: process.env.DATABASE_URL });
    await c.connect();
    try {
      await c.query(q);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(process.env.DATABASE_URL!);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}

describe('tongdai backup / restore', { skip }, () => {
  let s: TestServer;
  let restored: TestServer | undefined;
  let target: Awaited<ReturnType<typeof privateDatabase>> | undefined;
  const work = mkdtempSync(join(tmpdir(), 'tongdai-backup-'));
  const backupDir = join(work, 'backup');
  const newData = join(work, 'restored-data');
  const wav = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(4000, 9)]);
  const music = Buffer.concat([Buffer.from('RIFF'), Buffer.alloc(800, 3)]);

  /** What the families serve, read through HTTP with the original credentials. */
  async function snapshot(t: TestServer) {
    const appId = s.demo.app_id;
    const secret = s.demo.app_secret;
    const agents = await call(`${t.url}/v1/agents?page=0&size=50`, {
      headers: { Authorization: s.demo.api_key },
    });
    assert.equal(agents.status, 200, JSON.stringify(agents.body));
    const from = '2026-03-10';
    const histories = await call(
      `${t.url}/oapi/v1/call/histories?${signedQuery({ appId, created_from: from, created_to: from }, [appId, from, from], secret)}`,
    );
    assert.equal(histories.status, 200, JSON.stringify(histories.body));
    const link = await call(
      `${t.url}/oapi/v1/call/play_recording?${signedQuery({ appId, media: 'bk-1.wav' }, [appId, 'bk-1.wav'], secret)}`,
    );
    assert.equal(link.status, 200, JSON.stringify(link.body));
    const file = await fetch(link.body.media);
    assert.equal(file.status, 200);
    return {
      agents: agents.body,
      histories: histories.body,
      recording: Buffer.from(await file.arrayBuffer()),
    };
  }

  /** The CLI's environment for restoring into `dataDir` (and, on PostgreSQL, the private database). */
  const restoreEnv = (dataDir: string): Record<string, string> =>
    pg
      ? { TONGDAI_DATA: dataDir, DATABASE_URL: target!.url, DATABASE_SCHEMA: s.storage.pgSchema }
      : { TONGDAI_DATA: dataDir };

  before(async () => {
    s = await startTestServer({ clock: new FakeClock(t0 + DAY) });
    if (pg) target = await privateDatabase();
    const db = s.t.ctx.db;
    const dir = join(s.config.dataDir, 'recordings', String(s.demo.tenant_id), '2026-03-10');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'bk-1.wav'), wav);
    mkdirSync(join(s.config.dataDir, 'media', String(s.demo.tenant_id)), { recursive: true });
    writeFileSync(join(s.config.dataDir, 'media', String(s.demo.tenant_id), 'hold.wav'), music);
    const rec = await insertRecording(db, s.demo.tenant_id, {
      callId: 'bk-1',
      name: 'bk-1.wav',
      path: `recordings/${s.demo.tenant_id}/2026-03-10/bk-1.wav`,
      sizeBytes: wav.length,
      durationMs: 1000,
      at: t0,
    });
    await insertCallRecord(db, s.demo.tenant_id, {
      callId: 'bk-1',
      direction: 'inbound',
      callerNumber: '0909111222',
      calleeNumber: s.demo.agents[0]!.extension,
      calleeAgentId: s.demo.agents[0]!.agent_id,
      agentId: s.demo.agents[0]!.agent_id,
      didNumber: s.demo.hotline,
      queueId: null,
      createdAt: t0,
      answeredAt: t0 + 3000,
      endedAt: t0 + 33_000,
      durationSec: 33,
      billingSec: 30,
      hangupCause: 'NORMAL_CLEARING',
      statusDetail: 'SUCCESS',
      recordingId: rec.id,
    });
  });
  after(async () => {
    await restored?.close();
    await s?.close();
    await target?.drop();
    rmSync(work, { recursive: true, force: true });
  });

  it('backs up a running server online, restores into a new data directory that serves the same data', async () => {
    const original = await snapshot(s);
    assert.equal(original.histories.total, 1);
    assert.deepEqual(original.recording, wav);
    // Online: the server keeps running (and holds its connection) while the backup is taken.
    const b = await tongdai(['--json', 'backup', backupDir], { ...s.env });
    assert.equal(b.code, 0, b.stderr + b.stdout);
    const m = oneJson(b);
    assert.equal(m.storage, storageKind);
    assert.equal(m.pg_schema, pg ? s.storage.pgSchema : null, 'on PostgreSQL, this instance’s schema only');
    assert.equal(m.secret_key, true);
    assert.deepEqual(m.files.media, { files: 1, bytes: music.length });
    assert.ok(m.files.recordings.files >= 1);
    for (const f of ['manifest.json', pg ? 'tongdai.pgdump' : 'tongdai.db', 'secret.key'])
      assert.ok(existsSync(join(backupDir, f)), f);
    // A change after the backup is not in it.
    await s.t.ctx.db
      .updateTable('agents')
      .set({ name: 'Renamed after backup' })
      .where('id', '=', s.demo.agents[0]!.agent_id)
      .execute();

    // On PostgreSQL into a database of its own: the restored server shares nothing with the original.
    const r = await tongdai(['--json', 'restore', backupDir], restoreEnv(newData));
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(oneJson(r).storage, storageKind);
    const storage: Storage = {
      dataDir: newData,
      pgSchema: s.storage.pgSchema,
      env: restoreEnv(newData),
      remove: () => Promise.resolve(),
    };
    restored = await startTestServer({ clock: new FakeClock(t0 + DAY), demo: false, storage });
    const again = await snapshot(restored);
    assert.deepEqual(again.agents, original.agents, 'the same agents, as they were at the backup');
    assert.deepEqual(again.histories, original.histories, 'the same calls');
    assert.deepEqual(again.recording, wav, 'the same recording bytes');
    assert.deepEqual(readFileSync(join(newData, 'media', String(s.demo.tenant_id), 'hold.wav')), music);
    await restored.close();
    restored = undefined;
  });

  it('refuses a non-empty backup directory, a restore over existing data, and a directory that is no backup', async () => {
    assertOneLineError(
      await tongdai(['backup', backupDir], { ...s.env }),
      /backup directory .* is not empty/,
    );
    assertOneLineError(
      await tongdai(['restore', backupDir], restoreEnv(s.config.dataDir)),
      pg ? /already holds recordings, media, secret\.key.*--force/ : /already holds tongdai\.db.*--force/,
    );
    const notBackup = join(work, 'nothing');
    mkdirSync(notBackup);
    assertOneLineError(
      await tongdai(['restore', notBackup], { TONGDAI_DATA: join(work, 'x') }),
      /is not a tongdai backup/,
    );
    assertOneLineError(
      await tongdai(
        ['restore', backupDir],
        pg
          ? { TONGDAI_DATA: join(work, 'y') }
          : { TONGDAI_DATA: join(work, 'y'), DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' },
      ),
      pg
        ? /holds a postgres database .*\(set DATABASE_URL\)/
        : /holds a sqlite database .*\(unset DATABASE_URL\)/,
    );
    if (!pg) {
      assertOneLineError(
        await tongdai(['backup', join(work, 'b2')], { TONGDAI_DATA: join(work, 'no-such-data') }),
        /no database at/,
      );
    }
  });

  it('--force moves the existing data aside (on PostgreSQL, pg_restore --clean replaces the rows)', async () => {
    const target = join(work, 'forced');
    mkdirSync(target);
    writeFileSync(join(target, 'tongdai.db'), 'old');
    const agent = s.demo.agents[0]!.agent_id;
    const restoredName = async () => {
      const { default: pgLib } = await import('pg');
      const c = new pgLib.Client({ connectionString: restoreEnv(target).DATABASE_URL });
      await c.connect();
      try {
        const q = `select name from ${s.storage.pgSchema}.agents where id = $1`;
        return ((await c.query(q, [agent])).rows[0] as { name: string }).name;
      } finally {
        await c.end();
      }
    };
    let before = '';
    if (pg) {
      // The first test's restore is in the private database: change it, the second restore must undo it.
      before = await restoredName();
      const { default: pgLib } = await import('pg');
      const c = new pgLib.Client({ connectionString: restoreEnv(target).DATABASE_URL });
      await c.connect();
      await c.query(`update ${s.storage.pgSchema}.agents set name = 'changed after restore' where id = $1`, [
        agent,
      ]);
      await c.end();
    }
    const r = await tongdai(['--json', 'restore', '--force', backupDir], restoreEnv(target));
    assert.equal(r.code, 0, r.stderr);
    const aside = (await import('node:fs'))
      .readdirSync(target)
      .filter((f) => f.startsWith('tongdai.db.before-restore-'));
    assert.equal(aside.length, 1);
    assert.equal(readFileSync(join(target, aside[0]!), 'utf8'), 'old');
    if (pg) {
      assert.equal(await restoredName(), before, 'the row as it was in the backup');
      assert.notEqual(before, 'Renamed after backup');
    }
  });
});
