import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { DemoInfo } from '../../src/domain/demo.js';
import { type Storage, newStorage, requireTool } from '../helpers/harness.js';
import { Peers, freeUdpPort } from '../sip/helpers/peers.js';
import { edgeAgent, edgeCustomer, registerThroughEdge } from './edge.js';

const skip = !process.env.DATABASE_URL
  ? 'npm run cluster runs three nodes on one database: PostgreSQL only (DATABASE_URL and REDIS_URL)'
  : (await requireTool('kamailio')) || (await requireTool('sipp'));

const SCRIPT = fileURLToPath(new URL('../../scripts/cluster.mjs', import.meta.url));

interface Ready {
  edge: string;
  nodes: { id: string; http: string; sip: string }[];
}

/**
 * `npm run cluster` as a user runs it (scripts/cluster.mjs, on a schema of its own): Kamailio and three nodes come
 * up and print their addresses; every node is ready; an agent registers through the edge and a carrier's call to
 * the hotline is bridged with the agent on the node owning the tenant.
 */
describe('npm run cluster', { skip }, () => {
  let storage: Storage;
  let proc: ChildProcess;
  let ready: Ready;
  const peers = new Peers();

  before(async () => {
    storage = newStorage('tongdai-launcher-');
    const [edgePort, ...sip] = await Promise.all([1, 2, 3, 4].map(() => freeUdpPort()));
    // A loopback port free for UDP is free for TCP in practice (the nodes bind both for SIP; HTTP is TCP).
    const http = await Promise.all([1, 2, 3].map(() => freeUdpPort()));
    proc = spawn(
      process.execPath,
      [
        SCRIPT,
        '--json',
        '--dir',
        storage.dataDir,
        '--edge-port',
        String(edgePort),
        '--http-ports',
        http.join(','),
        '--sip-ports',
        sip.join(','),
      ],
      {
        env: { ...process.env, ...storage.env, LOG_LEVEL: 'warn' },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let log = '';
    proc.stderr!.on('data', (d: Buffer) => (log = (log + d.toString()).slice(-4000)));
    ready = await new Promise<Ready>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`cluster not ready:\n${log}`)), 120_000);
      createInterface({ input: proc.stdout! }).on('line', (l) => {
        clearTimeout(timer);
        resolve(JSON.parse(l) as Ready);
      });
      proc.on('exit', () => reject(new Error(`cluster exited:\n${log}`)));
    });
  });
  after(async () => {
    peers.killAll();
    if (proc?.pid) {
      const exited = new Promise((r) => proc.on('exit', r));
      process.kill(-proc.pid, 'SIGTERM');
      await exited;
    }
    await storage?.remove();
  });

  it('starts Kamailio and three nodes; a carrier call through the edge is bridged with an agent', async () => {
    assert.equal(ready.nodes.length, 3);
    for (const n of ready.nodes) assert.equal((await fetch(`${n.http}/readyz`)).status, 200);
    const { stdout } = await new Promise<{ stdout: string }>((resolve) => {
      const c = spawn(
        process.execPath,
        [fileURLToPath(new URL('../../bin/tongdai.mjs', import.meta.url)), '--json', 'demo'],
        {
          env: {
            ...process.env,
            ...storage.env,
            TONGDAI_DATA: `${storage.dataDir}/data`,
            DATABASE_SCHEMA: storage.pgSchema,
          },
        },
      );
      let out = '';
      c.stdout.on('data', (d: Buffer) => (out += d.toString()));
      c.on('exit', () => resolve({ stdout: out }));
    });
    const demo = JSON.parse(stdout) as DemoInfo;
    const edge = { port: Number(ready.edge.split(':')[1]) };
    const agentPort = await freeUdpPort();
    await registerThroughEdge(edge, { demo }, 0, agentPort);
    // Every node adopts registrations other nodes wrote in its 1 s sweeper: give the slowest two rounds.
    await new Promise((r) => setTimeout(r, 2500));
    const agent = await edgeAgent(peers, edge, agentPort);
    const call = await edgeCustomer(peers, edge, demo.hotline, '0909666001');
    const c = await call.done;
    assert.equal(c.code, 0, c.stdout.slice(-1500));
    const a = await agent.done;
    assert.equal(a.code, 0, a.stdout.slice(-1500));
  });
});
