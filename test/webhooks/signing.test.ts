import { test } from 'node:test';
import assert from 'node:assert/strict';
import { generateWebhookSecret, sign, signatureHeaders, verify } from '../../src/webhooks/signing.js';

test('matches the Standard Webhooks reference vector', () => {
  const secret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
  const sig = sign(secret, 'msg_p5jXN8AQM9LWM0D4loKWxJek', 1614265330, '{"test": 2432232314}');
  assert.equal(sig, 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
});

test('verify accepts its own signature and refuses tampering, other secrets and stale timestamps', () => {
  const secret = generateWebhookSecret();
  assert.match(secret, /^whsec_[A-Za-z0-9+/]+=*$/);
  const body = '{"a":1}';
  const h = signatureHeaders(secret, 'msg_1', 1_700_000_000, body);
  const parts = {
    id: h['webhook-id']!,
    timestamp: h['webhook-timestamp']!,
    signature: h['webhook-signature']!,
  };
  assert.equal(verify(secret, parts, body, 1_700_000_010), true);
  assert.equal(
    verify(secret, { ...parts, signature: `v1,bogus ${parts.signature}` }, body, 1_700_000_010),
    true,
  );
  assert.equal(verify(secret, parts, '{"a":2}', 1_700_000_010), false);
  assert.equal(verify(secret, { ...parts, id: 'msg_2' }, body, 1_700_000_010), false);
  assert.equal(verify(generateWebhookSecret(), parts, body, 1_700_000_010), false);
  assert.equal(verify(secret, parts, body, 1_700_000_000 + 301), false);
});
