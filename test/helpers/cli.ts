import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Run the real `tongdai` binary, as an operator would, with only the given environment. The timeout only
 * guards against a hang: a cold `tsx` start under a loaded machine (load 20 on 2 cores) took over 30 s.
 */
export function tongdai(args: string[], env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/tongdai.mjs', ...args],
      { env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'silent', ...env }, timeout: 120_000 },
      (err, stdout, stderr) =>
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** The single JSON object a `--json` command prints. */
export function oneJson(r: Run): any {
  const lines = r.stdout.trim().split('\n');
  assert.equal(lines.length, 1, `exactly one line of JSON, got: ${r.stdout} ${r.stderr}`);
  return JSON.parse(lines[0]!);
}

/** A failure reported as one line on stderr, with a non-zero exit and no stack trace. */
export function assertOneLineError(r: Run, pattern: RegExp): void {
  assert.notEqual(r.code, 0, 'non-zero exit');
  const lines = r.stderr.trim().split('\n');
  assert.equal(lines.length, 1, `one line, got: ${r.stderr}`);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
}
