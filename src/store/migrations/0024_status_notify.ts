import { type Kysely, sql } from 'kysely';
import type { Dialect, PortableMigration } from './helpers.js';

/** The channel status-only commits to `agents` notify on PostgreSQL, with the agents and their new statuses. */
export const STATUS_CHANNEL = 'tongdai_status';

/** The columns a status change writes: an update of these only is no commit to what the memoised reads use. */
export const STATUS_COLUMNS = ['status', 'status_id', 'status_changed_at', 'status_seq'] as const;

/** Past this, a notification names the tenant only (PostgreSQL's payload limit is 8,000 bytes). */
const MAX_PAYLOAD = 7900;

/**
 * `agents.status_seq` counts each agent's status changes (a row trigger, so every writer counts). On PostgreSQL,
 * an update of `agents` that changed nothing but the status columns no longer notifies `tongdai_commit` (migration
 * 0020), which drops every memo on every node; it notifies `tongdai_status` instead, once per tenant, with
 * `{"s": schema, "t": tenant, "a": [[id, seq, status, status_id], …]}` (or `{"s", "t"}` alone when that would not
 * fit), so each node updates the statuses it holds in place (src/domain/pg-live-statuses.ts). Any other change to
 * an agent row still notifies `tongdai_commit`. SQLite keeps `tenants.status_version` (migration 0018).
 */
export const statusNotify: PortableMigration = {
  async up(db: Kysely<unknown>, dialect: Dialect) {
    await db.schema
      .alterTable('agents')
      .addColumn('status_seq', 'bigint', (c) => c.notNull().defaultTo(0))
      .execute();
    if (dialect !== 'postgres') return;
    await sql`
      create or replace function tongdai_status_seq() returns trigger language plpgsql as $$
      begin
        new.status_seq := old.status_seq + 1;
        return new;
      end $$`.execute(db);
    await sql`
      create trigger agents_status_seq before update of status, status_id on agents for each row
      when (old.status is distinct from new.status or old.status_id is distinct from new.status_id)
      execute function tongdai_status_seq()`.execute(db);
    const skip = sql.raw(`array[${STATUS_COLUMNS.map((c) => `'${c}'`).join(', ')}]`);
    await sql`
      create or replace function tongdai_agents_update_notify() returns trigger language plpgsql as $$
      declare
        r record;
        payload text;
      begin
        if exists (select 1 from new_rows n join old_rows o on o.id = n.id
                   where to_jsonb(n) - ${skip} is distinct from to_jsonb(o) - ${skip})
           or (select count(*) from new_rows) <> (select count(*) from old_rows n join new_rows o on o.id = n.id) then
          perform pg_notify('tongdai_commit', tg_table_schema);
        end if;
        for r in
          select n.tenant_id as t,
                 json_agg(json_build_array(n.id, n.status_seq, n.status, n.status_id) order by n.id)::text as a
          from new_rows n join old_rows o on o.id = n.id
          where n.status_seq is distinct from o.status_seq
          group by n.tenant_id
        loop
          payload := json_build_object('s', tg_table_schema, 't', r.t)::text;
          if octet_length(payload) + octet_length(r.a) + 6 <= ${sql.lit(MAX_PAYLOAD)} then
            payload := left(payload, -1) || ',"a":' || r.a || '}';
          end if;
          perform pg_notify(${sql.lit(STATUS_CHANNEL)}, payload);
        end loop;
        return null;
      end $$`.execute(db);
    // Updates of agents go to the function above; inserts, deletes and truncates still notify as 0020 set up.
    await sql`drop trigger agents_commit_notify on agents`.execute(db);
    await sql`
      create trigger agents_commit_notify after insert or delete or truncate on agents
      for each statement execute function tongdai_commit_notify()`.execute(db);
    await sql`
      create trigger agents_update_notify after update on agents
      referencing old table as old_rows new table as new_rows
      for each statement execute function tongdai_agents_update_notify()`.execute(db);
  },
};
