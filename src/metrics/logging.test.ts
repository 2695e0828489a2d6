import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { REDACTED, createLogger, lazyChildLogger } from './logging.js';

describe('lazy per-request child logger', () => {
  const capture = () => {
    const lines: Record<string, unknown>[] = [];
    const out = new Writable({
      write(chunk: Buffer, _e, cb) {
        for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l));
        cb();
      },
    });
    return { lines, logger: createLogger('info', out) };
  };

  it('writes what the eager child would: its bindings, redacted fields, levels honoured', () => {
    const { lines, logger } = capture();
    const lazy = lazyChildLogger(logger, { reqId: 'req-7' }, {});
    lazy.debug('not written at info');
    lazy.info({ headers: { authorization: 'Bearer x' } }, 'hello');
    logger.child({ reqId: 'req-7' }).info({ headers: { authorization: 'Bearer x' } }, 'hello');
    assert.equal(lines.length, 2);
    const [a, b] = lines.map(({ time: _t, ...rest }) => rest);
    assert.deepEqual(a, b);
    assert.equal(a!.reqId, 'req-7');
    assert.deepEqual(a!.headers, { authorization: REDACTED });
    assert.equal(lazy.level, 'info');
    assert.equal(lazy.child({ x: 1 }).bindings().reqId, 'req-7');
  });

  it('a route level makes the child at once, at that level', () => {
    const { lines, logger } = capture();
    const child = lazyChildLogger(logger, { reqId: 'r' }, { level: 'debug' });
    child.debug('written');
    assert.equal(lines.length, 1);
  });
});
