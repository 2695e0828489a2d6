import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { systemClock } from '../../src/clock.js';
import { PgLiveStatuses } from '../../src/domain/pg-live-statuses.js';
import { createTenant } from '../../src/domain/tenants.js';
import { type Store, commitWatch, committedVersion, openStore } from '../../src/store/db.js';
import { newStorage, storageKind } from '../helpers/harness.js';
import { waitFor } from '../helpers/wait.js';

/**
 * PostgreSQL's live statuses (src/domain/pg-live-statuses.ts, migration 0024): a status-only commit to `agents`,
 * whoever makes it, is notified with the agents and their new status, updates what every node holds in place and
 * moves no commit version (so no memo is dropped); any other change to an agent still does; a reconnect of the
 * listener (notifications missed) makes the tenants reload.
 */
describe(
  'PostgreSQL live statuses',
  { skip: storageKind !== 'postgres' && 'PostgreSQL only (DATABASE_URL)' },
  () => {
    const storage = newStorage();
    let store: Store;
    let other: pg.Client;
    let live: PgLiveStatuses;
    const tenants: number[] = [];
    const agents: number[][] = [];

    before(async () => {
      store = await openStore({
        dataDir: storage.dataDir,
        databaseUrl: process.env.DATABASE_URL,
        pgSchema: storage.pgSchema,
      });
      await store.migrate();
      for (const name of ['live-a', 'live-b']) {
        const t = await createTenant(store.db, systemClock, { name });
        tenants.push(t.id);
        const rows = await store.db
          .insertInto('agents')
          .values(
            [1, 2, 3].map((i) => ({
              tenant_id: t.id,
              uid: `${name}-${i}`.padEnd(32, '0'),
              extension: String(1000 + i),
              name: `${name} ${i}`,
              email: `${i}@${name}.test`,
              sip_password_enc: 'x',
              created_at: 1,
              updated_at: 1,
            })),
          )
          .returning('id')
          .execute();
        agents.push(rows.map((r) => r.id));
      }
      other = new pg.Client({
        connectionString: process.env.DATABASE_URL,
        options: `-c search_path=${storage.pgSchema}`,
      });
      await other.connect();
      live = new PgLiveStatuses(store.db, commitWatch(store.db)!);
    });
    after(async () => {
      await other?.end();
      await store?.close();
      await storage.remove();
    });

    const statusOf = async (tenant: number, agent: number) => (await live.at(tenants[tenant]!))?.get(agent);
    /** A write the memos depend on, by plain SQL: once its notification arrived, every earlier one did. */
    const sentinel = async () => {
      const v = committedVersion(store.db)!;
      await other.query(`update tenants set name = name || '' where id = $1`, [tenants[1]]);
      await waitFor(() => (committedVersion(store.db) ?? -1) > v, 5000, 'the sentinel commit');
    };

    it("takes another writer's status change from its notification, and moves no commit version", async () => {
      const a = agents[0]![0]!;
      assert.equal((await statusOf(0, a))?.status, 'Offline');
      await sentinel();
      const v0 = committedVersion(store.db)!;
      await other.query(`update agents set status = 'Lunch', status_changed_at = 5 where id = $1`, [a]);
      await waitFor(async () => (await statusOf(0, a))?.status === 'Lunch', 5000, 'the status notification');
      const held = await statusOf(0, a);
      assert.ok(held!.stamp >= 1, 'the seq counts the change');
      await sentinel();
      assert.equal(committedVersion(store.db), v0 + 1, 'only the sentinel moved the version');
    });

    it('a change to anything else of an agent still moves the version', async () => {
      await sentinel();
      const v0 = committedVersion(store.db)!;
      await other.query(`update agents set username = 'u', status = 'Break' where id = $1`, [agents[0]![1]]);
      await waitFor(() => committedVersion(store.db)! > v0, 5000, 'the commit notification');
      await waitFor(async () => (await statusOf(0, agents[0]![1]!))?.status === 'Break', 5000, 'its status');
    });

    it("this process's own status-only commit moves no version, and is applied once it is told", async () => {
      const a = agents[0]![2]!;
      await statusOf(0, a);
      await sentinel();
      const v0 = committedVersion(store.db)!;
      const notes = await store.db.transaction().execute(async (tx) => {
        await tx
          .updateTable('agents')
          .set({ status: 'Meeting', status_id: null, status_changed_at: 7 })
          .where('tenant_id', '=', tenants[0]!)
          .where('id', 'in', [a])
          .execute();
        return live.capture(tx, tenants[0]!, [a]);
      });
      assert.equal(committedVersion(store.db), v0, 'the commit moved no version');
      live.apply(tenants[0]!, notes);
      assert.equal((await statusOf(0, a))?.status, 'Meeting', 'applied at once, before its notification');
      const stamp = (await statusOf(0, a))!.stamp;
      await sentinel();
      assert.equal(committedVersion(store.db), v0 + 1);
      assert.equal((await statusOf(0, a))?.stamp, stamp, 'its own notification changed nothing');
    });

    it("a tenant's notifications never reach another tenant's statuses", async () => {
      const before = [...(await live.at(tenants[1]!))!.entries()];
      await other.query(`update agents set status = 'Lunch' where tenant_id = $1`, [tenants[0]]);
      await sentinel();
      const afterwards = await live.at(tenants[1]!);
      assert.deepEqual([...afterwards!.entries()], before);
      assert.deepEqual([...afterwards!.keys()].sort(), [...agents[1]!].sort());
      for (const id of agents[0]!) assert.equal((await statusOf(0, id))?.status, 'Lunch');
    });

    it('a notification too large to name the agents makes the tenant reload', async () => {
      const a = agents[0]![0]!;
      const long = 'L'.repeat(3000);
      await other.query(`update agents set status = $2 || id::text where tenant_id = $1`, [tenants[0], long]);
      await sentinel();
      assert.equal((await statusOf(0, a))?.status, `${long}${a}`);
      await other.query(`update agents set status = 'Offline' where tenant_id = $1`, [tenants[0]]);
    });

    it('a dropped listener makes every tenant reload once it listens again (its notifications were missed)', async () => {
      const a = agents[1]![0]!;
      assert.equal((await statusOf(1, a))?.status, 'Offline');
      const watch = commitWatch(store.db)!;
      const session = watch.listenSession();
      await other.query(
        `select pg_terminate_backend(pid) from pg_stat_activity where application_name = $1`,
        [`tongdai listen ${storage.pgSchema}`],
      );
      await waitFor(() => watch.listenSession() === undefined, 5000, 'the listener to notice');
      assert.equal(
        await live.at(tenants[1]!),
        undefined,
        'nothing is served while notifications may be missed',
      );
      assert.equal(live.available(), false);
      await other.query(`update agents set status = 'Break' where id = $1`, [a]);
      await waitFor(() => watch.listenSession() !== undefined, 10_000, 'the listener to reconnect');
      assert.notEqual(watch.listenSession(), session);
      assert.equal((await statusOf(1, a))?.status, 'Break', 'reloaded: the missed change is seen');
    });
  },
);
