#!/usr/bin/env node
// Writes the site part of deploy/kamailio/kamailio.cfg for N tongdai nodes on loopback:
//   node scripts/cluster-config.mjs --dir <out> --edge-port 5060 --node-ports 5071,5072,5073 [--host 127.0.0.1]
// Output: <out>/dispatcher.list (set 1, one line per node) and <out>/cluster-local.cfg (listen + list path),
// next to a copy of kamailio.cfg so that `kamailio -f <out>/kamailio.cfg` finds both.
import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export function clusterConfig({ dir, edgePort, nodePorts, host = '127.0.0.1' }) {
  mkdirSync(dir, { recursive: true });
  const list = nodePorts
    .map((p, i) => `1 sip:${host}:${p};transport=udp 0 ${nodePorts.length - i} node=n${i + 1}`)
    .join('\n');
  writeFileSync(join(dir, 'dispatcher.list'), `# setid destination flags priority attrs\n${list}\n`);
  const listFile = resolve(dir, 'dispatcher.list');
  writeFileSync(
    join(dir, 'cluster-local.cfg'),
    `#!define EDGE_LISTEN udp:${host}:${edgePort}\n#!define DISPATCHER_LIST "${listFile}"\n`,
  );
  const here = dirname(fileURLToPath(import.meta.url));
  copyFileSync(join(here, '..', 'deploy', 'kamailio', 'kamailio.cfg'), join(dir, 'kamailio.cfg'));
  return join(dir, 'kamailio.cfg');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i >= 0 ? process.argv[i + 1] : dflt;
  };
  const cfg = clusterConfig({
    dir: arg('dir', 'deploy/kamailio/generated'),
    edgePort: Number(arg('edge-port', '5060')),
    nodePorts: arg('node-ports', '5071,5072,5073').split(',').map(Number),
    host: arg('host', '127.0.0.1'),
  });
  console.log(cfg);
}
