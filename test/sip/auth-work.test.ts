/**
 * SIP digest authentication does the same work whether the extension exists or not (issue 18: known users were
 * answered 20–65 µs later). Timing alone is noise on a loaded machine, so the work is compared structurally: every
 * SQL statement the directory runs (its shape, values masked), every crypto primitive (hashes, HMACs, AES) and every
 * secret opened is traced for each way a REGISTER can fail, and the traces must be identical. A paired timing
 * comparison with a generous margin follows.
 */
import assert from 'node:assert/strict';
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { KyselyPlugin, PluginTransformQueryArgs, PluginTransformResultArgs } from 'kysely';
import { FakeClock } from '../../src/clock.js';
import { createAgent } from '../../src/domain/agents.js';
import type { SecretBox } from '../../src/domain/secrets.js';
import { Authenticator } from '../../src/sip/auth.js';
import { SipDirectory } from '../../src/sip/directory.js';
import { type SipRequest, parseMessage } from '../../src/sip/message.js';
import { DEFAULT_SIP_OPTIONS } from '../../src/sip/options.js';
import { SourceGuard } from '../../src/sip/source-guard.js';
import { issueWebCredentials, webCredentialsKey } from '../../src/sip/web-credentials.js';
import { type TestServer, startTestServer } from '../helpers/harness.js';
import { otherTenant } from '../helpers/tenants.js';
import { answer, registerText } from './helpers/udp-client.js';

let trace: string[] | null = null;
const note = (what: string) => trace?.push(what);

/** Counts node:crypto's primitives while a trace is open (the digest, the nonce HMAC, AES-GCM of the box). */
function instrumentCrypto(): () => void {
  const crypto = createRequire(import.meta.url)('node:crypto') as Record<string, unknown>;
  const names = ['createHash', 'createHmac', 'createDecipheriv', 'createCipheriv', 'timingSafeEqual'];
  const saved = names.map((n) => [n, crypto[n]] as const);
  for (const [name, fn] of saved) {
    crypto[name] = (...args: unknown[]) => {
      note(`${name}(${typeof args[0] === 'string' ? args[0] : ''})`);
      return (fn as (...a: unknown[]) => unknown)(...args);
    };
  }
  syncBuiltinESMExports();
  return () => {
    for (const [name, fn] of saved) crypto[name] = fn;
    syncBuiltinESMExports();
  };
}

/** Each statement the directory sends, as its query tree with every value masked, and the rows it returns. */
const sqlTracer: KyselyPlugin = {
  transformQuery(args: PluginTransformQueryArgs) {
    note(`sql ${JSON.stringify(args.node, (k, v: unknown) => (k === 'value' ? '?' : v))}`);
    return args.node;
  },
  transformResult(args: PluginTransformResultArgs) {
    // A row the driver builds costs time too (a full agent row ~14 µs more than none on SQLite).
    note(`rows ${args.result.rows.length}`);
    return Promise.resolve(args.result);
  },
};

/** The server's secret box, with each opening traced. */
function tracedBox(box: SecretBox): SecretBox {
  const open = (sealed: string) => {
    note('box.open');
    return box.open(sealed);
  };
  return Object.assign(Object.create(box) as SecretBox, { open });
}

describe('SIP digest: the same work for known and unknown users', () => {
  let s: TestServer;
  let auth: Authenticator;
  let restoreCrypto: () => void;
  const clock = new FakeClock(Date.now());
  const secretKey = Buffer.alloc(32, 7);
  let otherExtension: string;
  let inactive: { extension: string; password: string };
  let seq = 1;

  before(async () => {
    s = await startTestServer({ clock });
    const { db, box } = s.t.ctx;
    const other = await otherTenant(s);
    // An extension that exists only in the other tenant.
    otherExtension = '4242';
    await createAgent(db, clock, box, other.tenantId, {
      name: 'Other',
      email: 'other-4242@example.com',
      extension: otherExtension,
    });
    const off = s.demo.agents[1]!;
    await db.updateTable('agents').set({ is_active: 0 }).where('id', '=', off.agent_id).execute();
    inactive = { extension: off.extension, password: off.sip_password };
    const directory = new SipDirectory(db.withPlugin(sqlTracer), tracedBox(box));
    const guard = new SourceGuard(clock, { ...DEFAULT_SIP_OPTIONS, failLimit: 1e9 });
    auth = new Authenticator(
      directory,
      guard,
      clock,
      secretKey,
      300,
      ['MD5', 'SHA-256'],
      [],
      undefined,
      webCredentialsKey(secretKey),
    );
    restoreCrypto = instrumentCrypto();
  });
  after(async () => {
    restoreCrypto?.();
    await s?.close();
  });

  const remote = { address: '127.0.0.9', port: 5060, transport: 'udp' } as const;

  function register(user: string, domain: string, authorization?: string): SipRequest {
    const text = registerText({
      user,
      domain,
      cseq: seq++,
      callId: `work-${seq}`,
      port: 5099,
      auth: authorization,
    });
    return parseMessage(Buffer.from(text)) as SipRequest;
  }

  /** A REGISTER for `user`@`domain` answered with `username`/`password` to a fresh MD5 challenge. */
  async function attempt(o: { user: string; domain: string; username?: string; password: string }) {
    const challenge = await auth.authenticate(register(o.user, o.domain), remote);
    assert.equal(challenge.ok, false);
    const offer = (challenge.ok ? [] : challenge.response.headers.getAll('www-authenticate')).find((h) =>
      h.includes('algorithm=MD5'),
    )!;
    const header = answer(offer, o.username ?? o.user, o.password, 'REGISTER', `sip:${o.domain}`);
    return register(o.user, o.domain, header);
  }

  async function traced(req: SipRequest): Promise<{ status: number; trace: string[] }> {
    trace = [];
    try {
      const out = await auth.authenticate(req, remote);
      return { status: out.ok ? 200 : out.response.status, trace };
    } finally {
      trace = null;
    }
  }

  function assertSameWork(cases: Record<string, { status: number; trace: string[] }>) {
    const [first, ...rest] = Object.entries(cases);
    assert.ok(
      first![1].trace.some((t) => t.startsWith('sql ')),
      'the traces see the lookups',
    );
    assert.ok(first![1].trace.includes('box.open'), 'the traces see the decryption');
    assert.ok(first![1].trace.includes('createHash(md5)'), 'the traces see the digest');
    for (const [name, c] of rest) {
      assert.equal(c.status, first![1].status, name);
      assert.deepEqual(c.trace, first![1].trace, `${name} does the work of ${first![0]}`);
    }
  }

  it('at the tenant domain: wrong password, unknown, other tenant’s, inactive, mismatched username', async () => {
    const domain = s.demo.sip_domain;
    const known = s.demo.agents[0]!;
    const cases = {
      'known, wrong password': await traced(
        await attempt({ user: known.extension, domain, password: 'wrong-password' }),
      ),
      'unknown extension': await traced(await attempt({ user: '7777', domain, password: 'wrong-password' })),
      'another tenant’s extension': await traced(
        await attempt({ user: otherExtension, domain, password: 'wrong-password' }),
      ),
      'inactive agent, right password': await traced(
        await attempt({ user: inactive.extension, domain, password: inactive.password }),
      ),
      'digest username not the claimed user': await traced(
        await attempt({ user: known.extension, domain, username: '7777', password: known.sip_password }),
      ),
    };
    assertSameWork(cases);
    assert.equal(cases['known, wrong password'].status, 401);
    // The control: the right password for the same agent passes through the same lookups and decryption.
    const ok = await traced(await attempt({ user: known.extension, domain, password: known.sip_password }));
    assert.equal(ok.status, 200);
    const failed = cases['known, wrong password'].trace;
    assert.deepEqual(
      ok.trace,
      failed.slice(0, ok.trace.length),
      'success does the failure’s work up to the answer',
    );
  });

  it('at an IP address (tenant found by extension): known and unknown extensions', async () => {
    const known = s.demo.agents[0]!;
    assertSameWork({
      'known, wrong password': await traced(
        await attempt({ user: known.extension, domain: '127.0.0.1', password: 'wrong-password' }),
      ),
      'unknown extension': await traced(
        await attempt({ user: '7777', domain: '127.0.0.1', password: 'wrong-password' }),
      ),
    });
  });

  it('browser-phone usernames (`<ext>~<expiry>`): known and unknown extensions', async () => {
    const domain = s.demo.sip_domain;
    const known = s.demo.agents[0]!;
    const web = (extension: string) =>
      issueWebCredentials(
        webCredentialsKey(secretKey),
        { tenantId: 999, agentId: 999, extension },
        clock.now(),
      );
    const k = web(known.extension);
    const u = web('7777');
    assertSameWork({
      'known, forged password': await traced(
        await attempt({ user: known.extension, domain, username: k.username, password: k.password }),
      ),
      'unknown extension': await traced(
        await attempt({ user: '7777', domain, username: u.username, password: u.password }),
      ),
    });
  });

  it('times known and unknown users alike (paired, interleaved, median of the differences)', async () => {
    restoreCrypto();
    const domain = s.demo.sip_domain;
    const known = await attempt({ user: s.demo.agents[0]!.extension, domain, password: 'wrong-password' });
    const unknown = await attempt({ user: '7777', domain, password: 'wrong-password' });
    const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[xs.length >> 1]!;
    const time = async (req: SipRequest) => {
      const t0 = process.hrtime.bigint();
      await auth.authenticate(req, remote);
      return Number(process.hrtime.bigint() - t0) / 1000;
    };
    for (let i = 0; i < 200; i++) await time(i % 2 ? known : unknown);
    const diffs: number[] = [];
    const base: number[] = [];
    for (let i = 0; i < 3000; i++) {
      // Pairs in alternating order, so a change in the machine's load falls on both alike.
      const first = i % 2 ? known : unknown;
      const a = await time(first);
      const b = await time(first === known ? unknown : known);
      const [k, u] = first === known ? [a, b] : [b, a];
      diffs.push(u - k);
      base.push(k);
    }
    const diff = median(diffs);
    const margin = Math.max(10, 0.03 * median(base));
    console.log(
      `auth timing: known ${median(base).toFixed(1)} µs, unknown − known ${diff.toFixed(2)} µs (margin ${margin.toFixed(1)})`,
    );
    // Before the fix an unknown user was answered 15–22 µs sooner at load 20 (a row less to read).
    assert.ok(
      Math.abs(diff) < margin,
      `unknown − known ${diff.toFixed(2)} µs, margin ${margin.toFixed(1)} µs`,
    );
  });
});
