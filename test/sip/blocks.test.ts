import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { oneJson, tongdai } from '../helpers/cli.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { closedCall, startAgent, startCustomer } from './helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from './helpers/peers.js';
import { UdpClient, registerText } from './helpers/udp-client.js';

const skip = (await requireTool('sipsak')) || (await requireTool('sipp'));

describe(
  'scanner guard: carriers stay reachable, blocks are visible and liftable while running',
  { skip },
  () => {
    let s: TestServer;
    const peers = new Peers();
    before(async () => {
      s = await startTestServer({ clock: systemClock });
    });
    afterEach(() => peers.killAll());
    after(async () => {
      peers.killAll();
      await s?.close();
    });

    /** sipsak from 127.0.0.1 (the demo trunk's address); `file` sends that message instead of its own OPTIONS. */
    async function sipsak(file?: string) {
      const args = [
        '-s',
        `sip:probe@127.0.0.1:${s.t.sipPort}`,
        '-H',
        '127.0.0.1',
        '-l',
        String(await freeUdpPort()),
      ];
      return peers.start('sipsak', file ? [...args, '-f', file] : args, 15_000).done;
    }

    it('a sipsak probe and a friendly-scanner OPTIONS from the trunk do not block it: an inbound call works', async () => {
      const own = await sipsak();
      assert.equal(
        own.code,
        0,
        `sipsak's own OPTIONS (User-Agent: sipsak) answered 200: ${own.stdout}${own.stderr}`,
      );
      const file = join(peers.dir, 'scanner-options.txt');
      writeFileSync(
        file,
        [
          `OPTIONS sip:probe@127.0.0.1:${s.t.sipPort} SIP/2.0`,
          'Via: SIP/2.0/UDP 127.0.0.1:5999;branch=z9hG4bKsipsakscan;rport',
          'From: <sip:scan@127.0.0.1>;tag=scan1',
          `To: <sip:probe@127.0.0.1:${s.t.sipPort}>`,
          'Call-ID: sipsak-scan-1',
          'CSeq: 1 OPTIONS',
          'User-Agent: friendly-scanner',
          'Max-Forwards: 70',
          'Content-Length: 0',
          '',
          '',
        ].join('\n'),
      );
      const scan = await sipsak(file);
      assert.equal(
        scan.code,
        0,
        `friendly-scanner OPTIONS from the trunk answered 200: ${scan.stdout}${scan.stderr}`,
      );
      const list = oneJson(await tongdai(['--json', 'sip', 'blocks', 'list'], s.env));
      assert.deepEqual(list.blocks, []);

      const agent = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 300 });
      const customer = await startCustomer(peers, s, 'customer-call.xml', 1000, '0909555001');
      const c = await customer.done;
      assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
      assert.equal((await agent.done).code, 0);
      const rec = await closedCall(s, 'caller_number', '0909555001');
      assert.equal(rec.direction, 'inbound');
      assert.equal(rec.hangup_cause, 'NORMAL_CLEARING');
    });

    it('`tongdai sip blocks list` shows a scanner block and `lift` ends it while the server runs', async () => {
      const scanner = await new UdpClient(s.t.sipPort, '127.0.0.2').open();
      try {
        const register = (cseq: number, userAgent?: string) =>
          scanner.send(
            registerText({
              user: s.demo.agents[1]!.extension,
              domain: s.demo.sip_domain,
              cseq,
              callId: `blocked-${cseq}`,
              port: scanner.port,
              userAgent,
            }),
          );
        register(1, 'friendly-scanner');
        assert.equal((await scanner.response(1)).status, 403);
        const listed = await waitFor(
          async () => {
            const r = oneJson(await tongdai(['--json', 'sip', 'blocks', 'list'], s.env));
            return r.blocks.length ? r.blocks : null;
          },
          10_000,
          'the block in the CLI list',
        );
        assert.equal(listed[0].address, '127.0.0.2');
        assert.equal(listed[0].reason, 'scanner');
        assert.equal(listed[0].user_agent, 'friendly-scanner');
        register(2);
        assert.equal((await scanner.response(2)).status, 403, 'still blocked');

        const lift = oneJson(await tongdai(['--json', 'sip', 'blocks', 'lift', '127.0.0.2'], s.env));
        assert.equal(lift.lifted, 1);
        let cseq = 3;
        await waitFor(
          async () => {
            register(cseq);
            return (await scanner.response(cseq++)).status === 401 ? true : null;
          },
          10_000,
          'a challenge (not 403) once the block is lifted',
        );
        assert.deepEqual(oneJson(await tongdai(['--json', 'sip', 'blocks', 'list'], s.env)).blocks, []);
      } finally {
        scanner.close();
      }
    });
  },
);
