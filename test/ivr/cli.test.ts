import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type TestServer, startTestServer, storageKind } from '../helpers/harness.js';
import { assertOneLineError, oneJson, tongdai } from '../helpers/cli.js';
import { Peers } from '../sip/helpers/peers.js';

describe(`tongdai ivr commands (${storageKind})`, () => {
  let s: TestServer;
  const dir = new Peers().dir;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  it('imports a flow from a JSON file, a second import of the name is version 2, an invalid file names its path', async () => {
    const file = join(dir, 'flow.json');
    const flow = {
      start: 'm',
      nodes: { m: { type: 'menu', prompt: ['welcome'], options: { '1': { type: 'hangup' } } } },
    };
    writeFileSync(file, JSON.stringify(flow));
    const tenant = String(s.demo.tenant_id);
    const args = ['--json', 'ivr', 'import', '--tenant', tenant, '--file', file, '--name', 'Main'];
    const first = oneJson(await tongdai(args, s.env));
    assert.equal(first.version, 1);
    const second = oneJson(await tongdai(args, s.env));
    assert.equal(second.flow_id, first.flow_id);
    assert.equal(second.version, 2);
    const list = oneJson(await tongdai(['--json', 'ivr', 'list', '--tenant', tenant], s.env));
    assert.deepEqual(list.flows, [{ id: first.flow_id, name: 'Main', version: 2, numbers: [] }]);

    writeFileSync(file, JSON.stringify({ ...flow, timezone: 'Mars/Olympus' }));
    const bad = await tongdai(['ivr', 'import', '--tenant', tenant, '--file', file, '--name', 'Main'], s.env);
    assertOneLineError(bad, /\/timezone: unknown time zone/);
  });
});
