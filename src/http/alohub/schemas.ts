import { Type } from 'typebox';

/** The largest id the stores' integer columns hold; larger ids are refused as input, not left to the database. */
export const INT32_MAX = 2_147_483_647;
/** The document's own sample lists 413 agents in one page: up to 1,000 rows a page. */
export const MAX_PAGE_SIZE = 1000;

/** A documented "type | null" field. */
export const Nullable = <T extends Parameters<typeof Type.Union>[0][number]>(t: T) =>
  Type.Union([t, Type.Null()]);

/** Paging of every AloHub list: pages from 0, 20 rows by default. */
export const PagingQuery = {
  page: Type.Integer({ minimum: 0, maximum: 1_000_000, default: 0 }),
  size: Type.Integer({ minimum: 1, maximum: MAX_PAGE_SIZE, default: 20 }),
};
