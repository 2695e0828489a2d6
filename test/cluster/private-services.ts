import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freeTcpPort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const run = promisify(execFile);

/**
 * PostgreSQL and Redis servers of a test's own, on free loopback ports, that it may stop and start under traffic:
 * the machine's shared servers are used by other runs at the same time and must never be restarted.
 */

/** The newest PostgreSQL server binaries installed (Debian: /usr/lib/postgresql/<major>/bin), or null. */
export function postgresBin(): string | null {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return null;
  const majors = readdirSync(root)
    .filter((v) => existsSync(join(root, v, 'bin', 'initdb')) && existsSync(join(root, v, 'bin', 'pg_ctl')))
    .sort((a, b) => Number(b) - Number(a));
  return majors[0] ? join(root, majors[0], 'bin') : null;
}

/** A throwaway PostgreSQL cluster (initdb) in a temporary directory; run as `postgres` when we are root. */
export class PrivatePostgres {
  port = 0;
  readonly dir = mkdtempSync(join(tmpdir(), 'tongdai-pg-'));
  private readonly asRoot = process.getuid?.() === 0;

  constructor(private readonly bin: string) {}

  get url(): string {
    return `postgres://tongdai@127.0.0.1:${this.port}/postgres`;
  }

  private async pg(tool: string, args: string[]): Promise<void> {
    const cmd = join(this.bin, tool);
    const [file, argv] = this.asRoot ? ['runuser', ['-u', 'postgres', '--', cmd, ...args]] : [cmd, args];
    await run(file, argv, { timeout: 120_000 });
  }

  async init(): Promise<this> {
    this.port = await freeTcpPort();
    if (this.asRoot) {
      const { stdout } = await run('id', ['-u', 'postgres']);
      const { stdout: gid } = await run('id', ['-g', 'postgres']);
      chownSync(this.dir, Number(stdout.trim()), Number(gid.trim()));
    }
    const data = join(this.dir, 'data');
    await this.pg('initdb', ['-D', data, '-A', 'trust', '-U', 'tongdai', '-E', 'UTF8', '--no-sync']);
    await this.start();
    return this;
  }

  async start(): Promise<void> {
    const opts = `-p ${this.port} -h 127.0.0.1 -k ${this.dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off`;
    await this.pg('pg_ctl', [
      '-D',
      join(this.dir, 'data'),
      '-o',
      opts,
      '-l',
      join(this.dir, 'log'),
      '-w',
      '-t',
      '90',
      'start',
    ]);
  }

  /** `fast`: the server disconnects every session and stops (what a restart does to requests in flight). */
  async stop(mode: 'fast' | 'immediate' = 'fast'): Promise<void> {
    await this.pg('pg_ctl', ['-D', join(this.dir, 'data'), '-m', mode, '-w', '-t', '90', 'stop']);
  }

  async destroy(): Promise<void> {
    await this.stop('immediate').catch(() => undefined);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A redis-server of the test's own (no persistence), stopped with SIGKILL and started again on the same port. */
export class PrivateRedis {
  port = 0;
  private proc?: ChildProcess;

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<this> {
    if (!this.port) this.port = await freeTcpPort();
    const proc = spawn(
      'redis-server',
      ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.proc = proc;
    let out = '';
    proc.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-4000)));
    proc.stderr!.on('data', () => undefined);
    await waitFor(
      () => {
        if (proc.exitCode !== null) throw new Error(`redis-server exited: ${out}`);
        return out.includes('Ready to accept connections');
      },
      30_000,
      'redis-server ready',
    );
    return this;
  }

  async stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const exited = new Promise((r) => p.once('exit', r));
    p.kill('SIGKILL');
    await exited;
  }
}
