import type { Ajv } from 'ajv';

/** The largest integer any request field may carry unless its schema says otherwise: ids are 32-bit. */
export const INT_MAX = 2_147_483_647;
export const INT_MIN = -2_147_483_648;

/** The custom keyword every request string gets: PostgreSQL cannot store NUL, and no field means one. */
export const NO_NUL = 'x-no-nul';

/** Register the keywords hardened schemas use. */
export function addBoundsKeywords(ajv: Ajv): void {
  ajv.addKeyword({
    keyword: NO_NUL,
    type: 'string',
    schemaType: 'boolean',
    errors: true,
    validate: function noNul(this: unknown, _schema: boolean, data: string): boolean {
      if (!data.includes('\u0000')) return true;
      (noNul as unknown as { errors: unknown[] }).errors = [
        { keyword: NO_NUL, message: 'must not contain NUL characters', params: {} },
      ];
      return false;
    },
  });
}

type Node = Record<string, unknown>;

function typesOf(s: Node): string[] {
  const t = s.type;
  return Array.isArray(t) ? (t as string[]) : typeof t === 'string' ? [t] : [];
}

/**
 * A copy of a request schema where every integer is bounded to 32 bits, every number to a finite safe range and
 * every string refuses NUL, unless the schema already bounds it. This is what keeps `page=1e23`, `Infinity`,
 * ids above 2^31−1 and `\u0000` out of SQL (PostgreSQL answers those with an error, i.e. a 500) in every route
 * at once. Response schemas are not touched.
 */
export function boundSchema(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(boundSchema);
  if (schema === null || typeof schema !== 'object') return schema;
  const src = schema as Node;
  const out: Node = {};
  for (const [k, v] of Object.entries(src)) {
    // `const`, `enum`, `default` and `examples` hold values, not schemas.
    out[k] = k === 'const' || k === 'enum' || k === 'default' || k === 'examples' ? v : boundSchema(v);
  }
  const types = typesOf(src);
  const hasMax = src.maximum !== undefined || src.exclusiveMaximum !== undefined;
  const hasMin = src.minimum !== undefined || src.exclusiveMinimum !== undefined;
  if (types.includes('integer')) {
    if (!hasMax) out.maximum = INT_MAX;
    if (!hasMin) out.minimum = INT_MIN;
  } else if (types.includes('number')) {
    if (!hasMax) out.maximum = Number.MAX_SAFE_INTEGER;
    if (!hasMin) out.minimum = -Number.MAX_SAFE_INTEGER;
  }
  if (types.includes('string')) out[NO_NUL] = true;
  return out;
}
