#!/usr/bin/env node
// `npm run cluster`: Kamailio (deploy/kamailio/kamailio.cfg) in front of three tongdai nodes on loopback, against
// the local PostgreSQL and Redis, for trying several nodes and for test/cluster/launcher.test.ts.
//   node scripts/cluster.mjs [--dir .cluster] [--edge-port 5060] [--http-ports 8081,8082,8083]
//                            [--sip-ports 5071,5072,5073] [--json]
// DATABASE_URL (default postgres://root@127.0.0.1:5432/root), DATABASE_SCHEMA (default tongdai_cluster),
// REDIS_URL (default redis://127.0.0.1:6379). The nodes share one data directory (one secret key). Ctrl-C stops
// everything. --json prints one line {"ready":true,"edge":…,"nodes":[…]} once every node answers /readyz.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clusterConfig } from './cluster-config.mjs';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : dflt;
};
const json = process.argv.includes('--json');
const root = resolve(fileURLToPath(import.meta.url), '..', '..');
const dir = resolve(arg('dir', '.cluster'));
const edgePort = Number(arg('edge-port', '5060'));
const httpPorts = arg('http-ports', '8081,8082,8083').split(',').map(Number);
const sipPorts = arg('sip-ports', '5071,5072,5073').split(',').map(Number);
if (httpPorts.length !== sipPorts.length) throw new Error('--http-ports and --sip-ports differ in length');

const children = [];
let stopping = false;
function stop(code) {
  if (stopping) return;
  stopping = true;
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGTERM');
    } catch {
      // already gone
    }
  }
  setTimeout(() => {
    for (const c of children) {
      try {
        process.kill(-c.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    process.exit(code);
  }, 3000).unref();
}
process.on('SIGINT', () => stop(0));
process.on('SIGTERM', () => stop(0));

function run(name, cmd, args, env) {
  // Own process group, so stopping the launcher stops Kamailio's children too.
  const c = spawn(cmd, args, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(c);
  const prefix = (d) =>
    d
      .toString()
      .split('\n')
      .filter(Boolean)
      .map((l) => `[${name}] ${l}\n`)
      .join('');
  // In --json mode stdout carries only the ready line: children's output goes to stderr.
  c.stdout.on('data', (d) => process.stderr.write(prefix(d)));
  c.stderr.on('data', (d) => process.stderr.write(prefix(d)));
  c.on('exit', (code, sig) => {
    if (stopping) return;
    process.stderr.write(`[cluster] ${name} exited (${sig ?? code}); stopping\n`);
    stop(1);
  });
  return c;
}

async function ready(url, ms = 60_000) {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    try {
      const r = await fetch(`${url}/readyz`);
      if (r.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} not ready after ${ms} ms`);
}

const dataDir = join(dir, 'data');
mkdirSync(dataDir, { recursive: true });
const base = {
  PATH: process.env.PATH ?? '',
  HOME: process.env.HOME ?? '',
  DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/root',
  DATABASE_SCHEMA: process.env.DATABASE_SCHEMA ?? 'tongdai_cluster',
  REDIS_URL: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  TONGDAI_DATA: dataDir,
  HOST: '127.0.0.1',
  SIP_HOST: '127.0.0.1',
  PUBLIC_IP: '127.0.0.1',
  // Requests from the edge carry the carrier's real address (X-Tongdai-Source).
  SIP_EDGE_ADDRESSES: '127.0.0.1',
  LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
  ...(process.env.TONGDAI_SECRET_KEY ? { TONGDAI_SECRET_KEY: process.env.TONGDAI_SECRET_KEY } : {}),
};

const nodes = [];
try {
  // One node at a time: each migrates and seeds the demo tenant when missing (not meant to race).
  for (let i = 0; i < sipPorts.length; i++) {
    const id = `n${i + 1}`;
    const env = {
      ...base,
      NODE_ID: id,
      PORT: String(httpPorts[i]),
      SIP_PORT: String(sipPorts[i]),
      // Disjoint RTP ranges on one host.
      RTP_PORT_MIN: String(20000 + i * 2000),
      RTP_PORT_MAX: String(20000 + i * 2000 + 1999),
    };
    run(id, process.execPath, [join(root, 'bin', 'tongdai.mjs'), 'serve'], env);
    const http = `http://127.0.0.1:${httpPorts[i]}`;
    await ready(http);
    nodes.push({ id, http, sip: `127.0.0.1:${sipPorts[i]}` });
  }
  const cfg = clusterConfig({ dir: join(dir, 'kamailio'), edgePort, nodePorts: sipPorts });
  run('kamailio', '/usr/sbin/kamailio', ['-DD', '-E', '-f', cfg, '-w', join(dir, 'kamailio')], {
    PATH: base.PATH,
  });
} catch (e) {
  process.stderr.write(`[cluster] ${e instanceof Error ? e.message : String(e)}\n`);
  stop(1);
}
if (!stopping) {
  const edge = `127.0.0.1:${edgePort}`;
  if (json) process.stdout.write(JSON.stringify({ ready: true, edge, nodes }) + '\n');
  else {
    process.stdout.write(
      `\n  SIP edge (Kamailio): udp ${edge} — register phones and point carriers here\n` +
        nodes.map((n) => `  node ${n.id}: HTTP ${n.http}  SIP ${n.sip}\n`).join('') +
        `  database ${base.DATABASE_URL} schema ${base.DATABASE_SCHEMA}, redis ${base.REDIS_URL}\n` +
        `  demo credentials: DATABASE_URL=… DATABASE_SCHEMA=… TONGDAI_DATA=${dataDir} node bin/tongdai.mjs demo\n` +
        `  Ctrl-C stops everything.\n\n`,
    );
  }
}
