#!/usr/bin/env node
// `npm run fuzz`: the spec-driven fuzz suite at a large count, on demand (not in CI). FUZZ_RUNS cases per route
// (default 5000); FUZZ_SEED replays a run (default: a fresh seed, printed first). DATABASE_URL / REDIS_URL select
// PostgreSQL / Redis as for the integration suite. Extra arguments are passed to node's test runner.
import { spawn } from 'node:child_process';
import { randomInt } from 'node:crypto';

const env = { ...process.env };
env.FUZZ_RUNS ??= '5000';
env.FUZZ_SEED ??= String(randomInt(1, 2 ** 31 - 1));
console.log(`fuzz: FUZZ_RUNS=${env.FUZZ_RUNS} FUZZ_SEED=${env.FUZZ_SEED} (replay with the same FUZZ_SEED)`);
const child = spawn(
  process.execPath,
  [
    '--import',
    'tsx',
    '--test',
    '--test-reporter=spec',
    '--test-timeout=0',
    ...process.argv.slice(2),
    'test/fuzz/fuzz.test.ts',
  ],
  { stdio: 'inherit', env },
);
child.on('close', (code) => process.exit(code ?? 1));
