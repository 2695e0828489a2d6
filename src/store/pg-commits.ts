import pg from 'pg';
import { NOTIFYING_TABLES } from './migrations/0020_commit_notify.js';
import { STATUS_CHANNEL, STATUS_COLUMNS } from './migrations/0024_status_notify.js';

const CHANNEL = 'tongdai_commit';
const RETRY_MS = 1000;

/** A write statement to one of the notifying tables, anywhere in the SQL (a CTE's too). Over-matching is harmless. */
const WRITES = new RegExp(
  String.raw`\b(?:insert\s+into|update|delete\s+from|truncate(?:\s+table)?)\s+(?:only\s+)?(?:"?\w+"?\.)?"?(?:` +
    NOTIFYING_TABLES.join('|') +
    String.raw`)"?(?!\w)`,
  'i',
);

/**
 * An update that sets nothing but an agent's status columns (the status writer's): no commit for the memos,
 * since the database notifies it on the status channel instead (migration 0024). Anything else is a write.
 */
const STATUS_COL = `"(?:${STATUS_COLUMNS.join('|')})" = \\$\\d+`;
const STATUS_ONLY = new RegExp(
  String.raw`^\s*update\s+"agents"\s+set\s+${STATUS_COL}(?:\s*,\s*${STATUS_COL})*\s+where\s[^;]*$`,
  'i',
);

/** One agent's committed status as a status notification carries it: id, status seq, status, status id. */
export type StatusNote = readonly [number, number, string, number | null];

/** Status changes of one tenant, or `undefined` when the notification could only name the tenant. */
export type StatusListener = (tenantId: number, agents: readonly StatusNote[] | undefined) => void;

/**
 * PostgreSQL's stand-in for SQLite's `data_version`: a number that moves after any commit that wrote a table
 * memoised reads depend on (migration 0020), so `CommitMemo` can memoise there too. It moves
 * - on a notification on `tongdai_commit` for this schema: another node's commit, the CLI's, plain SQL's
 *   (PostgreSQL sends it once the transaction committed, on a connection of its own here);
 * - right after this process's own commit of such a write (seen on the pool's connections), so a request that
 *   follows a write on the same node never gets the memo from before it, notification or not.
 * While the listening connection is down (and until it listens again) there is no version: callers read afresh.
 * Another node's write is seen here once its notification arrived (on a LAN, within milliseconds of the commit).
 */
export class PgCommitWatch {
  private counter = 0;
  private listening = false;
  private client: pg.Client | null = null;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly classified = new Map<string, boolean>();
  private session = 0;
  private readonly statusListeners: StatusListener[] = [];

  constructor(private readonly config: pg.ClientConfig) {}

  /** The current version, or undefined while notifications may be missed. */
  version(): number | undefined {
    return this.listening ? this.counter : undefined;
  }

  /**
   * Which LISTEN this is (it moves on every reconnect), or undefined while notifications may be missed: what was
   * learnt from status notifications in an earlier session may have missed some, and must be read afresh.
   */
  listenSession(): number | undefined {
    return this.listening ? this.session : undefined;
  }

  /** Be told of every status notification of this schema (the writer's own commits too). */
  onStatus(listener: StatusListener): void {
    this.statusListeners.push(listener);
  }

  /** Start listening; resolves once the first LISTEN succeeded or failed (a failure retries in the background). */
  async start(): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client(this.config);
    this.client = client;
    const down = () => {
      if (this.client !== client) return;
      this.listening = false;
      this.client = null;
      client.removeAllListeners('notification');
      void client.end().catch(() => undefined);
      if (!this.closed) this.retry = setTimeout(() => void this.start(), RETRY_MS);
    };
    client.on('error', down);
    client.on('end', down);
    try {
      await client.connect();
      const schema = (await client.query<{ s: string }>('select current_schema() as s')).rows[0]?.s;
      client.on('notification', (n) => {
        if (n.channel === CHANNEL) {
          if (n.payload === schema) this.counter++;
        } else if (n.channel === STATUS_CHANNEL && n.payload) this.status(n.payload, schema);
      });
      await client.query(`listen ${CHANNEL}; listen ${STATUS_CHANNEL}`);
      // Whatever committed before the LISTEN took effect was not notified: memos from before are void.
      this.counter++;
      this.session++;
      this.listening = this.client === client;
    } catch {
      down();
    }
  }

  /** Watch a pooled connection's statements: a commit (or an autocommitted statement) that wrote moves the version. */
  watch(client: pg.PoolClient): void {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    let inTransaction = false;
    let wrote = false;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const first = args[0];
      const text = typeof first === 'string' ? first : (first as { text?: unknown } | null)?.text;
      const result = query(...args);
      if (typeof text !== 'string') return result;
      const head = text.trimStart().slice(0, 9).toLowerCase();
      if (head.startsWith('begin') || head.startsWith('start tra')) {
        inTransaction = true;
        wrote = false;
        return result;
      }
      if (head.startsWith('commit') || (head.startsWith('rollback') && !/^\s*rollback\s+to/i.test(text))) {
        const bump = wrote && head.startsWith('commit');
        inTransaction = false;
        wrote = false;
        return bump ? this.after(result) : result;
      }
      if (!this.writes(text)) return result;
      if (inTransaction) {
        wrote = true;
        return result;
      }
      return this.after(result);
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.listening = false;
    if (this.retry) clearTimeout(this.retry);
    const c = this.client;
    this.client = null;
    await c?.end().catch(() => undefined);
  }

  private status(payload: string, schema: string | undefined): void {
    let note: { s?: unknown; t?: unknown; a?: unknown };
    try {
      note = JSON.parse(payload) as typeof note;
    } catch {
      return;
    }
    if (note.s !== schema || typeof note.t !== 'number') return;
    const agents = Array.isArray(note.a) ? (note.a as StatusNote[]) : undefined;
    for (const l of this.statusListeners) l(note.t, agents);
  }

  private writes(text: string): boolean {
    let w = this.classified.get(text);
    if (w === undefined) {
      w = WRITES.test(text) && !STATUS_ONLY.test(text);
      if (this.classified.size >= 2000) this.classified.clear();
      this.classified.set(text, w);
    }
    return w;
  }

  /** Move the version once `result` settled (the statement or the commit is done, whatever its outcome). */
  private after(result: unknown): unknown {
    if (!result || typeof (result as Promise<unknown>).then !== 'function') {
      this.counter++;
      return result;
    }
    return (result as Promise<unknown>).then(
      (r) => {
        this.counter++;
        return r;
      },
      (e: unknown) => {
        this.counter++;
        throw e;
      },
    );
  }
}
