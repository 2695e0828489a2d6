import { sql } from 'kysely';
import type { Executor } from '../store/db.js';
import { countAll } from '../store/db.js';
import type { Agent } from '../store/schema.js';
import { invalid } from '../errors.js';
import { normalizeEmail } from './agents.js';

/** Sort keys a client may name (OmiCall field names) and the columns behind them. */
export const SORT_FIELDS = {
  created_date: 'created_at',
  last_updated_date: 'updated_at',
  full_name: 'name',
  email: 'email',
  identify_info: 'email',
  phone_number: 'phone',
  extension: 'extension',
} as const;
export type SortField = keyof typeof SORT_FIELDS;

export interface AgentSearch {
  /** Substring over name, email and phone (case-insensitive for ASCII). */
  keyword?: string;
  /** Each list filters when non-empty; lists combine with AND, values within a list with OR. */
  emails?: string[];
  phones?: string[];
  extensions?: string[];
  sort?: { field: string; isAsc: boolean };
  page: number;
  size: number;
}

export interface Page<T> {
  items: T[];
  page_number: number;
  page_size: number;
  total_items: number;
  total_pages: number;
  has_next: boolean;
  next_page: number;
  has_previous: boolean;
  previous_page: number;
}

/**
 * The paging block every OmiCall list carries. Pages count from 1; where there is no next (previous) page,
 * next_page (previous_page) repeats the current page (1 on the first), as the document's samples show.
 */
export function pageOf<T>(items: T[], page: number, size: number, total: number): Page<T> {
  const totalPages = Math.ceil(total / size);
  const hasNext = page < totalPages;
  const hasPrevious = page > 1;
  return {
    items,
    page_number: page,
    page_size: size,
    total_items: total,
    total_pages: totalPages,
    has_next: hasNext,
    next_page: hasNext ? page + 1 : page,
    has_previous: hasPrevious,
    // Past the end, "previous" points at the last page that has rows, not at another empty one.
    previous_page: hasPrevious ? Math.max(1, Math.min(page - 1, totalPages)) : 1,
  };
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => '\\' + c);
}

/** The tenant's live agents matching the search, one page of them, and the total count. */
export async function searchAgents(
  db: Executor,
  tenantId: number,
  s: AgentSearch,
): Promise<{ rows: Agent[]; total: number }> {
  const sortField = s.sort?.field ?? 'created_date';
  if (!Object.hasOwn(SORT_FIELDS, sortField)) {
    throw invalid(
      `sort.field must be one of ${Object.keys(SORT_FIELDS).join(', ')}; got "${sortField}"`,
      'sort_field_invalid',
    );
  }
  const column = SORT_FIELDS[sortField as SortField];
  const dir = s.sort ? (s.sort.isAsc ? 'asc' : 'desc') : 'desc';
  let q = db.selectFrom('agents').where('tenant_id', '=', tenantId).where('deleted_at', 'is', null);
  const emails = (s.emails ?? []).map(normalizeEmail).filter(Boolean);
  const phones = (s.phones ?? []).map((p) => p.trim()).filter(Boolean);
  const extensions = (s.extensions ?? []).map((e) => e.trim()).filter(Boolean);
  if (emails.length) q = q.where('email', 'in', emails);
  if (phones.length) q = q.where('phone', 'in', phones);
  if (extensions.length) q = q.where('extension', 'in', extensions);
  const keyword = s.keyword?.trim();
  if (keyword) {
    const pattern = `%${escapeLike(keyword.toLowerCase())}%`;
    // ESCAPE spelled out: SQLite has no default LIKE escape character, PostgreSQL's is the backslash.
    q = q.where(
      sql<boolean>`(lower(name) like ${pattern} escape '\\' or email like ${pattern} escape '\\' or phone like ${pattern} escape '\\')`,
    );
  }
  const count = await q.select(countAll().as('n')).executeTakeFirstOrThrow();
  const rows = await q
    .selectAll()
    .orderBy(column, dir)
    .orderBy('id', dir)
    .limit(s.size)
    .offset((s.page - 1) * s.size)
    .execute();
  return { rows, total: Number(count.n) };
}
