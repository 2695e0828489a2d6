import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { systemClock } from '../../src/clock.js';
import { Readiness, sipCheck } from '../../src/metrics/readiness.js';
import { type TestServer, call, requireTool, startTestServer, storageKind } from '../helpers/harness.js';
import { closedCall, freeMediaPort, startAgent, startCustomer } from '../sip/helpers/agents.js';
import { Peers, waitFor } from '../sip/helpers/peers.js';

describe('/readyz reports each component', () => {
  let s: TestServer;
  let rtpPort: number;
  before(async () => {
    // One RTP slot, so the test can take it away from the media engine (in this thread: workers need a slot each).
    rtpPort = await freeMediaPort();
    s = await startTestServer({
      env: { RTP_PORT_MIN: String(rtpPort), RTP_PORT_MAX: String(rtpPort + 1), MEDIA_WORKERS: '0' },
    });
  });
  after(() => s?.close());

  it('all up: 200 with database, Redis, SIP and media', async () => {
    const r = await call(`${s.url}/readyz`);
    assert.equal(r.status, 200, JSON.stringify(r.body));
    assert.equal(r.body.status, 'ready');
    assert.equal(r.body.storage, storageKind);
    const c = r.body.components;
    assert.equal(c.database.status, 'up');
    assert.equal(c.database.storage, storageKind);
    assert.equal(c.redis.status, process.env.REDIS_URL ? 'up' : 'not_configured');
    assert.equal(c.sip.status, 'up');
    assert.equal(c.sip.port, s.t.sipPort);
    assert.equal(c.media.status, 'up');
    for (const name of ['database', 'sip', 'media']) assert.equal(typeof c[name].latency_ms, 'number');
  });

  it('media cannot open an RTP port: 503 naming the component and why, then ready again', async () => {
    const squatter = createSocket('udp4');
    await new Promise<void>((resolve) => squatter.bind(rtpPort, '127.0.0.1', resolve));
    try {
      const r = await call(`${s.url}/readyz`);
      assert.equal(r.status, 503);
      assert.equal(r.body.status, 'unavailable');
      assert.equal(r.body.components.media.status, 'down');
      assert.match(
        r.body.components.media.error,
        new RegExp(`no free RTP port in ${rtpPort}-${rtpPort + 1}`),
      );
      assert.equal(r.body.components.database.status, 'up', 'the others still report up');
      assert.equal(r.body.components.sip.status, 'up');
    } finally {
      await new Promise<void>((resolve) => squatter.close(() => resolve()));
    }
    assert.equal((await call(`${s.url}/readyz`)).status, 200);
  });
});

describe('/readyz with media workers (MEDIA_WORKERS=2)', () => {
  let s: TestServer;
  const peers = new Peers();
  before(async () => {
    s = await startTestServer({ clock: systemClock, env: { MEDIA_WORKERS: '2' } });
  });
  after(async () => {
    peers.killAll();
    await s?.close();
  });

  it('a component per worker; a worker that dies ends its calls (media failure) and is back after a restart', async (t) => {
    const missing = await requireTool('sipp');
    if (missing) return t.skip(missing);
    const ready = async () => {
      let last = '';
      return waitFor(
        async () => {
          const r = await call(`${s.url}/readyz`);
          last = JSON.stringify(r.body);
          return r.status === 200 ? r : null;
        },
        30_000,
        'ready',
      ).catch((e: Error) => assert.fail(`${e.message}: ${last}`));
    };
    const first = await ready();
    for (const i of [0, 1]) {
      const c = first.body.components[`media_worker_${i}`];
      assert.equal(c.status, 'up');
      assert.equal(c.restarts, 0);
      assert.equal(typeof c.open_endpoints, 'number');
    }
    await startAgent(peers, s, 0, 'agent-answer.xml', { pauseMs: 200 });
    const caller = '0909777019';
    await startCustomer(peers, s, 'customer-wait-bye.xml', 0, caller);
    const live = await waitFor(
      () => [...s.t.telephony.core.calls.values()].find((c) => c.state === 'bridged'),
      30_000,
      'the call bridged',
    );
    const workers = s.t.telephony.mediaWorkers!;
    const index = workers.workerOf(live.a.media.endpoint);
    assert.equal(workers.workerOf(live.b!.media.endpoint), index, "the call's legs share a worker");
    await workers.kill(index);
    const rec = await closedCall(s, 'caller_number', caller);
    assert.equal(rec.hangup_cause, 'NETWORK_OUT_OF_ORDER');
    // The restarted worker answers once it has started again (≈ 1 s under tsx, several on a loaded machine).
    const after = await ready();
    assert.equal(after.body.components[`media_worker_${index}`].status, 'up');
    assert.equal(after.body.components[`media_worker_${index}`].restarts, 1);
  });
});

describe('readiness checks', () => {
  it('a SIP port that never answers OPTIONS is down, within the timeout', async () => {
    const silent = createSocket('udp4');
    await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
    let got = 0;
    silent.on('message', () => got++);
    try {
      const port = silent.address().port;
      const r = await new Readiness(300)
        .add(
          'sip',
          sipCheck('127.0.0.1', () => port),
        )
        .check();
      assert.equal(r.ready, false);
      assert.equal(r.components.sip!.status, 'down');
      assert.match(String(r.components.sip!.error), /did not answer within 300 ms/);
      assert.equal(got, 1, 'the probe was sent');
    } finally {
      silent.close();
    }
  });

  it('an unbound SIP socket is down; a not-configured component does not make it unready', async () => {
    const r = await new Readiness(300)
      .add(
        'sip',
        sipCheck('0.0.0.0', () => 0),
      )
      .add('redis', null)
      .check();
    assert.equal(r.components.sip!.status, 'down');
    assert.match(String(r.components.sip!.error), /not bound/);
    assert.deepEqual(r.components.redis, { status: 'not_configured' });
    const ok = await new Readiness().add('redis', null).check();
    assert.equal(ok.ready, true);
  });
});
