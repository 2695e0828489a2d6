import { Command } from 'commander';
import { createTongdai } from '../app.js';
import { systemClock } from '../clock.js';
import { type Config, type ConfigOverrides, loadConfig } from '../config.js';
import { CredentialService, parseScopes } from '../domain/credentials.js';
import { type DemoDeps, demoCredentials, ensureDemoTenant } from '../domain/demo.js';
import { SecretBox, loadSecretKey } from '../domain/secrets.js';
import { type TenantLimits, createTenant, listTenants, updateTenantLimits } from '../domain/tenants.js';
import { DomainError, FatalConfigError, invalid } from '../errors.js';
import { type Store, openStore } from '../store/db.js';
import { printResult, fail } from './output.js';
import { registerTeamCommands } from './teams.js';
import { registerSkillCommands } from './skills.js';
import { registerIvrCommands } from './ivr.js';
import { registerUserCommands } from './users.js';
import { registerDirectoryCommands } from './directory.js';
import { registerCredentialCommands } from './credentials.js';
import { registerSipCommands } from './sip.js';
import { registerBackupCommands } from './backup.js';
import { seedDefaultStatuses } from '../domain/statuses.js';
import { createLogger } from '../metrics/logging.js';

interface GlobalOpts {
  json?: boolean;
  port?: string;
  host?: string;
  sipPort?: string;
  data?: string;
  databaseUrl?: string;
  redisUrl?: string;
  logLevel?: string;
}

const program = new Command();
program
  .name('tongdai')
  .description('tongdai: an open-source multi-tenant cloud contact center')
  .option('--json', 'print exactly one JSON object')
  .option('--port <port>', 'HTTP port (env PORT, default 8080)')
  .option('--host <host>', 'HTTP listen address (env HOST, default 0.0.0.0)')
  .option('--sip-port <port>', 'SIP port (env SIP_PORT, default 5060)')
  .option('--data <dir>', 'data directory for the embedded store (env TONGDAI_DATA, default ./data)')
  .option('--database-url <url>', 'PostgreSQL URL (env DATABASE_URL)')
  .option('--redis-url <url>', 'Redis URL (env REDIS_URL)')
  .option('--log-level <level>', 'log level (env LOG_LEVEL, default info)');

function globals(): GlobalOpts {
  return program.opts<GlobalOpts>();
}

function config(): Config {
  const g = globals();
  const o: ConfigOverrides = {
    port: g.port,
    host: g.host,
    sipPort: g.sipPort,
    dataDir: g.data,
    databaseUrl: g.databaseUrl,
    redisUrl: g.redisUrl,
    logLevel: g.logLevel,
  };
  return loadConfig(process.env, o);
}

/** Open the store and the credential service for one admin command, then close it. */
async function withStore<T>(
  fn: (store: Store, creds: CredentialService, cfg: Config) => Promise<T>,
): Promise<T> {
  const cfg = config();
  const store = await openStore({
    dataDir: cfg.dataDir,
    databaseUrl: cfg.databaseUrl,
    pgSchema: cfg.databaseSchema,
  });
  try {
    await store.migrate();
    const box = new SecretBox(loadSecretKey(cfg.secretKey, cfg.dataDir));
    return await fn(store, new CredentialService(store.db, systemClock, box), cfg);
  } finally {
    await store.close();
  }
}

function tenantId(raw: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0)
    throw invalid(`--tenant must be a tenant id (a positive integer), got "${raw}"`);
  return n;
}

function demoDeps(
  store: Store,
  creds: CredentialService,
  cfg: Config,
  box: SecretBox,
  port = cfg.port,
): DemoDeps {
  return {
    db: store.db,
    clock: systemClock,
    box,
    credentials: creds,
    httpUrl: `http://127.0.0.1:${port}`,
    sipPort: cfg.sipPort,
    publicIp: cfg.publicIp,
    demoTrunkPort: cfg.demoTrunkPort,
  };
}

program
  .command('serve')
  .description('run the HTTP API, Socket.IO and SIP services (migrates and seeds the demo tenant when empty)')
  .action(async () => {
    const cfg = config();
    const logger = createLogger(cfg.logLevel);
    const t = await createTongdai(cfg, { logger });
    const port = await t.listen();
    const empty = (await listTenants(t.ctx.db)).length === 0;
    const deps = demoDeps(t.ctx.store, t.ctx.credentials, cfg, t.ctx.box, port);
    // The bound SIP port (SIP_PORT=0 picks a free one).
    deps.sipPort = t.sipPort;
    const { tenantId: demoId, created } = await ensureDemoTenant(deps);
    const urls = { http_url: `http://127.0.0.1:${port}`, docs: `http://127.0.0.1:${port}/docs` };
    if (created || empty) {
      const demo = await demoCredentials(deps, demoId);
      logger.info({ demo, storage: t.ctx.store.location }, 'tongdai is ready; demo tenant created');
      if (!globals().json) {
        process.stdout.write(
          `\n  tongdai is running at ${urls.http_url} (API reference ${urls.docs})\n` +
            `  demo tenant ${demo.tenant_id}, API key ${demo.api_key}\n` +
            `  try: curl -H "X-Api-Key: ${demo.api_key}" ${urls.http_url}/v1/agents\n` +
            `  SIP (UDP/TCP) on port ${demo.sip_port}, domain ${demo.sip_domain}: agent ${demo.agents[0]?.extension} ` +
            `password ${demo.agents[0]?.sip_password}; hotline ${demo.hotline} via trunk ${demo.trunk}\n` +
            `  console ${demo.console_url}: sign in as ${demo.console_email} / ${demo.console_password}\n\n`,
        );
      }
    } else {
      logger.info(
        { ...urls, storage: t.ctx.store.location },
        'tongdai is ready; run `npx tongdai demo` for fresh demo credentials',
      );
    }
    const stop = async (signal: string) => {
      logger.info({ signal }, 'shutting down');
      await t.close();
      process.exit(0);
    };
    process.once('SIGINT', () => void stop('SIGINT'));
    process.once('SIGTERM', () => void stop('SIGTERM'));
  });

program
  .command('migrate')
  .description('apply pending database migrations')
  .action(async () => {
    const applied = await withStore((store) => store.migrate());
    printResult(globals().json, { applied }, applied.length ? `applied ${applied.join(', ')}` : 'up to date');
  });

const tenant = program.command('tenant').description('manage tenants');
tenant
  .command('create')
  .requiredOption('--name <name>', 'tenant name')
  .action(async (o: { name: string }) => {
    // A new tenant starts with the default custom statuses (Available, …), so its agents can log in.
    const t = await withStore((store) =>
      store.db.transaction().execute(async (tx) => {
        const created = await createTenant(tx, systemClock, { name: o.name });
        await seedDefaultStatuses(tx, systemClock, created.id);
        return created;
      }),
    );
    printResult(
      globals().json,
      { tenant_id: t.id, name: t.name, account_id: t.account_id, sip_domain: t.sip_domain },
      `created tenant ${t.id} (${t.name})`,
    );
  });
tenant.command('list').action(async () => {
  const rows = await withStore((store) => listTenants(store.db));
  const tenants = rows.map((t) => ({ tenant_id: t.id, name: t.name, account_id: t.account_id }));
  printResult(globals().json, { tenants }, tenants.map((t) => `${t.tenant_id}\t${t.name}`).join('\n'));
});

tenant
  .command('limits')
  .description("change a tenant's limits (rate limits per 10 s window, calls, destinations, retention)")
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--rate-limit-tenant <n>', 'requests per 10 s for the whole tenant')
  .option('--rate-limit-route <n>', 'requests per 10 s per route')
  .option('--max-concurrent-calls <n>', 'concurrent calls')
  .option('--max-calls-per-second <n>', 'new calls per second')
  .option('--allow-international <bool>', 'allow international destinations (true/false)')
  .option('--allow-premium <bool>', 'allow premium-rate destinations (true/false)')
  .option('--recording-retention-days <n>', 'days recordings are kept')
  .option('--recording-format <mp3|wav>', 'format new recordings are stored in (default mp3)')
  .action(async (o: Record<string, string | undefined>) => {
    const limits = parseLimits(o);
    const t = await withStore((store) => updateTenantLimits(store.db, tenantId(o.tenant ?? ''), limits));
    const out = {
      tenant_id: t.id,
      rate_limit_tenant: t.rate_limit_tenant,
      rate_limit_route: t.rate_limit_route,
      max_concurrent_calls: t.max_concurrent_calls,
      max_calls_per_second: t.max_calls_per_second,
      allow_international: t.allow_international === 1,
      allow_premium: t.allow_premium === 1,
      recording_retention_days: t.recording_retention_days,
      recording_format: t.recording_format,
    };
    printResult(globals().json, out, JSON.stringify(out, null, 2));
  });

function positive(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n <= 0) throw invalid(`--${name} must be a positive integer, got "${raw}"`);
  return n;
}

function flag(name: string, raw: string | undefined): boolean | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'true' || raw === 'false') return raw === 'true';
  throw invalid(`--${name} must be true or false, got "${raw}"`);
}

function recordingFormat(raw: string | undefined): 'mp3' | 'wav' | undefined {
  if (raw === undefined) return undefined;
  if (raw === 'mp3' || raw === 'wav') return raw;
  throw invalid(`--recording-format must be mp3 or wav, got "${raw}"`);
}

function parseLimits(o: Record<string, string | undefined>): TenantLimits {
  return {
    rateLimitTenant: positive('rate-limit-tenant', o.rateLimitTenant),
    rateLimitRoute: positive('rate-limit-route', o.rateLimitRoute),
    maxConcurrentCalls: positive('max-concurrent-calls', o.maxConcurrentCalls),
    maxCallsPerSecond: positive('max-calls-per-second', o.maxCallsPerSecond),
    allowInternational: flag('allow-international', o.allowInternational),
    allowPremium: flag('allow-premium', o.allowPremium),
    recordingRetentionDays: positive('recording-retention-days', o.recordingRetentionDays),
    recordingFormat: recordingFormat(o.recordingFormat),
  };
}

const key = program.command('key').description('manage API keys');
key
  .command('create')
  .requiredOption('--tenant <id>', 'tenant id')
  .requiredOption('--scopes <list>', 'comma-separated scopes: agent,queue,call,status,admin')
  .option('--name <name>', 'a label for the key', 'cli')
  .action(async (o: { tenant: string; scopes: string; name: string }) => {
    const scopes = parseScopes(o.scopes);
    const k = await withStore((_s, creds) => creds.createApiKey(tenantId(o.tenant), scopes, o.name));
    printResult(
      globals().json,
      { id: k.id, tenant_id: k.tenantId, api_key: k.key, prefix: k.prefix, scopes: k.scopes },
      `${k.key}\n(shown once; id ${k.id}, scopes ${k.scopes.join(',')})`,
    );
  });
key
  .command('revoke')
  .argument('<key>', 'the key id or the full key')
  .option('--tenant <id>', 'only revoke if the key belongs to this tenant')
  .action(async (k: string, o: { tenant?: string }) => {
    const id = await withStore((_s, creds) =>
      creds.revokeApiKey(k, o.tenant ? tenantId(o.tenant) : undefined),
    );
    printResult(globals().json, { revoked: id }, `revoked key ${id}`);
  });

program
  .command('app')
  .description('manage app credentials (app id + secret)')
  .command('create')
  .requiredOption('--tenant <id>', 'tenant id')
  .action(async (o: { tenant: string }) => {
    const a = await withStore((_s, creds) => creds.createApp(tenantId(o.tenant)));
    printResult(
      globals().json,
      { tenant_id: a.tenantId, app_id: a.appId, app_secret: a.appSecret },
      `app id ${a.appId}\napp secret ${a.appSecret} (shown once)`,
    );
  });

program
  .command('token')
  .description('manage bearer access tokens')
  .command('create')
  .requiredOption('--tenant <id>', 'tenant id')
  .option('--ttl <seconds>', 'lifetime in seconds', '86400')
  .action(async (o: { tenant: string; ttl: string }) => {
    const ttl = Number(o.ttl);
    if (!Number.isInteger(ttl) || ttl <= 0)
      throw invalid(`--ttl must be a positive number of seconds, got "${o.ttl}"`);
    const t = await withStore((_s, creds) =>
      creds.createToken(tenantId(o.tenant), 'bearer', { ttlMs: ttl * 1000 }),
    );
    printResult(
      globals().json,
      { tenant_id: t.tenantId, bearer_token: t.token, expires_at: t.expiresAt },
      t.token,
    );
  });

program
  .command('demo')
  .description('create the demo tenant if missing and print fresh credentials for it')
  .action(async () => {
    const info = await withStore(async (store, creds, cfg) => {
      const box = new SecretBox(loadSecretKey(cfg.secretKey, cfg.dataDir));
      const deps = demoDeps(store, creds, cfg, box);
      const { tenantId: id } = await ensureDemoTenant(deps);
      return demoCredentials(deps, id);
    });
    printResult(globals().json, info, JSON.stringify(info, null, 2));
  });

registerUserCommands(program, {
  withDb: (fn) => withStore((store) => fn(store.db)),
  json: () => globals().json,
  tenantId,
});
registerTeamCommands(program, {
  withDb: (fn) => withStore((store) => fn(store.db)),
  json: () => globals().json,
  tenantId,
});
registerSkillCommands(program, {
  withDb: (fn) => withStore((store) => fn(store.db)),
  json: () => globals().json,
  tenantId,
});
registerIvrCommands(program, {
  withDb: (fn) => withStore((store) => fn(store.db)),
  json: () => globals().json,
  tenantId,
});
registerCredentialCommands(program, {
  withCredentials: (fn) => withStore((_s, c) => fn(c)),
  json: () => globals().json,
});
registerDirectoryCommands(program, {
  withDb: (fn) =>
    withStore((store, _c, cfg) => fn(store.db, new SecretBox(loadSecretKey(cfg.secretKey, cfg.dataDir)))),
  json: () => globals().json,
  tenantId,
});
registerSipCommands(program, {
  withDb: (fn) => withStore((store) => fn(store.db)),
  json: () => globals().json,
});
registerBackupCommands(program, { config, json: () => globals().json });

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof FatalConfigError || e instanceof DomainError) fail(globals().json, e.message);
  else fail(globals().json, `unexpected error: ${e instanceof Error ? e.message : String(e)}`);
}
