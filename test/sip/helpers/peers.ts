import { type ChildProcess, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** A UDP port that was free a moment ago (for peers that need to be told their port up front). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  const port = s.address().port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Whether a UDP port on loopback can be bound right now. */
export async function portFree(port: number): Promise<boolean> {
  const s = createSocket('udp4');
  const ok = await new Promise<boolean>((r) => {
    s.once('error', () => r(false));
    s.bind(port, '127.0.0.1', () => r(true));
  });
  if (ok) await new Promise<void>((r) => s.close(() => r()));
  return ok;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Poll `fn` until it returns a truthy value or `timeoutMs` passes. */
export async function waitFor<T>(
  fn: () => T | null | undefined | false | Promise<T | null | undefined | false>,
  timeoutMs = 10_000,
  what = 'condition',
): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v as T;
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}
