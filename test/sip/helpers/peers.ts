import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const SCENARIOS = fileURLToPath(new URL('../scenarios/', import.meta.url));

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Every peer process a test file started, so `after()` can kill them even when an assertion failed. */
export class Peers {
  private readonly procs = new Set<ChildProcess>();
  readonly dir = mkdtempSync(join(tmpdir(), 'tongdai-sip-'));

  /** Write an injection CSV for sipp (`SEQUENTIAL` then one line per call). */
  csv(name: string, rows: string[][]): string {
    const path = join(this.dir, name);
    writeFileSync(path, ['SEQUENTIAL', ...rows.map((r) => r.join(';') + ';')].join('\n') + '\n');
    return path;
  }

  /** Write `template` (a scenario with `{{NAME}}` placeholders) filled in with `vars` into the temp dir. */
  scenario(template: string, vars: Record<string, string>, name = basename(template)): string {
    const path = join(this.dir, name);
    writeFileSync(path, fillTemplate(readFileSync(template, 'utf8'), vars));
    return path;
  }

  /** Start a process; `done` resolves when it exits (killed after `timeoutMs`). */
  start(cmd: string, args: string[], timeoutMs = 30_000): { proc: ChildProcess; done: Promise<Finished> } {
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: this.dir });
    this.procs.add(proc);
    let stdout = '';
    let stderr = '';
    proc.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
    const done = new Promise<Finished>((resolve) => {
      proc.on('exit', (code) => {
        clearTimeout(timer);
        this.procs.delete(proc);
        resolve({ code, stdout, stderr });
      });
    });
    return { proc, done };
  }

  /** Run sipp in the background (no screen), with error traces in the temp dir. */
  sipp(target: string, args: string[], timeoutMs = 30_000) {
    return this.start(
      'sipp',
      [target, '-bg', '-nostdin', '-trace_err', '-i', '127.0.0.1', ...args],
      timeoutMs,
    );
  }

  /** sipp in foreground-less mode: `-bg` forks, so run it attached but without a screen. */
  sippRun(target: string, args: string[], timeoutMs = 30_000) {
    return this.start(
      'sipp',
      [target, '-nostdin', '-trace_err', '-i', '127.0.0.1', '-timeout_error', ...args],
      timeoutMs,
    );
  }

  killAll(): void {
    for (const p of this.procs) p.kill('SIGKILL');
    this.procs.clear();
  }
}

/** `{{NAME}}` placeholders of a scenario template replaced by their values. */
export function fillTemplate(text: string, vars: Record<string, string>): string {
  return Object.entries(vars).reduce((xml, [k, v]) => xml.replaceAll(`{{${k}}}`, v), text);
}

// The SIP tests import these from here; they are defined once, in test/helpers.
export { freeUdpPort, portFree } from '../../helpers/ports.js';
export { sleep, waitFor } from '../../helpers/wait.js';
