import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { bumpRevision } from '../../src/domain/tenants.js';
import { inspectMp3 } from '../../src/recordings/mp3.js';
import { type TestServer, call, requireTool, startTestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, freeUdpPort, waitFor } from '../sip/helpers/peers.js';
import { type Recorder, record, roundTrip, subscribe } from '../realtime/helpers.js';
import { appHeaders, authToken, signedQuery } from './helpers.js';

const skip = await requireTool('sipp');
const CALL_EVENTS = ['CHANNEL_CREATE', 'CHANNEL_ANSWER', 'CHANNEL_DESTROY'];
const GREGORIAN = 62167219200;

describe(
  'AntBuddy end to end: a real SIP call into a queue, seen over Socket.IO and in the history',
  { skip },
  () => {
    let s: TestServer;
    const peers = new Peers();
    let mine: Recorder;
    let theirs: Recorder;
    let callId = '';

    before(async () => {
      s = await startTestServer({
        clock: systemClock,
        env: { DEMO_TRUNK_PORT: String(await freeUdpPort()) },
      });
      await s.t.ctx.db
        .updateTable('inbound_queues')
        .set({ wrapup_sec: 0, ring_timeout_sec: 5, record_calls: 1 })
        .execute();
      await bumpRevision(s.t.ctx.db, s.demo.tenant_id);
      const token = await authToken(s.url, s.demo.app_id, s.demo.app_secret);
      mine = record(s.url);
      // As the AntBuddy document shows it: one subscribe per event.
      for (const binding of ['call.CHANNEL_CREATE.*', 'call.CHANNEL_ANSWER.*', 'call.CHANNEL_DESTROY.*']) {
        const ack = await subscribe(mine.socket, {
          account_id: s.demo.account_id,
          auth_token: token,
          binding,
        });
        assert.equal(ack.ok, true);
      }
      const other = await otherTenant(s);
      theirs = record(s.url);
      const ack = await subscribe(theirs.socket, {
        account_id: other.tenant.account_id,
        auth_token: await authToken(s.url, other.appId, other.appSecret),
        binding: 'call.*.*',
      });
      assert.equal(ack.ok, true);
    });
    after(async () => {
      peers.killAll();
      mine?.close();
      theirs?.close();
      await s?.close();
    });

    it('CHANNEL_CREATE, CHANNEL_ANSWER, CHANNEL_DESTROY arrive in order with one call_id; the other tenant sees nothing', async () => {
      const agent = await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 300 });
      const customer = await startCustomer(peers, s, 'customer-call.xml', 3000);
      const c = await customer.done;
      assert.equal(c.code, 0, c.stdout.slice(-1500) + c.stderr);
      const a = await agent.done;
      assert.equal(a.code, 0, a.stdout.slice(-1500) + a.stderr);
      const got = await mine.waitFor(CALL_EVENTS, 3, 10_000);
      assert.deepEqual(
        got.map((e) => e.name),
        CALL_EVENTS,
      );
      callId = got[0]!.data.call_id;
      assert.ok(got.every((e) => e.data.call_id === callId));
      const row = await s.t.ctx.db
        .selectFrom('calls')
        .selectAll()
        .where('call_id', '=', callId)
        .executeTakeFirstOrThrow();
      assert.equal(row.tenant_id, s.demo.tenant_id);
      for (const e of got) {
        assert.equal(e.data.direction, 'inbound');
        assert.equal(e.data.caller_id_number, '0909123456');
        assert.equal(e.data.destination_number, s.demo.hotline);
        assert.equal(e.data.Timestamp, Math.floor(row.created_at / 1000) + GREGORIAN);
      }
      const destroy = got[2]!.data;
      assert.equal(destroy.hangup_cause, 'NORMAL_CLEARING');
      assert.ok(destroy.duration >= 2, `duration ${destroy.duration}`);
      assert.ok(destroy.billing_seconds >= 2 && destroy.billing_seconds <= destroy.duration);
      assert.equal(
        destroy.agent_id,
        (
          await s.t.ctx.db
            .selectFrom('agents')
            .select('uid')
            .where('id', '=', s.demo.agents[0]!.agent_id)
            .executeTakeFirstOrThrow()
        ).uid,
      );
      // The server wrote the call's events to every subscriber before mine got CHANNEL_DESTROY; a round trip on
      // the other tenant's connection brings in anything written to it (the sentinel, instead of a pause).
      await roundTrip(theirs.socket);
      assert.equal(theirs.events.filter((e) => CALL_EVENTS.includes(e.name)).length, 0);
    });

    it('the call is in the history with its queue statistics', async () => {
      assert.ok(callId, 'needs the call of the previous test');
      const day = new Date().toISOString().slice(0, 10);
      const qs = signedQuery(
        { appId: s.demo.app_id, created_from: day, created_to: day },
        [s.demo.app_id, day, day],
        s.demo.app_secret,
      );
      const res = await call(`${s.url}/oapi/v1/call/histories?${qs}`);
      assert.equal(res.status, 200);
      const item = res.body.data.find((d: any) => d.call_id === callId);
      assert.ok(item, JSON.stringify(res.body));
      assert.equal(item.direction, 'to_ab');
      assert.equal(item.class, 'trunking');
      assert.equal(item.did_number, s.demo.hotline);
      assert.equal(item.status_detail, 'SUCCESS');
      assert.deepEqual(item.caller, { number: '0909123456', type: 'realnumber' });
      assert.equal(item.queue_stat.length, 1);
      assert.equal(item.queue_stat[0].status, 'processed');
      assert.equal(item.queue_stat[0].hung_up_by, 'caller');
    });

    it('its recording downloads through the signed URL as a stereo MP3', async () => {
      const row = await s.t.ctx.db
        .selectFrom('calls')
        .select('recording_id')
        .where('call_id', '=', callId)
        .executeTakeFirst();
      assert.ok(row?.recording_id, 'the queue records its calls, so the call record names its recording');
      // Encoded to MP3 (the default format) after the call, then stored.
      const rec = await waitFor(
        async () =>
          (await s.t.ctx.db
            .selectFrom('recordings')
            .selectAll()
            .where('id', '=', row.recording_id!)
            .where('state', '=', 'stored')
            .executeTakeFirst()) ?? null,
        20_000,
        'recording stored',
      );
      assert.match(rec.name, /\.mp3$/);
      const qs = signedQuery(
        { appId: s.demo.app_id, media: rec.name },
        [s.demo.app_id, rec.name],
        s.demo.app_secret,
      );
      const link = await call(`${s.url}/oapi/v1/call/play_recording?${qs}`);
      assert.equal(link.status, 200);
      const res = await fetch(link.body.media);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'audio/mpeg');
      const mp3 = inspectMp3(Buffer.from(await res.arrayBuffer()));
      assert.equal(mp3.channels, 2, 'stereo');
      assert.equal(mp3.sampleRate, 8000);
      assert.ok(mp3.durationMs >= rec.duration_ms, `${mp3.durationMs} ms for ${rec.duration_ms} ms`);
    });

    it('click-to-call with the device’s SIP credentials rings the registered phone and the call shows up live', async () => {
      const a = s.demo.agents[1]!;
      const post = (sipPassword: string) =>
        call(`${s.url}/oapi/v1/call/click-to-call/0901234567`, {
          method: 'POST',
          headers: appHeaders(s.demo.app_id, s.demo.app_secret),
          body: { sipUser: a.extension, sipPassword },
        });
      const offline = await post(a.sip_password);
      assert.equal(offline.status, 400);
      assert.equal(offline.body.code, 'device_not_registered');
      const phone = await startAgent(peers, s, 1, 'agent-hangup.xml', { pauseMs: 500 });
      const res = await post(a.sip_password);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const id: string = res.body.call_id;
      const created = await mine.waitFor(['CHANNEL_CREATE'], 2, 10_000);
      const event = created.find((e) => e.data.call_id === id);
      assert.ok(event, JSON.stringify(created));
      assert.equal(event.data.direction, 'outbound');
      assert.equal(event.data.destination_number, '0901234567');
      await phone.done;
      peers.killAll();
    });
  },
);
