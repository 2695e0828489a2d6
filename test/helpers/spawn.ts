import { type ChildProcessByStdio, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { DemoInfo } from '../../src/domain/demo.js';
import { type Storage, serverEnv } from './harness.js';

const CHILD = fileURLToPath(new URL('./server-child.ts', import.meta.url));

/** One JSON line the child prints: `ready` once listening, then every bus event. */
export interface ChildLine {
  ready?: boolean;
  url?: string;
  sipPort?: number;
  demo?: DemoInfo;
  event?: string;
  payload?: { current?: string; agentId?: number } & Record<string, unknown>;
  /** With CHILD_WS_TOKEN: a websocket auth_token of the demo tenant. */
  wsToken?: string;
  /** With CHILD_MEMORY_MS: the child's process.memoryUsage(). */
  memory?: NodeJS.MemoryUsage;
  /** A pino log line (LOG_LEVEL above silent): 50 error, 60 fatal. */
  level?: number;
  msg?: string;
}

export interface SpawnedServer {
  /** Resolves with the signal that ended the process (SIGKILL after `kill()`). */
  exited: Promise<NodeJS.Signals | null>;
  /** The first line (already seen or still to come) matching `match`; rejects after `ms` or on exit. */
  next(match: (l: ChildLine) => boolean, what: string, ms?: number): Promise<ChildLine>;
  /** Every line from now on (the soak counts events and error logs). */
  onLine(listener: (l: ChildLine) => void): void;
  /** kill -9: no graceful stop, whatever the process was doing. */
  kill(): void;
  /** The child's process id (its memory is read from /proc by the resource-bound tests). */
  pid: number;
}

/**
 * A real tongdai server in a child process on `storage` (test/helpers/server-child.ts), for tests that kill it
 * with SIGKILL and restart on the same data. `env` adds to the test server environment (NODE_ID, knobs).
 */
export function spawnServer(storage: Storage, env: Record<string, string> = {}): SpawnedServer {
  const child: ChildProcessByStdio<null, Readable, null> = spawn(
    process.execPath,
    ['--import', 'tsx', CHILD],
    {
      env: { PATH: process.env.PATH ?? '', ...serverEnv(storage, env) },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const seen: ChildLine[] = [];
  const listeners: ((l: ChildLine) => void)[] = [];
  const waiters: { match: (l: ChildLine) => boolean; resolve: (l: ChildLine) => void }[] = [];
  createInterface({ input: child.stdout }).on('line', (text) => {
    const line = JSON.parse(text) as ChildLine;
    seen.push(line);
    for (const l of listeners) l(line);
    for (const w of waiters.filter((x) => x.match(line))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(line);
    }
  });
  const exited = new Promise<NodeJS.Signals | null>((r) => child.on('exit', (_c, sig) => r(sig)));
  return {
    exited,
    next(match, what, ms = 20_000) {
      const hit = seen.find(match);
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server never said: ${what}`)), ms);
        waiters.push({ match, resolve: (l) => (clearTimeout(timer), resolve(l)) });
        child.on('exit', () => reject(new Error(`server exited before: ${what}`)));
      });
    },
    onLine: (listener) => void listeners.push(listener),
    kill: () => child.kill('SIGKILL'),
    pid: child.pid ?? 0,
  };
}
