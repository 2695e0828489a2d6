import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { sql } from 'kysely';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { createTenant } from '../../src/domain/tenants.js';
import { CommitMemo, type Store, committedVersion, openStore } from '../../src/store/db.js';
import { newStorage, storageKind } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * PostgreSQL's commit version (src/store/pg-commits.ts): it moves after this process's own commits that wrote a
 * table memoised reads use, and on the notification of anyone else's (plain SQL on another connection here), so
 * CommitMemo can memoise on PostgreSQL without serving a row from before a commit.
 */
describe(
  'PostgreSQL commit version',
  { skip: storageKind !== 'postgres' && 'PostgreSQL only (DATABASE_URL)' },
  () => {
    const storage = newStorage();
    let store: Store;
    let other: pg.Client;
    let tenantId: number;

    before(async () => {
      store = await openStore({
        dataDir: storage.dataDir,
        databaseUrl: process.env.DATABASE_URL,
        pgSchema: storage.pgSchema,
      });
      await store.migrate();
      const t = await createTenant(store.db, systemClock, { name: 'pg-commits' });
      tenantId = t.id;
      other = new pg.Client({
        connectionString: process.env.DATABASE_URL,
        options: `-c search_path=${storage.pgSchema}`,
      });
      await other.connect();
    });
    after(async () => {
      await other?.end();
      await store?.close();
      await storage.remove();
    });

    const name = async () =>
      (
        await store.db
          .selectFrom('tenants')
          .select('name')
          .where('id', '=', tenantId)
          .executeTakeFirstOrThrow()
      ).name;

    it('is a number while listening; reads and writes to other tables do not move it', async () => {
      const v0 = committedVersion(store.db);
      assert.equal(typeof v0, 'number');
      await name();
      await store.db
        .insertInto('event_log')
        .values({ tenant_id: tenantId, type: 'x', payload: '{}', created_at: 1 })
        .execute();
      assert.equal(committedVersion(store.db), v0);
    });

    it("moves right after this process's own write, autocommitted or at its transaction's commit", async () => {
      const v0 = committedVersion(store.db)!;
      await store.db.updateTable('tenants').set({ name: 'own-1' }).where('id', '=', tenantId).execute();
      const v1 = committedVersion(store.db)!;
      assert.ok(v1 > v0, 'an autocommitted update moved it');
      let inside: number | undefined;
      await store.db.transaction().execute(async (tx) => {
        await tx.updateTable('tenants').set({ name: 'own-2' }).where('id', '=', tenantId).execute();
        inside = committedVersion(store.db);
      });
      assert.ok(committedVersion(store.db)! > inside!, 'the commit moved it (not only the statement)');
    });

    it("moves on another connection's commit, and the memo then reads afresh", async () => {
      // Notifications of the writes above may still be arriving: try until two reads saw one version.
      let memo!: CommitMemo<string>;
      let reads = 0;
      const get = () =>
        memo.get('name', async () => {
          reads++;
          return name();
        });
      for (let attempt = 0; ; attempt++) {
        memo = new CommitMemo<string>(store.db);
        reads = 0;
        const v = committedVersion(store.db);
        const first = await get();
        assert.equal(await get(), first);
        if (committedVersion(store.db) === v) break;
        assert.ok(attempt < 20, 'the version never held still');
      }
      assert.equal(reads, 1, 'memoised while nothing committed');
      const before = committedVersion(store.db)!;
      await other.query(`update tenants set name = 'by-sql' where id = $1`, [tenantId]);
      await waitFor(() => committedVersion(store.db)! > before, 5000, 'the notification of the other commit');
      assert.equal(await get(), 'by-sql');
      assert.equal(reads, 2);
    });

    it('concurrent misses at one version share one read', async () => {
      const memo = new CommitMemo<string>(store.db);
      let reads = 0;
      const read = async () => {
        reads++;
        await sql`select pg_sleep(0.05)`.execute(store.db);
        return name();
      };
      const got = await Promise.all(Array.from({ length: 5 }, () => memo.get('n', read)));
      assert.equal(new Set(got).size, 1);
      assert.equal(reads, 1);
    });
  },
);
