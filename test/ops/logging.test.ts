import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { REDACTED, SECRET_KEYS, createLogger } from '../../src/metrics/logging.js';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      cb();
    },
  });
  return { lines, stream };
}

describe('structured logs redact secrets', () => {
  it('every secret field name is redacted at the top, one level down, in arrays and in headers', () => {
    const { lines, stream } = capture();
    const log = createLogger('info', stream);
    let n = 0;
    const secret = () => `S3CRET-${n++}-value`;
    for (const k of SECRET_KEYS) {
      log.info(
        {
          [k]: secret(),
          nested: { [k]: secret(), keep: 'visible-1' },
          list: { agents: [{ [k]: secret(), extension: '1001' }] },
          req: { headers: { [k]: secret(), host: 'visible-2' } },
          headers: { [k]: secret() },
        },
        `logged ${k}`,
      );
    }
    assert.equal(lines.length, SECRET_KEYS.length);
    const all = lines.join('\n');
    assert.doesNotMatch(all, /S3CRET-/, 'no secret value reaches the log');
    for (const line of lines) {
      const o = JSON.parse(line);
      assert.equal(o.nested.keep, 'visible-1');
      assert.equal(o.req.headers.host, 'visible-2');
      assert.equal(o.list.agents[0].extension, '1001');
    }
    const first = JSON.parse(lines[0]!);
    assert.equal(first.authorization, REDACTED);
    assert.equal(first.req.headers.authorization, REDACTED);
  });

  it('the server started from the CLI logs the demo credentials redacted (the terminal banner still shows them)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tongdai-log-'));
    const child = spawn(
      process.execPath,
      ['bin/tongdai.mjs', 'serve', '--host', '127.0.0.1', '--port', '0'],
      {
        env: { PATH: process.env.PATH ?? '', TONGDAI_DATA: dir, SIP_PORT: '0', LOG_LEVEL: 'info' },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    try {
      let out = '';
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          // Both: the banner is written directly, the log line through pino's asynchronous stream (either first).
          if (/tongdai is running at/.test(out) && /demo tenant created.*\n/.test(out)) {
            clearTimeout(timer);
            resolve();
          }
        });
      });
      const key = /API key (td_live_[A-Za-z0-9_-]+)/.exec(out)![1]!;
      const logLine = out.split('\n').find((l) => l.includes('demo tenant created'))!;
      assert.ok(logLine, out);
      const entry = JSON.parse(logLine);
      assert.equal(entry.demo.api_key, REDACTED);
      assert.equal(entry.demo.console_password, REDACTED);
      assert.equal(entry.demo.agents[0].sip_password, REDACTED);
      assert.ok(entry.demo.agents[0].extension, 'the rest of the entry stays');
      const logs = out.split('\n').filter((l) => l.startsWith('{'));
      assert.ok(!logs.some((l) => l.includes(key)), 'the API key appears in no log line');
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
