import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { SecretBox, hashPassword, safeEqual, verifyPassword } from './secrets.js';

test('sealed secrets round-trip, differ each time, and detect tampering', () => {
  const box = new SecretBox(randomBytes(32));
  const a = box.seal('app-secret-123');
  const b = box.seal('app-secret-123');
  assert.notEqual(a, b, 'a fresh IV per seal');
  assert.ok(!a.includes('app-secret-123'));
  assert.equal(box.open(a), 'app-secret-123');
  const parts = a.split('.');
  parts[3] = Buffer.from('app-secret-124').toString('base64url');
  assert.throws(() => box.open(parts.join('.')));
  assert.throws(() => new SecretBox(randomBytes(32)).open(a), 'another key cannot open it');
});

test('password hashes verify only the right password', async () => {
  const h = await hashPassword('13579Abc@');
  assert.match(h, /^scrypt\$/);
  assert.equal(await verifyPassword('13579Abc@', h), true);
  assert.equal(await verifyPassword('13579Abc#', h), false);
});

test('safeEqual', () => {
  assert.equal(safeEqual('abc', 'abc'), true);
  assert.equal(safeEqual('abc', 'abd'), false);
  assert.equal(safeEqual('abc', 'abcd'), false);
});
