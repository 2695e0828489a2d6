import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FakeClock } from '../../src/clock.js';
import { insertCallRecord } from '../../src/domain/call-history.js';
import { insertRecording } from '../../src/domain/recording-links.js';
import { signedQuery } from '../antbuddy/helpers.js';
import { assertOneLineError, oneJson, tongdai } from '../helpers/cli.js';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';

const DAY = 86_400_000;
const t0 = Date.UTC(2026, 2, 10, 8, 0, 0);
const skip =
  storageKind === 'postgres'
    ? 'the PostgreSQL variant (pg_dump / pg_restore) is exercised by hand: see docs/operations.md'
    : false;

describe('tongdai backup / restore', { skip }, () => {
  let s: TestServer;
  let restored: TestServer | undefined;
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

  before(async () => {
    s = await startTestServer({ clock: new FakeClock(t0 + DAY) });
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
    assert.equal(m.storage, 'sqlite');
    assert.equal(m.secret_key, true);
    assert.deepEqual(m.files.media, { files: 1, bytes: music.length });
    assert.ok(m.files.recordings.files >= 1);
    for (const f of ['manifest.json', 'tongdai.db', 'secret.key'])
      assert.ok(existsSync(join(backupDir, f)), f);
    // A change after the backup is not in it.
    await s.t.ctx.db
      .updateTable('agents')
      .set({ name: 'Renamed after backup' })
      .where('id', '=', s.demo.agents[0]!.agent_id)
      .execute();

    const r = await tongdai(['--json', 'restore', backupDir], { TONGDAI_DATA: newData });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(oneJson(r).storage, 'sqlite');
    restored = await startTestServer({
      clock: new FakeClock(t0 + DAY),
      demo: false,
      env: { TONGDAI_DATA: newData },
    });
    const again = await snapshot(restored);
    assert.deepEqual(again.agents, original.agents, 'the same agents, as they were at the backup');
    assert.deepEqual(again.histories, original.histories, 'the same calls');
    assert.deepEqual(again.recording, wav, 'the same recording bytes');
    assert.deepEqual(readFileSync(join(newData, 'media', String(s.demo.tenant_id), 'hold.wav')), music);
  });

  it('refuses a non-empty backup directory, a restore over existing data, and a directory that is no backup', async () => {
    assertOneLineError(
      await tongdai(['backup', backupDir], { ...s.env }),
      /backup directory .* is not empty/,
    );
    assertOneLineError(
      await tongdai(['restore', backupDir], { TONGDAI_DATA: s.config.dataDir }),
      /already holds tongdai\.db.*--force/,
    );
    const notBackup = join(work, 'nothing');
    mkdirSync(notBackup);
    assertOneLineError(
      await tongdai(['restore', notBackup], { TONGDAI_DATA: join(work, 'x') }),
      /is not a tongdai backup/,
    );
    assertOneLineError(
      await tongdai(['backup', join(work, 'b2')], { TONGDAI_DATA: join(work, 'no-such-data') }),
      /no database at/,
    );
  });

  it('--force moves the existing data aside', async () => {
    const target = join(work, 'forced');
    mkdirSync(target);
    writeFileSync(join(target, 'tongdai.db'), 'old');
    const r = await tongdai(['--json', 'restore', '--force', backupDir], { TONGDAI_DATA: target });
    assert.equal(r.code, 0, r.stderr);
    const aside = (await import('node:fs'))
      .readdirSync(target)
      .filter((f) => f.startsWith('tongdai.db.before-restore-'));
    assert.equal(aside.length, 1);
    assert.equal(readFileSync(join(target, aside[0]!), 'utf8'), 'old');
  });
});
