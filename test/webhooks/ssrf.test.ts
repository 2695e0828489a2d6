import { test } from 'node:test';
import assert from 'node:assert/strict';
import { assertDeliverableUrl, isPrivateAddress } from '../../src/webhooks/ssrf.js';
import { postJson } from '../../src/webhooks/http-client.js';
import { startReceiver } from '../helpers/receiver.js';

test('private, loopback, link-local and mapped addresses are refused; public ones pass', () => {
  for (const a of [
    '127.0.0.1',
    '10.1.2.3',
    '172.20.0.1',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '::1',
    '::',
    'fe80::1',
    'fd00::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '224.0.0.1',
  ]) {
    assert.equal(isPrivateAddress(a), true, a);
  }
  for (const a of ['8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '::ffff:8.8.8.8']) {
    assert.equal(isPrivateAddress(a), false, a);
  }
});

test('callback URLs: bad form and private hosts are refused unless allowed', async () => {
  await assert.rejects(assertDeliverableUrl('ftp://example.com/x', false), /http:\/\/ or https:\/\//);
  await assert.rejects(assertDeliverableUrl('not a url', false), /not a valid URL/);
  await assert.rejects(assertDeliverableUrl('http://user:pw@example.com/', false), /credentials/);
  await assert.rejects(
    assertDeliverableUrl('http://127.0.0.1:9/x', false),
    /private, loopback or link-local/,
  );
  await assert.rejects(assertDeliverableUrl('http://[::1]:9/x', false), /private/);
  await assert.rejects(assertDeliverableUrl('http://localhost:9/x', false), /private|does not resolve/);
  assert.equal((await assertDeliverableUrl('http://127.0.0.1:9/x', true)).hostname, '127.0.0.1');
});

test('delivery refuses to connect to a private address at connect time, even through a hostname', async () => {
  const rx = await startReceiver([200]);
  try {
    const port = new URL(rx.url).port;
    const byIp = await postJson(`http://127.0.0.1:${port}/hook`, {}, '{}', {
      allowPrivate: false,
      timeoutMs: 2000,
    });
    assert.equal(byIp.status, null);
    assert.match(byIp.error ?? '', /private address/);
    const byName = await postJson(`http://localhost:${port}/hook`, {}, '{}', {
      allowPrivate: false,
      timeoutMs: 2000,
    });
    assert.equal(byName.status, null);
    assert.equal(rx.received.length, 0);
    const allowed = await postJson(rx.url, {}, '{}', { allowPrivate: true, timeoutMs: 2000 });
    assert.equal(allowed.status, 200);
    assert.equal(rx.received.length, 1);
  } finally {
    await rx.close();
  }
});
