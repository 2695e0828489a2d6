import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestServer, call, startTestServer, storageKind } from '../helpers/harness.js';
import { assertOneLineError, oneJson, tongdai } from '../helpers/cli.js';

describe(`tongdai CLI against a running server (${storageKind})`, () => {
  let s: TestServer;
  before(async () => {
    s = await startTestServer();
  });
  after(() => s.close());

  test('tenant, key, app and token commands print exactly one JSON object', async () => {
    const t = oneJson(await tongdai(['--json', 'tenant', 'create', '--name', 'Acme'], s.env));
    assert.ok(Number.isInteger(t.tenant_id));
    assert.match(t.account_id, /^[0-9a-f]{32}$/);
    const k = oneJson(
      await tongdai(
        ['--json', 'key', 'create', '--tenant', String(t.tenant_id), '--scopes', 'agent,queue'],
        s.env,
      ),
    );
    assert.match(k.api_key, /^td_live_/);
    assert.deepEqual(k.scopes, ['agent', 'queue']);
    const a = oneJson(await tongdai(['--json', 'app', 'create', '--tenant', String(t.tenant_id)], s.env));
    assert.ok(a.app_id && a.app_secret);
    const tok = oneJson(
      await tongdai(['--json', 'token', 'create', '--tenant', String(t.tenant_id), '--ttl', '60'], s.env),
    );
    assert.ok((await s.t.ctx.credentials.verifyToken(tok.bearer_token, 'bearer'))?.tenantId === t.tenant_id);
  });

  test('a key revoked from the CLI is refused by the running server on the next request', async () => {
    const k = oneJson(
      await tongdai(
        ['--json', 'key', 'create', '--tenant', String(s.demo.tenant_id), '--scopes', 'agent'],
        s.env,
      ),
    );
    const headers = { 'X-Api-Key': k.api_key };
    assert.equal((await call(`${s.url}/api/agents`, { headers })).status, 200);
    const r = oneJson(await tongdai(['--json', 'key', 'revoke', String(k.id)], s.env));
    assert.equal(r.revoked, k.id);
    assert.equal((await call(`${s.url}/api/agents`, { headers })).status, 401);
  });

  test('demo --json prints the documented fields and fresh working credentials', async () => {
    const d = oneJson(await tongdai(['--json', 'demo'], s.env));
    const fields = [
      'tenant_id',
      'account_id',
      'api_key',
      'app_id',
      'app_secret',
      'bearer_token',
      'http_url',
      'sip_domain',
    ];
    for (const f of [...fields, 'sip_port', 'hotline', 'trunk', 'agents']) assert.ok(f in d, `missing ${f}`);
    assert.equal(d.tenant_id, s.demo.tenant_id, 'the existing demo tenant is reused');
    assert.notEqual(d.api_key, s.demo.api_key, 'keys are shown once, so each call issues a new one');
    assert.ok(d.agents.length >= 3);
    for (const a of d.agents) assert.ok(a.agent_id && a.extension && a.email && a.sip_password);
    const res = await call(`${s.url}/api/tenant`, { headers: { 'X-Api-Key': d.api_key } });
    assert.equal(res.status, 200);
  });

  test('tenant limits changed from the CLI apply to the running server at once', async () => {
    const out = oneJson(
      await tongdai(
        ['--json', 'tenant', 'limits', '--tenant', String(s.demo.tenant_id), '--rate-limit-route', '2'],
        s.env,
      ),
    );
    assert.equal(out.rate_limit_route, 2);
    const headers = { 'X-Api-Key': s.demo.api_key };
    const res = await call(`${s.url}/api/tenant`, { headers });
    assert.equal(res.headers.get('x-ratelimit-limit-route'), '2');
    const bad = await tongdai(
      ['tenant', 'limits', '--tenant', String(s.demo.tenant_id), '--max-concurrent-calls', '-1'],
      s.env,
    );
    assertOneLineError(bad, /--max-concurrent-calls must be a positive integer, got "-1"/);
    await tongdai(
      ['tenant', 'limits', '--tenant', String(s.demo.tenant_id), '--rate-limit-route', '1000'],
      s.env,
    );
  });

  test('bad arguments get one precise line and a non-zero exit', async () => {
    const r = await tongdai(
      ['key', 'create', '--tenant', String(s.demo.tenant_id), '--scopes', 'agent,bogus'],
      s.env,
    );
    assertOneLineError(r, /unknown scope "bogus"/);
    const j = await tongdai(['--json', 'key', 'create', '--tenant', 'abc', '--scopes', 'agent'], s.env);
    assert.notEqual(j.code, 0);
    assert.match(oneJson(j).error, /--tenant must be a tenant id/);
    assertOneLineError(await tongdai(['key', 'revoke', '999999'], s.env), /api key not found/);
  });
});

describe('start-up failures: one line, non-zero exit, nothing damaged', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tongdai-cli-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('unknown config value', async () => {
    assertOneLineError(
      await tongdai(['migrate'], { TONGDAI_DATA: dir, LOG_LEVEL: 'loud' }),
      /LOG_LEVEL must be one of/,
    );
  });

  test('unreachable DATABASE_URL', async () => {
    const r = await tongdai(['migrate'], { DATABASE_URL: 'postgres://root@127.0.0.1:1/nowhere' });
    assertOneLineError(r, /cannot connect to PostgreSQL at 127\.0\.0\.1:1\/nowhere/);
  });

  test('corrupt data directory is reported and left untouched', async () => {
    const bad = mkdtempSync(join(dir, 'corrupt-'));
    const garbage = Buffer.from('this is not a database '.repeat(200));
    writeFileSync(join(bad, 'tongdai.db'), garbage);
    assertOneLineError(
      await tongdai(['migrate'], { TONGDAI_DATA: bad }),
      /cannot open the database .*tongdai\.db/,
    );
    assert.deepEqual(readFileSync(join(bad, 'tongdai.db')), garbage);
  });

  test('port in use', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await tongdai(['serve', '--host', '127.0.0.1', '--port', String(port)], {
        TONGDAI_DATA: join(dir, 'port'),
        SIP_PORT: '0',
      });
      assertOneLineError(r, new RegExp(`HTTP port ${port} is already in use`));
    } finally {
      blocker.close();
    }
  });
});

describe('graceful shutdown', () => {
  test('SIGTERM lets in-flight requests finish, closes the database and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tongdai-stop-'));
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
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`server did not start: ${out}`)), 30_000);
        child.stdout.on('data', (b: Buffer) => {
          out += b.toString();
          const m = /tongdai is running at (http:\/\/[0-9.:]+)/.exec(out);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
      });
      const key = /API key (td_live_[A-Za-z0-9_-]+)/.exec(out)![1]!;
      const inflight = Array.from({ length: 20 }, () =>
        fetch(`${url}/api/agents`, { headers: { 'X-Api-Key': key } }).then((r) => r.status),
      );
      await new Promise((r) => setTimeout(r, 5));
      child.kill('SIGTERM');
      const statuses = await Promise.allSettled(inflight);
      const answered = statuses
        .filter((s) => s.status === 'fulfilled')
        .map((s) => (s as PromiseFulfilledResult<number>).value);
      assert.ok(
        answered.every((s) => s === 200 || s === 503),
        `in-flight requests finish: ${answered}`,
      );
      const code = await new Promise<number | null>((resolve) => child.on('exit', (c) => resolve(c)));
      assert.equal(code, 0);
      assert.match(out, /shutting down/);
      const again = await tongdai(['--json', 'migrate'], { TONGDAI_DATA: dir });
      assert.equal(again.code, 0, again.stderr);
      assert.deepEqual(oneJson(again), { applied: [] });
    } finally {
      child.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
