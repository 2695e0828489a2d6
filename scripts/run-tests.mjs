#!/usr/bin/env node
// Runs the test suites with node's test runner (through tsx). `npm test` runs the unit tests beside the
// code (src/**/*.test.ts) and the integration suite (test/**/*.test.ts) on the embedded SQLite store;
// `--integration` runs only the integration suite, against DATABASE_URL / REDIS_URL when set.
import { spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

const args = process.argv.slice(2);
const integrationOnly = args.includes('--integration');
const filters = args.filter((a) => !a.startsWith('--'));

function collect(dir, out = []) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return out;
  }
  for (const name of entries) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) collect(path, out);
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

let files = integrationOnly ? collect('test') : [...collect('src'), ...collect('test')];
if (filters.length > 0) files = files.filter((f) => filters.some((p) => f.includes(p)));
files.sort();
if (files.length === 0) {
  console.error('run-tests: no test files matched');
  process.exit(1);
}
const env = { ...process.env };
if (!integrationOnly) {
  // The default suite is the embedded one: never pick up a developer's external services by accident.
  delete env.DATABASE_URL;
  delete env.REDIS_URL;
}
// Timing-sensitive suites (`*.serial.test.ts`: media pacing, call-rate checks) run alone after the rest, so a
// neighbouring test file never competes with them for the two cores.
const serial = files.filter((f) => f.endsWith('.serial.test.ts'));
const parallel = files.filter((f) => !f.endsWith('.serial.test.ts'));
/** Run one group, echoing its output live and reading the runner's own summary counts. */
function runGroup(group, concurrency) {
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      // --test-force-exit: a failed test that leaves a socket open would otherwise keep its file's process, and
      // so the whole suite, waiting forever (seen: a relay test failing under load held four UDP sockets).
      [
        '--import',
        'tsx',
        '--test',
        '--test-force-exit',
        `--test-concurrency=${concurrency}`,
        '--test-reporter=spec',
        ...group,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'], env },
    );
    let out = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      out += chunk.toString();
    });
    child.on('close', (code) => {
      const count = (label) => Number(new RegExp(`^ℹ ${label} (\\d+)$`, 'm').exec(out)?.[1] ?? 0);
      resolve({ code: code ?? 1, pass: count('pass'), fail: count('fail'), skipped: count('skipped') });
    });
  });
}

let status = 0;
const total = { pass: 0, fail: 0, skipped: 0 };
for (const [group, concurrency] of [
  [parallel, 2],
  [serial, 1],
]) {
  if (group.length === 0) continue;
  const r = await runGroup(group, concurrency);
  if (r.code !== 0) status = r.code;
  total.pass += r.pass;
  total.fail += r.fail;
  total.skipped += r.skipped;
}
console.log(`\ntotal: ${total.pass} passed, ${total.fail} failed, ${total.skipped} skipped`);
process.exit(status);
