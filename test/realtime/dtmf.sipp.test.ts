import assert from 'node:assert/strict';
import { type Server, createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { type TestServer, requireTool, startTestServer } from '../helpers/harness.js';
import { freeMediaPort, startAgent } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort } from '../sip/helpers/peers.js';
import { authToken } from '../antbuddy/helpers.js';
import { type Recorder, record, subscribe } from './helpers.js';
import { generateWebhookSecret, verify } from '../../src/webhooks/signing.js';

/** A webhook receiver on loopback that keeps every delivery it got. */
async function receiver(): Promise<{
  server: Server;
  url: string;
  got: { headers: Record<string, string>; body: string }[];
}> {
  const got: { headers: Record<string, string>; body: string }[] = [];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      got.push({ headers: req.headers as Record<string, string>, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address() as { port: number };
  return { server, url: `http://127.0.0.1:${addr.port}/hooks/tongdai`, got };
}

const skip = await requireTool('sipp');
const SCENARIO = fileURLToPath(new URL('./fixtures/customer-dtmf.xml', import.meta.url));

describe('DTMF from a real call reaches Socket.IO subscribers and webhook endpoints', { skip }, () => {
  let s: TestServer;
  const peers = new Peers();
  let c: Recorder;
  let hooks: Awaited<ReturnType<typeof receiver>>;
  const secret = generateWebhookSecret();

  before(async () => {
    s = await startTestServer({ clock: systemClock, env: { DEMO_TRUNK_PORT: String(await freeUdpPort()) } });
    await s.t.ctx.db.updateTable('inbound_queues').set({ wrapup_sec: 0, ring_timeout_sec: 5 }).execute();
    await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
    c = record(s.url);
    const ack = await subscribe(c.socket, {
      account_id: s.demo.account_id,
      auth_token: await authToken(s.url, s.demo.app_id, s.demo.app_secret),
      binding: 'call.*.*',
    });
    assert.equal(ack.ok, true);
    // An endpoint subscribed to DTMF and call ends only (as the console's webhook screen stores one).
    hooks = await receiver();
    await s.t.ctx.db
      .insertInto('webhook_endpoints')
      .values({
        tenant_id: s.demo.tenant_id,
        url: hooks.url,
        secret_enc: s.t.ctx.box.seal(secret),
        events: 'call.dtmf,call.ended',
        created_at: Date.now(),
      })
      .execute();
  });
  after(async () => {
    peers.killAll();
    c?.close();
    await s?.close();
    hooks?.server.close();
  });

  it("the customer's key press (RFC 4733) arrives as DTMF between the call's ANSWER and DESTROY", async () => {
    const agent = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 200 });
    const csv = peers.csv('customer-dtmf.csv', [[s.demo.hotline, '0909123456']]);
    const customer = await peers.sippRun(
      `127.0.0.1:${s.t.sipPort}`,
      [
        '-sf',
        SCENARIO,
        '-inf',
        csv,
        '-p',
        String(await freeUdpPort()),
        '-mp',
        String(await freeMediaPort()),
      ].concat(['-d', '1500', '-m', '1']),
      60_000,
    ).done;
    assert.equal(customer.code, 0, customer.stdout.slice(-1500) + customer.stderr);
    await agent.done;
    const got = await c.waitFor(['CHANNEL_ANSWER', 'DTMF', 'CHANNEL_DESTROY'], 3, 10_000);
    const callId = got[0]!.data.call_id;
    const names = c.events.filter((e) => e.data?.call_id === callId).map((e) => e.name);
    const caller = c.events.find((e) => e.name === 'DTMF' && e.data.leg === 'caller');
    assert.ok(caller, JSON.stringify(c.events));
    assert.equal(caller.data.call_id, callId);
    assert.equal(caller.data.dtmf_digit, '5');
    assert.ok(caller.data.dtmf_duration > 0);
    assert.ok(names.indexOf('CHANNEL_ANSWER') < names.indexOf('DTMF'), names.join());
    assert.ok(names.indexOf('DTMF') < names.indexOf('CHANNEL_DESTROY'), names.join());

    // The same digit as a signed webhook, then the call's end; nothing the endpoint did not subscribe to.
    const types = () => hooks.got.map((h) => (JSON.parse(h.body) as { type: string }).type);
    const deadline = Date.now() + 15_000;
    const digits = c.events.filter((e) => e.name === 'DTMF' && e.data.call_id === callId).length;
    // Jobs carry no order: wait for the end and for every digit.
    while (
      (!types().includes('call.ended') || types().filter((t) => t === 'call.dtmf').length < digits) &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 50));
    const bodies = hooks.got.map((h) => JSON.parse(h.body));
    // Every digit heard is published (the echoing agent phone sends the 5 back: an `agent` leg digit too).
    assert.ok(types().includes('call.ended'), types().join());
    assert.deepEqual(
      [...new Set(types())].sort(),
      ['call.dtmf', 'call.ended'],
      'only the subscribed event types',
    );
    assert.equal(
      bodies.filter((b) => b.type === 'call.dtmf').length,
      digits,
      'as many digits as the Socket.IO subscriber got',
    );
    for (const h of hooks.got) {
      const ok = verify(
        secret,
        {
          id: h.headers['webhook-id']!,
          timestamp: h.headers['webhook-timestamp']!,
          signature: h.headers['webhook-signature']!,
        },
        h.body,
        Math.floor(Date.now() / 1000),
      );
      assert.ok(ok, 'signed with the endpoint secret');
    }
    const dtmf = bodies.find((b) => b.type === 'call.dtmf' && b.data.leg === 'caller');
    assert.equal(dtmf.tenant_id, s.demo.tenant_id);
    assert.deepEqual(Object.keys(dtmf.data).sort(), ['at', 'call_id', 'digit', 'duration_ms', 'leg']);
    assert.equal(dtmf.data.call_id, callId);
    assert.equal(dtmf.data.digit, '5');
    assert.equal(dtmf.data.leg, 'caller');
    assert.ok(dtmf.data.duration_ms > 0);
    const ended = bodies.find((b) => b.type === 'call.ended');
    assert.equal(ended.data.call_id, callId);
    assert.equal(ended.data.hangup_cause, 'NORMAL_CLEARING');
  });
});
