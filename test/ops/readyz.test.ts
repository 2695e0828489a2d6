import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, describe, it } from 'node:test';
import { Readiness, sipCheck } from '../../src/metrics/readiness.js';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';
import { freeMediaPort } from '../sip/helpers/agents.js';

describe('/readyz reports each component', () => {
  let s: TestServer;
  let rtpPort: number;
  before(async () => {
    // One RTP slot, so the test can take it away from the media engine.
    rtpPort = await freeMediaPort();
    s = await startTestServer({ env: { RTP_PORT_MIN: String(rtpPort), RTP_PORT_MAX: String(rtpPort + 1) } });
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
