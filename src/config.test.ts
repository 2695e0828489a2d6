import { test } from 'node:test';
import assert from 'node:assert/strict';
import { availableParallelism } from 'node:os';
import { loadConfig } from './config.js';
import { FatalConfigError } from './errors.js';

test('defaults', () => {
  const c = loadConfig({});
  assert.equal(c.port, 8080);
  assert.equal(c.sipPort, 5060);
  assert.equal(c.databaseUrl, undefined);
  assert.equal(c.logLevel, 'info');
  assert.ok(c.dataDir.endsWith('/data'));
  assert.equal(c.mediaWorkers, Math.min(2, availableParallelism()), 'media off the main thread by default');
  assert.equal(loadConfig({ MEDIA_WORKERS: '0' }).mediaWorkers, 0);
  assert.ok(Object.isFrozen(c));
});

test('flags override the environment', () => {
  const c = loadConfig({ PORT: '9000' }, { port: '9100' });
  assert.equal(c.port, 9100);
});

const bad: [Record<string, string>, RegExp][] = [
  [{ PORT: 'eighty' }, /PORT must be an integer between 0 and 65535, got "eighty"/],
  [{ PORT: '70000' }, /PORT must be an integer/],
  [
    { LOG_LEVEL: 'loud' },
    /LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"/,
  ],
  [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL must start with postgres:\/\/ or postgresql:\/\//],
  [{ DATABASE_URL: 'not a url' }, /DATABASE_URL is not a valid URL/],
  [{ REDIS_URL: 'http://x' }, /REDIS_URL must start with redis:\/\//],
  [{ WEBHOOK_ALLOW_PRIVATE: 'maybe' }, /WEBHOOK_ALLOW_PRIVATE must be true or false/],
  [{ RTP_PORT_MIN: '30000', RTP_PORT_MAX: '20000' }, /RTP_PORT_MAX must be greater than RTP_PORT_MIN/],
  [{ DATABASE_SCHEMA: 'Robert; drop' }, /DATABASE_SCHEMA must be a lowercase SQL identifier/],
];
for (const [env, msg] of bad) {
  test(`rejects ${JSON.stringify(env)} with a precise message`, () => {
    assert.throws(
      () => loadConfig(env),
      (e: unknown) => e instanceof FatalConfigError && msg.test(e.message),
    );
  });
}
