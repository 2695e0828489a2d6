// A caller waiting in a queue hears the spoken position announcement: the G.711 payload tongdai sends is the
// committed prompt files' samples, file after file, with hold music around them.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { encode } from '../../src/media/g711.js';
import { toTelephonyPcm } from '../../src/media/wav.js';
import { promptFiles } from '../../src/prompts/files.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { freeMediaPort, registerContact } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { udpPeer } from './helpers.js';

const skip = await requireTool('sipp');
const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));

/** A prompt file as tongdai plays it in A-law: its samples, the last frame padded with A-law silence. */
function expectedAlaw(path: string): Buffer {
  const bytes = Buffer.from(encode('PCMA', toTelephonyPcm(readFileSync(path))));
  const pad = (160 - (bytes.length % 160)) % 160;
  return Buffer.concat([bytes, Buffer.alloc(pad, 0xd5)]);
}

describe('queue announcements over RTP (sipp caller)', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({ clock: systemClock });
    const db = s.t.ctx.db;
    await db
      .updateTable('inbound_queues')
      .set({ announce_position: 1, announce_interval_sec: 0, announce_language: 'vi' })
      .execute();
    await bumpRevision(db, s.demo.tenant_id);
    // One agent logged in (registered) but on a break: the caller waits (and is announced), nobody rings.
    const agentId = s.demo.agents[0]!.agent_id;
    await registerContact(s, 0, await freeUdpPort());
    await waitFor(
      async () =>
        (await s.t.ctx.statuses.getStatuses(s.demo.tenant_id, [agentId]))[0]?.status === 'Available',
      5000,
      'the agent logged in',
    );
    await s.t.ctx.statuses.setCustomStatus(s.demo.tenant_id, [agentId], 'Lunch', 'test');
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  it('the received payload carries "Quý khách là người thứ nhất trong hàng chờ" sample for sample', async () => {
    const audio = await udpPeer();
    try {
      const csv = peers.csv('announce-customer.csv', [[s.demo.hotline, '0909777001']]);
      const customer = peers.sippRun(
        `127.0.0.1:${s.t.sipPort}`,
        [
          ...['-sf', FIXTURES + 'tone-customer.xml', '-inf', csv],
          ...['-p', String(await freeUdpPort()), '-mp', String(await freeMediaPort())],
          ...['-key', 'rtpport', String(audio.port), '-d', '60000', '-m', '1'],
        ],
        90_000,
      );
      const files = promptFiles('vi', ['caller-number', 'thu', 'nhat', 'in-queue']);
      const want = files.map(expectedAlaw);
      const total = want.reduce((n, b) => n + b.length, 0);
      // Packets in sequence order (loopback keeps them in order); the announcement starts at once after the answer.
      const stream = () =>
        Buffer.concat(audio.got.filter((g) => g.pkt.payloadType === 8).map((g) => g.pkt.payload));
      await waitFor(
        () => stream().length >= total + 8000,
        30_000,
        'the announcement and a second of hold music',
      );
      const got = stream();
      let at = 0;
      for (const [i, w] of want.entries()) {
        const found = got.indexOf(w, at);
        assert.ok(found >= 0, `${files[i]} is in the received audio after byte ${at}`);
        if (i === 0)
          assert.ok(found < 1600, `the announcement begins within 200 ms of the stream (${found})`);
        else assert.equal(found, at, `${files[i]} follows the previous file directly`);
        at = found + w.length;
      }
      // Hold music follows: not silence, and not another copy of the announcement.
      const after = got.subarray(at, at + 4000);
      assert.ok(
        after.some((b) => b !== 0xd5 && b !== 0x55),
        'hold music after the announcement',
      );
      peers.killAll();
      await customer.done.catch(() => undefined);
    } finally {
      audio.close();
    }
  });
});
