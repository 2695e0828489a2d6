import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { CommitMemo, type Store, committedVersion, openStore, readCommitted } from './db.js';

describe('embedded store: committed reads and the commit memo', () => {
  let dir: string;
  let store: Store;
  let other: SQLite.Database;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tongdai-db-'));
    store = await openStore({ dataDir: dir });
    await sql`create table kv (k text primary key, v text not null)`.execute(store.db);
    await sql`insert into kv values ('a', '1')`.execute(store.db);
    // Another process's connection (the CLI, a second node) to the same file.
    other = new SQLite(join(dir, 'tongdai.db'));
  });
  after(async () => {
    other.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const value = async () =>
    (await readCommitted<{ v: string }>(store.db, 'select v from kv where k = ?', ['a']))[0]?.v;

  it('reads committed data only, never a transaction still open on the main connection', async () => {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let inside!: () => void;
    const entered = new Promise<void>((r) => (inside = r));
    const tx = store.db.transaction().execute(async (trx) => {
      await sql`update kv set v = 'uncommitted' where k = 'a'`.execute(trx);
      inside();
      await held;
    });
    await entered;
    assert.equal(await value(), '1');
    release();
    await tx;
    assert.equal(await value(), 'uncommitted');
    await sql`update kv set v = '1' where k = 'a'`.execute(store.db);
  });

  it('the version moves on every commit, from this connection or another process', async () => {
    const v0 = committedVersion(store.db);
    assert.equal(typeof v0, 'number');
    assert.equal(committedVersion(store.db), v0, 'reading does not move it');
    await sql`update kv set v = '2' where k = 'a'`.execute(store.db);
    const v1 = committedVersion(store.db)!;
    assert.ok(v1 > v0!);
    other.prepare(`update kv set v = '3' where k = 'a'`).run();
    assert.ok(committedVersion(store.db)! > v1);
  });

  it('the memo answers from memory until anything commits, then reads afresh', async () => {
    const memo = new CommitMemo<string | undefined>(store.db);
    let reads = 0;
    const get = () =>
      memo.get('a', async () => {
        reads++;
        return value();
      });
    assert.equal(await get(), '3');
    assert.equal(await get(), '3');
    assert.equal(reads, 1);
    other.prepare(`update kv set v = '4' where k = 'a'`).run();
    assert.equal(await get(), '4', 'a commit by another process is seen on the next read');
    assert.equal(reads, 2);
    await sql`insert into kv values ('b', 'x')`.execute(store.db);
    assert.equal(await get(), '4');
    assert.equal(reads, 3, 'any commit, even to another row, drops the memo');
  });

  it('a caller holding an older version than the memo reads afresh and leaves newer entries alone', async () => {
    const memo = new CommitMemo<string | undefined>(store.db);
    const old = committedVersion(store.db)!;
    other.prepare(`update kv set v = '5' where k = 'a'`).run();
    let reads = 0;
    const read = async () => {
      reads++;
      return value();
    };
    assert.equal(await memo.get('a', read), '5');
    assert.equal(await memo.get('a', read, old), '5');
    assert.equal(reads, 2);
    assert.equal(await memo.get('a', read), '5');
    assert.equal(reads, 2, 'the entry of the newer version survived');
  });

  it('misses (undefined) are not memoised', async () => {
    const memo = new CommitMemo<string | undefined>(store.db);
    let reads = 0;
    const read = async () => {
      reads++;
      return undefined;
    };
    await memo.get('nope', read);
    await memo.get('nope', read);
    assert.equal(reads, 2);
  });
});
