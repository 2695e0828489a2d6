/**
 * fast-check arbitraries generated from a route's published schemas: values that fit (so requests reach the
 * handlers), and hostile ones (wrong types, boundary and non-finite numbers, huge strings, NUL bytes, invalid
 * escapes and UTF-8, duplicate keys, wrong content types) so they reach every refusal path.
 */
import fc from 'fast-check';
import { RAW, type Req } from './families.js';
import type { JsonSchema, Param, Route } from './spec.js';

/** Known-good values by field name (the demo tenant's ids, emails, domain…), so valid cases hit real rows. */
export type Hints = Record<string, readonly unknown[]>;

/** What a case does to its request: how the suite judges the answer. */
export type Mode = 'valid' | 'param' | 'body' | 'raw' | 'ctype' | 'auth';

export interface Case {
  mode: Mode;
  req: Req;
  /** Index into BAD_CREDENTIALS when mode is 'auth'. */
  badCredential: number;
}

const BIG = 'x'.repeat(70_000);

/** Values no schema should take at face value. */
export const HOSTILE_JSON: readonly unknown[] = [
  null,
  true,
  0,
  -1,
  -0,
  1.5,
  2 ** 31,
  -(2 ** 31) - 1,
  2 ** 53 + 2,
  Number.MAX_VALUE,
  -Number.MAX_VALUE,
  5e-324,
  '',
  ' ',
  '0',
  '-1',
  '1e309',
  'NaN',
  'null',
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\uffff',
  '🙂'.repeat(100),
  'x'.repeat(300),
  BIG,
  '%00',
  '../../etc/passwd',
  "' OR 1=1 --",
  '<script>alert(1)</script>',
  // Names every object inherits: a lookup table indexed by input must not find them.
  'toString',
  'constructor',
  '__proto__',
  'hasOwnProperty',
  [],
  [null],
  [1, '2', {}],
  Array.from({ length: 2000 }, (_, i) => i),
  {},
  JSON.parse('{"__proto__":{"polluted":1}}') as unknown,
  JSON.parse('{"constructor":{"prototype":{"polluted":1}}}') as unknown,
  { a: { b: { c: { d: { e: {} } } } } },
];

/** Path and query values: each is text on the wire; RAW ones go out without encoding. */
export const HOSTILE_PARAMS: readonly string[] = [
  '',
  ' ',
  '0',
  '-1',
  '-0',
  '1.5',
  '1e3',
  '1e309',
  '2147483648',
  '9007199254740993',
  '99999999999999999999999999',
  'NaN',
  'Infinity',
  'null',
  'true',
  '[]',
  '{}',
  'x'.repeat(101),
  'x'.repeat(5000),
  'x'.repeat(20_000),
  '\u0000',
  'a\u0000b',
  'a b',
  '１２',
  '🙂',
  '..',
  '__proto__',
  'toString',
  'constructor',
  'valueOf',
  RAW + '%',
  RAW + '%zz',
  RAW + '%00',
  RAW + '%E0%A4%A',
  RAW + '%FF%FE',
  RAW + '%C0%AF',
  RAW + '%uD800',
];

/** Bodies that are not the JSON they claim to be, or JSON that pushes the parser. */
function rawBodies(field: string): (string | Buffer)[] {
  return [
    '{',
    '{"a":',
    'nul',
    '[',
    '[]',
    'null',
    '"s"',
    '1',
    '\ufeff{}',
    `{"${field}":1,"${field}":"two"}`,
    `{"${field}":1e999}`,
    `{"${field}":-1e999}`,
    `{"${field}":NaN}`,
    `{"${field}":0x10}`,
    `{"${field}":99999999999999999999999999999}`,
    `{"${field}":"\\ud800"}`,
    `{"${field}":"\\u0000"}`,
    `{"${field}":"\\x41"}`,
    Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0xc0, 0xaf, 0x22, 0x7d]),
    Buffer.from([0xff, 0xfe, 0x7b, 0x00, 0x7d, 0x00]),
    '['.repeat(5000) + ']'.repeat(5000),
    `{"${field}":"${'a'.repeat(300 * 1024)}"}`,
    '{"__proto__":{"polluted":1},"constructor":{"prototype":{"polluted":1}}}',
  ];
}

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=zz',
  'application/xml',
  'application/json; charset=utf-16',
  'application/json, text/plain',
  'application/jsonx',
  '',
  ';;;',
];

const typesOf = (s: JsonSchema): string[] => (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []);

/** A value `s` accepts (or very nearly: bounds are the schema's own). */
export function valueArb(s: JsonSchema, name: string, hints: Hints): fc.Arbitrary<unknown> {
  const hinted = hints[name];
  const own = schemaArb(s, hints);
  return hinted && hinted.length > 0
    ? fc.oneof({ arbitrary: fc.constantFrom(...hinted), weight: 2 }, own)
    : own;
}

function schemaArb(s: JsonSchema, hints: Hints): fc.Arbitrary<unknown> {
  if (s.const !== undefined) return fc.constant(s.const);
  if (s.enum && s.enum.length > 0) return fc.constantFrom(...s.enum);
  const alts = s.anyOf ?? s.oneOf;
  if (alts && alts.length > 0) return fc.oneof(...alts.map((a) => schemaArb(a, hints)));
  if (s.allOf && s.allOf.length > 0) return schemaArb(Object.assign({}, ...s.allOf) as JsonSchema, hints);
  const types = typesOf(s);
  if (types.length > 1) return fc.oneof(...types.map((t) => schemaArb({ ...s, type: t }, hints)));
  const base = ((): fc.Arbitrary<unknown> => {
    switch (types[0]) {
      case 'integer': {
        const min = Math.max(s.minimum ?? -1000, Number.MIN_SAFE_INTEGER);
        const max = Math.min(s.maximum ?? 100_000, Number.MAX_SAFE_INTEGER);
        return fc.oneof(
          fc.integer({ min, max: Math.max(min, Math.min(max, min + 1000)) }),
          fc.constantFrom(min, max),
        );
      }
      case 'number':
        return fc.double({
          min: s.minimum ?? -1e6,
          max: s.maximum ?? 1e6,
          noNaN: true,
          noDefaultInfinity: true,
        });
      case 'boolean':
        return fc.boolean();
      case 'null':
        return fc.constant(null);
      case 'array':
        return fc.array(schemaArb(s.items ?? {}, hints), {
          minLength: s.minItems ?? 0,
          maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 4, 4)),
        });
      case 'object':
        return objectArb(s, hints);
      case 'string':
        return stringArb(s);
      case undefined:
      default:
        return fc.oneof(fc.string(), fc.integer(), fc.boolean());
    }
  })();
  return s.nullable ? fc.option(base, { nil: null }) : base;
}

function stringArb(s: JsonSchema): fc.Arbitrary<string> {
  const minLength = s.minLength ?? 0;
  const maxLength = Math.max(minLength, Math.min(s.maxLength ?? 40, 40));
  if (s.format === 'email') return fc.emailAddress();
  if (s.format === 'uri') return fc.webUrl();
  if (s.format === 'date-time') return fc.date({ noInvalidDate: true }).map((d) => d.toISOString());
  if (s.pattern) {
    try {
      return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= (s.maxLength ?? 10_000));
    } catch {
      // a pattern JS cannot compile: plain strings
    }
  }
  return fc.oneof(
    { arbitrary: fc.string({ minLength, maxLength, unit: 'grapheme' }), weight: 9 },
    { arbitrary: fc.constantFrom(...INHERITED), weight: 1 },
  );
}

/** Property names every object inherits, drawn now and then as ordinary strings. */
const INHERITED = ['toString', 'constructor', '__proto__', 'valueOf', 'hasOwnProperty', 'isPrototypeOf'];

function objectArb(s: JsonSchema, hints: Hints): fc.Arbitrary<Record<string, unknown>> {
  const props = s.properties ?? {};
  const shape: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [k, v] of Object.entries(props)) shape[k] = valueArb(v, k, hints);
  if (Object.keys(shape).length === 0)
    return fc.dictionary(fc.string({ maxLength: 8 }), fc.string(), { maxKeys: 3 });
  return fc.record(shape, { requiredKeys: (s.required ?? []).filter((k) => k in shape) });
}

/** A param's value as wire text. */
function paramText(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function fillPath(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, name: string) => {
    const v = values[name] ?? '1';
    return v.startsWith(RAW) ? v.slice(RAW.length) : encodeURIComponent(v);
  });
}

const paramsArb = (params: Param[], hints: Hints) =>
  fc.tuple(
    ...params.map((p) =>
      fc.record({
        name: fc.constant(p.name),
        where: fc.constant(p.in),
        present: p.required || p.in === 'path' ? fc.constant(true) : fc.boolean(),
        value: valueArb(p.schema, p.name, hints).map(paramText),
      }),
    ),
  );

/**
 * Every case for `route`: one arbitrary, its mode drawn first so each kind of abuse gets its share (or only the
 * modes in `only`).
 */
export function caseArb(
  route: Route,
  hints: Hints,
  badCredentials: number,
  only?: Mode[],
): fc.Arbitrary<Case> {
  const hasBody = route.body !== undefined || route.rawBody;
  const modes: Mode[] = ['valid', 'valid', 'param', 'param'];
  if (hasBody) modes.push('body', 'body', 'raw', 'ctype');
  if (!route.public) modes.push('auth');
  if (only) modes.splice(0, modes.length, ...only);
  const firstField = Object.keys(route.body?.properties ?? {})[0] ?? 'a';
  return fc
    .record({
      mode: fc.constantFrom(...modes),
      params: paramsArb(route.params, hints),
      body: route.body ? valueArb(route.body, '', hints) : fc.constant(undefined),
      rawUpload: fc.uint8Array({ maxLength: 2048 }),
      hostileParam: fc.constantFrom(...HOSTILE_PARAMS),
      hostileParamAt: fc.nat(),
      hostileJson: fc.constantFrom(...HOSTILE_JSON),
      hostileField: fc.oneof(
        fc.constantFrom(...Object.keys(route.body?.properties ?? { a: 1 })),
        fc.string(),
      ),
      rawBody: fc.constantFrom(...rawBodies(firstField)),
      contentType: fc.constantFrom(...CONTENT_TYPES),
      badCredential: fc.nat({ max: badCredentials - 1 }),
      extraQuery: fc.option(fc.tuple(fc.string({ maxLength: 10 }), fc.string({ maxLength: 10 }))),
    })
    .map((g): Case => {
      const values = g.params.filter((p) => p.present);
      if (g.mode === 'param' && route.params.length > 0) {
        const i = g.hostileParamAt % route.params.length;
        const target = g.params[i]!;
        const at = values.indexOf(target);
        // Half the time the hostile value replaces the param, otherwise a required one goes missing.
        if (at >= 0 && (g.hostileParamAt % 4 !== 3 || target.where === 'path')) {
          values[at] = { ...target, value: g.hostileParam };
        } else if (at >= 0) values.splice(at, 1);
        else values.push({ ...target, present: true, value: g.hostileParam });
      }
      const pathValues = Object.fromEntries(
        values.filter((p) => p.where === 'path').map((p) => [p.name, p.value]),
      );
      const query: [string, string][] = values
        .filter((p) => p.where === 'query')
        .map((p) => [p.name, p.value]);
      if (g.mode === 'param' && g.extraQuery) query.push(g.extraQuery);
      if (g.mode === 'param' && query.length > 0 && g.hostileParamAt % 5 === 0)
        query.push([query[0]![0], query[0]![1]]);
      const req: Req = { method: route.method, path: fillPath(route.path, pathValues), query, headers: {} };
      if (route.rawBody) {
        req.body = Buffer.from(g.rawUpload);
        req.headers['content-type'] = g.mode === 'ctype' ? g.contentType : 'application/octet-stream';
        if (g.mode === 'raw' && typeof g.rawBody !== 'string') req.body = g.rawBody;
      } else if (route.body) {
        let body: unknown = g.body;
        if (g.mode === 'body') {
          body =
            g.hostileParamAt % 3 === 0
              ? g.hostileJson
              : { ...(typeof g.body === 'object' && g.body ? g.body : {}), [g.hostileField]: g.hostileJson };
        }
        req.body = g.mode === 'raw' ? g.rawBody : JSON.stringify(body);
        req.headers['content-type'] = g.mode === 'ctype' ? g.contentType : 'application/json';
        if (g.mode === 'ctype' && g.contentType === '') delete req.headers['content-type'];
      }
      return { mode: g.mode, req, badCredential: g.badCredential };
    });
}
