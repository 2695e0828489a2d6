/**
 * The route table as the server publishes it: every operation of /openapi.json with its family (the first tag's
 * word), the scope it requires (`x-scope`), its path and query parameters and its JSON body schema. The fuzz
 * suite and the tenancy × scope matrix are generated from this, so a new route is covered without editing them.
 */
import type { Scope } from '../../src/domain/credentials.js';

export type Family = 'native' | 'alohub' | 'omicall' | 'ccai' | 'antbuddy' | 'recordings';

/** The subset of JSON Schema the TypeBox route schemas use. */
export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  pattern?: string;
  format?: string;
  items?: JsonSchema;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: boolean | JsonSchema;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  nullable?: boolean;
}

/** Which AntBuddy signature a route checks (src/http/antbuddy/auth.ts). */
export type Signature = 'header' | 'histories' | 'media' | 'directory';

export interface Param {
  name: string;
  in: 'path' | 'query';
  required: boolean;
  schema: JsonSchema;
}

export interface Route {
  method: string;
  /** OpenAPI form: `/api/agents/{id}`. */
  path: string;
  family: Family;
  scope: Scope | undefined;
  public: boolean;
  signature: Signature | undefined;
  params: Param[];
  /** The JSON body schema, when the route takes one. */
  body: JsonSchema | undefined;
  /** A route that takes a raw (non-JSON) body, e.g. the MOH upload. */
  rawBody: boolean;
}

interface Operation {
  tags?: string[];
  parameters?: (Param & { in: string })[];
  requestBody?: { content?: Record<string, { schema?: JsonSchema }> };
  'x-scope'?: Scope;
  'x-public'?: boolean;
  'x-signature'?: Signature;
}

const FAMILIES: readonly Family[] = ['native', 'alohub', 'omicall', 'ccai', 'antbuddy', 'recordings'];

/** Routes whose body is not JSON (their spec entry has none): the upload families. */
const RAW_BODY = new Set(['POST /api/media/moh']);

export async function loadRoutes(baseUrl: string): Promise<Route[]> {
  const res = await fetch(`${baseUrl}/openapi.json`);
  if (res.status !== 200) throw new Error(`/openapi.json answered ${res.status}`);
  const doc = (await res.json()) as { paths: Record<string, Record<string, Operation>> };
  const routes: Route[] = [];
  for (const [path, ops] of Object.entries(doc.paths)) {
    for (const [method, op] of Object.entries(ops)) {
      const word = (op.tags?.[0] ?? '').split(':')[0]!.trim();
      const family = FAMILIES.find((f) => f === word);
      if (!family) throw new Error(`${method.toUpperCase()} ${path}: tag "${word}" names no family`);
      const m = method.toUpperCase();
      routes.push({
        method: m,
        path,
        family,
        scope: op['x-scope'],
        public: op['x-public'] === true,
        signature: op['x-signature'],
        params: (op.parameters ?? [])
          .filter((p): p is Param => p.in === 'path' || p.in === 'query')
          .map((p) => ({ name: p.name, in: p.in, required: p.required === true, schema: p.schema ?? {} })),
        body: op.requestBody?.content?.['application/json']?.schema,
        rawBody: RAW_BODY.has(`${m} ${path}`),
      });
    }
  }
  return routes;
}

export const routeName = (r: Route) => `${r.method} ${r.path}`;
