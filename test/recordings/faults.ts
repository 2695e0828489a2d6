/**
 * Test peers for the recordings suite: a real S3-protocol server (s3rver) on a random port, a TCP proxy in
 * front of it that can refuse connections or hold requests (storage away, an upload in flight), and tongdai
 * server processes (`tongdai serve`) that a test can SIGKILL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { type Server, type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import S3rver from 's3rver';

export const BUCKET = 'tongdai-recordings';

export async function startS3(): Promise<{ endpoint: string; port: number; close(): Promise<void> }> {
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: mkdtempSync(join(tmpdir(), 'tongdai-s3rver-')),
    configureBuckets: [{ name: BUCKET }],
  });
  const addr = await server.run();
  return { endpoint: `http://127.0.0.1:${addr.port}`, port: addr.port, close: () => server.close() };
}

/** The RECORDINGS_* environment for S3 storage at `endpoint` (s3rver's built-in credentials). */
export function s3Env(endpoint: string): Record<string, string> {
  return {
    RECORDINGS_STORAGE: 's3',
    RECORDINGS_S3_BUCKET: BUCKET,
    RECORDINGS_S3_ENDPOINT: endpoint,
    RECORDINGS_S3_REGION: 'us-east-1',
    RECORDINGS_S3_ACCESS_KEY_ID: 'S3RVER',
    RECORDINGS_S3_SECRET_ACCESS_KEY: 'S3RVER',
    RECORDINGS_S3_FORCE_PATH_STYLE: 'true',
  };
}

export type ProxyMode = 'pass' | 'refuse' | 'hold';

/** A TCP proxy to `port`: passes traffic, refuses connections, or holds them (reads, never forwards). */
export async function faultProxy(port: number) {
  let mode: ProxyMode = 'pass';
  const held = new Set<Socket>();
  let onHeld: (() => void) | null = null;
  const server: Server = createServer((client) => {
    if (mode === 'refuse') return client.destroy();
    if (mode === 'hold') {
      held.add(client);
      client.on('data', () => onHeld?.());
      client.on('error', () => undefined);
      client.on('close', () => held.delete(client));
      return;
    }
    const upstream = connect(port, '127.0.0.1');
    client.pipe(upstream).pipe(client);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  const own = typeof addr === 'object' && addr ? addr.port : 0;
  return {
    endpoint: `http://127.0.0.1:${own}`,
    set(m: ProxyMode) {
      mode = m;
    },
    /** Resolves when a held connection has sent a request. */
    requestHeld(): Promise<void> {
      return new Promise((r) => (onHeld = r));
    },
    close(): Promise<void> {
      for (const s of held) s.destroy();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

const BIN = fileURLToPath(new URL('../../bin/tongdai.mjs', import.meta.url));

export interface Node {
  proc: ChildProcess;
  url: Promise<string>;
  /** Every log line so far (pino JSON). */
  logs: { msg?: string; [k: string]: unknown }[];
  waitLog(
    msg: string | ((l: Node['logs'][number]) => boolean),
    timeoutMs?: number,
  ): Promise<Record<string, unknown>>;
  kill(): Promise<void>;
}

/** A `tongdai serve` process on the given storage environment, ports picked by the OS. */
export function startNode(env: Record<string, string>): Node {
  const proc = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, PORT: '0', SIP_PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: Node['logs'] = [];
  const waiters = new Set<() => void>();
  let buf = '';
  let stderr = '';
  proc.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  proc.stdout?.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl: number;
    while ((nl = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      try {
        logs.push(JSON.parse(line) as Node['logs'][number]);
      } catch {
        // The human banner is not a log line.
      }
      for (const w of [...waiters]) w();
    }
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  const waitLog: Node['waitLog'] = (msg, timeoutMs = 60_000) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const match = typeof msg === 'string' ? (l: Node['logs'][number]) => l.msg === msg : msg;
      const check = () => {
        const hit = logs.find(match);
        if (hit) {
          waiters.delete(check);
          clearTimeout(timer);
          resolve(hit);
        }
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no "${String(msg)}" log line in ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
      void exited.then(() => {
        if (waiters.has(check)) {
          waiters.delete(check);
          clearTimeout(timer);
          reject(new Error(`node exited before "${String(msg)}"; stderr: ${stderr.slice(-2000)}`));
        }
      });
    });
  const url = waitLog((l) => String(l.msg).startsWith('tongdai is ready')).then((l) => {
    const demo = l.demo as { http_url?: string } | undefined;
    return (l.http_url as string | undefined) ?? demo?.http_url ?? '';
  });
  return {
    proc,
    url,
    logs,
    waitLog,
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}
