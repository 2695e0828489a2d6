import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

/**
 * The layering of src/calls (issue 13): no SQL of its own (no import of src/store or kysely: reads and writes go
 * through src/domain), and no import cycle among its files (type-only imports count: a cycle of types is still
 * two files that cannot be understood apart).
 */
const CALLS = resolve(dirname(fileURLToPath(import.meta.url)), '../../src/calls');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return e.name.endsWith('.ts') ? [p] : [];
  });
}

/** Every module specifier a file imports or re-exports (static and dynamic). */
function specifiers(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  const re =
    /(?:^|\n)\s*(?:import|export)\b[^;'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|(?:^|\n)\s*import\s*['"]([^'"]+)['"]/g;
  for (const m of text.matchAll(re)) out.push((m[1] ?? m[2] ?? m[3])!);
  return out;
}

const files = sources(CALLS);
const rel = (f: string) => relative(CALLS, f);

test('src/calls has files to check (the scan itself works)', () => {
  assert.ok(files.length > 10, `only ${files.length} files found under ${CALLS}`);
  assert.ok(specifiers(join(CALLS, 'engine.ts')).includes('./call.js'));
});

test('no file in src/calls imports src/store or kysely', () => {
  const bad: string[] = [];
  for (const f of files) {
    for (const s of specifiers(f)) {
      const target = s.startsWith('.') ? resolve(dirname(f), s) : s;
      const inStore =
        s.startsWith('.') && relative(resolve(CALLS, '../store'), target).split(/[\\/]/)[0] !== '..';
      if (inStore || s === 'kysely' || s.startsWith('kysely/')) bad.push(`${rel(f)} → ${s}`);
    }
  }
  assert.deepEqual(bad, [], 'src/calls reads and writes through src/domain only');
});

test('no import cycle inside src/calls', () => {
  const graph = new Map<string, string[]>();
  for (const f of files) {
    const deps = specifiers(f)
      .filter((s) => s.startsWith('.'))
      .map((s) => resolve(dirname(f), s).replace(/\.js$/, '.ts'))
      .filter((t) => t.startsWith(CALLS + '/') && files.includes(t));
    graph.set(f, deps);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (f: string): void => {
    state.set(f, 'open');
    stack.push(f);
    for (const d of graph.get(f) ?? []) {
      if (state.get(d) === 'open') cycles.push([...stack.slice(stack.indexOf(d)), d].map(rel).join(' → '));
      else if (!state.has(d)) visit(d);
    }
    stack.pop();
    state.set(f, 'done');
  };
  for (const f of files) if (!state.has(f)) visit(f);
  assert.deepEqual(cycles, []);
});
