import type { SeedExample } from './seed-examples.js';

/** One HTTP request a seed example makes, before the host, key and ids are substituted. */
export interface ExampleRequest {
  label: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
}

function must(m: RegExpMatchArray | null, what: string, src: string): RegExpMatchArray {
  if (!m) throw new Error(`cannot find ${what} in example:\n${src}`);
  return m;
}

function parseCurl(src: string): ExampleRequest[] {
  return src
    .split(/^(?=curl )/m)
    .filter((chunk) => chunk.startsWith('curl '))
    .map((chunk, i) => {
      const [, method = '', url = ''] = must(chunk.match(/curl -X (\w+) "([^"]+)"/), 'method and url', chunk);
      const headers: Record<string, string> = {};
      for (const h of chunk.matchAll(/-H "([^:"]+): ([^"]*)"/g)) headers[h[1] ?? ''] = h[2] ?? '';
      const data = chunk.match(/-d '([^']*)'/);
      return { label: `curl #${i + 1}`, method, url, headers, ...(data ? { body: data[1] } : {}) };
    });
}

function quotedPairs(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/'([^']+)': '([^']*)'/g)) out[m[1] ?? ''] = m[2] ?? '';
  return out;
}

function parseAxios(src: string): ExampleRequest[] {
  const [, verb = '', url = ''] = must(src.match(/axios\.(get|put)\(\s*'([^']+)'/), 'axios call', src);
  const headersAt = src.lastIndexOf('{ headers:');
  const headers = quotedPairs(src.slice(headersAt));
  let body: string | undefined;
  if (verb === 'put') {
    const start = src.indexOf(`'${url}',`) + url.length + 3;
    const raw = src.slice(start, src.lastIndexOf(',', headersAt));
    body = JSON.stringify(JSON.parse(raw));
  }
  return [{ label: 'axios', method: verb.toUpperCase(), url, headers, ...(body ? { body } : {}) }];
}

/** The seed's python is JSON-compatible (it even writes `true`), so its dict literals parse as JSON. */
function pyDict(src: string, name: string): Record<string, unknown> | undefined {
  const at = src.indexOf(`${name} = {`);
  if (at < 0) return undefined;
  let depth = 0;
  for (let i = src.indexOf('{', at); i < src.length; i++) {
    if (src[i] === '{') depth++;
    if (src[i] === '}' && --depth === 0) return JSON.parse(src.slice(src.indexOf('{', at), i + 1));
  }
  throw new Error(`unbalanced ${name} in example:\n${src}`);
}

function parsePython(src: string): ExampleRequest[] {
  const [, verb = '', url = ''] = must(src.match(/requests\.(get|put)\(\s*'([^']+)'/), 'requests call', src);
  const params = pyDict(src, 'params') as Record<string, string> | undefined;
  const headers = (pyDict(src, 'headers') ?? {}) as Record<string, string>;
  const payload = src.includes('json=payload') ? pyDict(src, 'payload') : undefined;
  const query = params ? `?${new URLSearchParams(params).toString()}` : '';
  return [
    {
      label: 'python',
      method: verb.toUpperCase(),
      url: url + query,
      headers,
      ...(payload ? { body: JSON.stringify(payload) } : {}),
    },
  ];
}

/** The requests an example makes, in the order it makes them. */
export function requestsOf(ex: SeedExample): ExampleRequest[] {
  switch (ex.kind) {
    case 'curl':
      return parseCurl(ex.source);
    case 'axios':
      return parseAxios(ex.source);
    case 'python':
      return parsePython(ex.source);
  }
}

export interface Substitution {
  baseUrl: string;
  apiKey: string;
  tenantId: number;
  /** The `{{id}}` of each endpoint heading. */
  ids: Record<string, string>;
}

/** Point an example at a running server: host and key replaced, and the path moved to `prefix`. */
export function substitute(
  ex: SeedExample,
  r: ExampleRequest,
  sub: Substitution,
  prefix: '/v1' | '/api/v1',
): ExampleRequest {
  const fill = (v: string) =>
    v
      .replaceAll('https://xapi.alohub.vn', sub.baseUrl)
      .replaceAll('{{host}}', sub.baseUrl)
      .replaceAll('sk_live_xxx', sub.apiKey)
      .replaceAll('{{api-key}}', sub.apiKey)
      .replaceAll('{{tenant-id}}', String(sub.tenantId))
      .replaceAll('{{id}}', sub.ids[ex.endpoint] ?? '{{id}}');
  const url = fill(r.url).replace(/^(https?:\/\/[^/]+)(?:\/api)?\/v1\//, `$1${prefix}/`);
  const headers = Object.fromEntries(Object.entries(r.headers).map(([k, v]) => [k, fill(v)]));
  return { ...r, url, headers, ...(r.body !== undefined ? { body: fill(r.body) } : {}) };
}
