#!/usr/bin/env node
// What the Kamailio edge costs per call, against what a node spends on the same call, in one run (issue #17).
// Starts `scripts/cluster.mjs` (Kamailio + three nodes, a schema of its own), then sends the same sipp load of
// carrier INVITEs to the hotline twice: straight to the node owning the tenant, then through the edge. Nobody is
// logged in, so each call is refused by the ACD (INVITE, 100, 480, ACK): signalling only, no media. The edge never
// touches RTP, so with real calls the node's share only grows: the ratio below is an upper bound of the edge's.
// CPU is read from /proc (utime + stime of every process of Kamailio's group and of the three nodes).
//   node bench/cluster/edge-cost.mjs [--calls 150] [--rate 5]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import pg from 'pg';

const arg = (n, d) => {
  const i = process.argv.indexOf(`--${n}`);
  return i >= 0 ? process.argv[i + 1] : d;
};
const calls = Number(arg('calls', '150'));
const rate = Number(arg('rate', '5'));
const root = resolve(fileURLToPath(import.meta.url), '..', '..', '..');
const dir = mkdtempSync(join(tmpdir(), 'tongdai-edge-bench-'));
const schema = `bench_edge_${process.pid}`;
const databaseUrl = process.env.DATABASE_URL ?? 'postgres://root@127.0.0.1:5432/root';
const env = { ...process.env, DATABASE_URL: databaseUrl, DATABASE_SCHEMA: schema, LOG_LEVEL: 'warn' };
const ports = { edge: 5960, http: [18181, 18182, 18183], sip: [15171, 15172, 15173] };

const cluster = spawn(
  process.execPath,
  [
    join(root, 'scripts', 'cluster.mjs'),
    '--json',
    '--dir',
    dir,
    '--edge-port',
    String(ports.edge),
    '--http-ports',
    ports.http.join(','),
    '--sip-ports',
    ports.sip.join(','),
  ],
  { env, detached: true, stdio: ['ignore', 'pipe', 'inherit'] },
);
const ready = await new Promise((r) =>
  createInterface({ input: cluster.stdout }).once('line', (l) => r(JSON.parse(l))),
);

const db = new pg.Client({ connectionString: databaseUrl });
await db.connect();
const q = async (sql) => (await db.query(sql)).rows;
const [lease] = await q(`select node_id from ${schema}.tenant_leases limit 1`);
const [num] = await q(`select number from ${schema}.numbers limit 1`);
const owner = ready.nodes.find((n) => n.id === lease.node_id);

/** CPU seconds of every process in `pgid`'s process group. */
function groupCpu(pgid) {
  let ticks = 0;
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const f = readFileSync(`/proc/${p}/stat`, 'utf8');
      const after = f.slice(f.lastIndexOf(')') + 2).split(' ');
      if (Number(after[2]) === pgid) ticks += Number(after[11]) + Number(after[12]);
    } catch {
      // gone
    }
  }
  return ticks / 100;
}
const pgidOf = (pattern) =>
  Number(execFileSync('pgrep', ['-f', '-o', pattern]).toString().trim().split('\n')[0]);
const kamailio = pgidOf(`kamailio -DD -E -f ${join(dir, 'kamailio')}`);
// Each node is the process bound to its SIP port (and leads a process group of its own).
const pidOn = (hostport) => {
  const out = execFileSync('ss', ['-Hulpn', `sport = :${hostport.split(':')[1]}`]).toString();
  return Number(/pid=(\d+)/.exec(out)?.[1]);
};
const nodePids = ready.nodes.map((n) => pidOn(n.sip));
const nodesCpu = () => nodePids.reduce((t, p) => t + groupCpu(p), 0);

const csv = join(dir, 'calls.csv');
writeFileSync(csv, `SEQUENTIAL\n${num.number};0909555001;\n`);
function load(target) {
  return new Promise((r) => {
    const t0 = Date.now();
    const p = spawn('sipp', [
      target,
      '-sf',
      join(root, 'test', 'sip', 'scenarios', 'customer-refused.xml'),
      '-inf',
      csv,
      '-i',
      '127.0.0.1',
      '-r',
      String(rate),
      '-m',
      String(calls),
      '-nostdin',
      '-timeout',
      '120',
    ]);
    let out = '';
    p.stdout.on('data', (d) => (out += d));
    p.on('exit', (code) => {
      const ok = Number(/Successful call\s+\|\s+\d+\s+\|\s+(\d+)/.exec(out)?.[1] ?? 0);
      r({ code, ok, ms: Date.now() - t0 });
    });
  });
}
async function phase(name, target) {
  const k0 = groupCpu(kamailio);
  const n0 = nodesCpu();
  const res = await load(target);
  return { name, ...res, edgeCpu: groupCpu(kamailio) - k0, nodeCpu: nodesCpu() - n0 };
}
const load0 = loadavg()[0];
const direct = await phase('direct to the owner', owner.sip);
const edge = await phase('through the edge', ready.edge);
const row = (p) =>
  `${p.name}: ${p.ok}/${calls} refused as expected in ${p.ms} ms; Kamailio ${(
    (p.edgeCpu / calls) *
    1000
  ).toFixed(2)} ms CPU/call, nodes (all three) ${((p.nodeCpu / calls) * 1000).toFixed(2)} ms CPU/call`;
console.log(row(direct));
console.log(row(edge));
console.log(
  `edge cost: Kamailio CPU / nodes' CPU through the edge = ${((edge.edgeCpu / edge.nodeCpu) * 100).toFixed(1)} %` +
    ` (load average at start ${load0.toFixed(1)})`,
);
process.kill(-cluster.pid, 'SIGTERM');
await new Promise((r) => cluster.on('exit', r));
await q(`drop schema ${schema} cascade`);
await db.end();
rmSync(dir, { recursive: true, force: true });
