import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_SIP_OPTIONS, sipOptionsFromEnv, userAgentList } from './options.js';

describe('SIP_SCANNER_UA and SIP_DIGEST_MD5_ONLY_UA', () => {
  it('keep the defaults when unset or blank', () => {
    assert.deepEqual(sipOptionsFromEnv({}).scannerUserAgents, [...DEFAULT_SIP_OPTIONS.scannerUserAgents]);
    assert.deepEqual(userAgentList('  ', ['a']), ['a']);
  });
  it('replace the default list with a plain value (a trusted tool is no longer a scanner)', () => {
    const o = sipOptionsFromEnv({ SIP_SCANNER_UA: 'evil-bot, other-bot' });
    assert.deepEqual(o.scannerUserAgents, ['evil-bot', 'other-bot']);
    assert.ok(DEFAULT_SIP_OPTIONS.scannerUserAgents.length > 0);
    for (const d of DEFAULT_SIP_OPTIONS.scannerUserAgents) assert.ok(!o.scannerUserAgents.includes(d), d);
  });
  it('add to the defaults with a leading +, and empty the list with none', () => {
    const o = sipOptionsFromEnv({ SIP_SCANNER_UA: '+evil-bot' });
    assert.deepEqual(o.scannerUserAgents, [...DEFAULT_SIP_OPTIONS.scannerUserAgents, 'evil-bot']);
    assert.deepEqual(sipOptionsFromEnv({ SIP_SCANNER_UA: 'none' }).scannerUserAgents, []);
  });
});
