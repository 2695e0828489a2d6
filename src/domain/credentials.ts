import type { Clock } from '../clock.js';
import { invalid, notFound } from '../errors.js';
import { secretToken } from '../ids.js';
import { CommitMemo, type Db, committedVersion, precompile } from '../store/db.js';
import { getTenant } from './tenants.js';
import { type SecretBox, safeEqual, sha256Hex } from './secrets.js';

/**
 * Scopes an API key can carry; `admin` implies every other one. Only scopes some route requires are grantable:
 * `recording` and `webhook` opened nothing (recording URLs go with `call`), so they are refused at creation
 * (docs/decisions.md, "Scopes that open nothing are refused").
 */
export const SCOPES = ['agent', 'queue', 'call', 'status', 'admin'] as const;
/** Once listed, now refused with a precise message rather than as unknown. */
const RETIRED_SCOPES: Readonly<Record<string, string>> = {
  recording: 'recording URLs are opened by the "call" scope',
  webhook: 'webhook endpoints are managed by the "admin" scope',
};
export type Scope = (typeof SCOPES)[number];

export const API_KEY_PREFIX = 'td_live_';
const BEARER_PREFIX = 'tdb_';
const WS_PREFIX = 'tdw_';

export type CredentialKind = 'api_key' | 'bearer' | 'ws' | 'app';

/** Who is calling: always exactly one tenant. */
export interface Principal {
  tenantId: number;
  scopes: ReadonlySet<string>;
  kind: CredentialKind;
  credentialId: number;
  /** The tenant's own rate limits when the credential lookup already read them (null: the configured default). */
  limits?: { tenant: number | null; route: number | null };
  /**
   * The database's committed version when the credential was checked (embedded storage; see `CommitMemo`): reads
   * later in the same request may pass it on instead of reading the counter again.
   */
  seenVersion?: number | undefined;
}

export function hasScope(p: Principal, scope: Scope): boolean {
  return p.scopes.has(scope) || p.scopes.has('admin');
}

export function parseScopes(raw: string): Scope[] {
  const list = raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0) throw invalid('at least one scope is required');
  for (const s of list) {
    const retired = RETIRED_SCOPES[s];
    if (retired) throw invalid(`scope "${s}" opens no route: ${retired}`);
    if (!(SCOPES as readonly string[]).includes(s)) {
      throw invalid(`unknown scope "${s}" (known: ${SCOPES.join(', ')})`);
    }
  }
  return [...new Set(list)] as Scope[];
}

export interface IssuedApiKey {
  id: number;
  tenantId: number;
  key: string;
  prefix: string;
  scopes: Scope[];
}

export interface IssuedToken {
  id: number;
  tenantId: number;
  token: string;
  expiresAt: number;
}

/** How long a bearer token lives unless asked otherwise (docs/api/omicall.md). */
export const BEARER_TTL_MS = 24 * 3600_000;
/** What a bearer token may do: the OmiCall family's routes, and the other families' reads and writes. */
export const BEARER_SCOPES: readonly Scope[] = ['agent', 'queue', 'call', 'status'];
const WS_TTL_MS = 3600_000;
/** Token lifetimes accepted (docs/reliability.md): a second at least; at most 30 days (bearer), 1 day (ws). */
export const TOKEN_TTL_BOUNDS_MS = {
  min: 1_000,
  bearer: 30 * 24 * 3600_000,
  ws: 24 * 3600_000,
} as const;

/**
 * Issues and verifies every kind of credential. Nothing is cached: each check reads the store, so a key revoked
 * from the CLI (another process) is refused on the very next request.
 */
export class CredentialService {
  private readonly keyLookup;
  private readonly keys;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly box: SecretBox,
  ) {
    this.keyLookup = precompile(
      db,
      (hash: string) =>
        db
          .selectFrom('api_keys')
          .innerJoin('tenants', 'tenants.id', 'api_keys.tenant_id')
          .select([
            'api_keys.id',
            'api_keys.tenant_id',
            'api_keys.scopes',
            'api_keys.key_hash',
            'api_keys.revoked_at',
            'tenants.rate_limit_tenant',
            'tenants.rate_limit_route',
          ])
          .where('api_keys.key_hash', '=', hash),
      ['string'],
    );
    this.keys = new CommitMemo<Principal | undefined>(db);
  }

  async createApiKey(tenantId: number, scopes: Scope[], name = 'default'): Promise<IssuedApiKey> {
    await getTenant(this.db, tenantId);
    const key = API_KEY_PREFIX + secretToken(24);
    const prefix = key.slice(0, API_KEY_PREFIX.length + 6);
    const row = await this.db
      .insertInto('api_keys')
      .values({
        tenant_id: tenantId,
        name,
        prefix,
        key_hash: sha256Hex(key),
        scopes: scopes.join(','),
        created_at: this.clock.now(),
        revoked_at: null,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, tenantId, key, prefix, scopes };
  }

  /** Revoke by numeric id or by the full key; returns the revoked key's id. */
  async revokeApiKey(idOrKey: string, tenantId?: number): Promise<number> {
    let q = this.db.selectFrom('api_keys').select(['id', 'tenant_id']);
    q = /^\d+$/.test(idOrKey)
      ? q.where('id', '=', Number(idOrKey))
      : q.where('key_hash', '=', sha256Hex(idOrKey));
    if (tenantId !== undefined) q = q.where('tenant_id', '=', tenantId);
    const row = await q.executeTakeFirst();
    if (!row) throw notFound('api key');
    await this.db
      .updateTable('api_keys')
      .set({ revoked_at: this.clock.now() })
      .where('id', '=', row.id)
      .where('revoked_at', 'is', null)
      .execute();
    return row.id;
  }

  async listApiKeys(tenantId: number) {
    return this.db
      .selectFrom('api_keys')
      .select(['id', 'name', 'prefix', 'scopes', 'created_at', 'revoked_at'])
      .where('tenant_id', '=', tenantId)
      .orderBy('id')
      .execute();
  }

  async verifyApiKey(raw: string | undefined): Promise<Principal | null> {
    if (!raw || !raw.startsWith(API_KEY_PREFIX) || raw.length > 200) return null;
    // The key and its tenant's rate limits, read afresh after any commit to the database (see decisions.md): a
    // key revoked by the CLI or another node is refused on the next request. Between commits the verified
    // principal is memoised by the presented key, so a hit costs neither a query nor a hash.
    const seenVersion = committedVersion(this.db);
    const principal = await this.keys.get(raw, () => this.lookUpApiKey(raw), seenVersion);
    return principal ? { ...principal, seenVersion } : null;
  }

  private async lookUpApiKey(raw: string): Promise<Principal | undefined> {
    const hash = sha256Hex(raw);
    const [row] = await this.keyLookup(hash);
    if (!row || row.revoked_at !== null || !safeEqual(row.key_hash, hash)) return undefined;
    return {
      tenantId: row.tenant_id,
      scopes: new Set(row.scopes.split(',')),
      kind: 'api_key',
      credentialId: row.id,
      limits: { tenant: row.rate_limit_tenant, route: row.rate_limit_route },
    };
  }

  async createApp(
    tenantId: number,
  ): Promise<{ id: number; tenantId: number; appId: string; appSecret: string }> {
    await getTenant(this.db, tenantId);
    const appId = 'app_' + secretToken(12);
    const appSecret = secretToken(32);
    const row = await this.db
      .insertInto('app_credentials')
      .values({
        tenant_id: tenantId,
        app_id: appId,
        secret_enc: this.box.seal(appSecret),
        created_at: this.clock.now(),
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, tenantId, appId, appSecret };
  }

  /** The app's tenant and its decrypted secret (signatures need it), or null for an unknown/revoked app id. */
  async findApp(appId: string | undefined): Promise<{ id: number; tenantId: number; secret: string } | null> {
    if (!appId || appId.length > 100) return null;
    const row = await this.db
      .selectFrom('app_credentials')
      .select(['id', 'tenant_id', 'secret_enc', 'revoked_at'])
      .where('app_id', '=', appId)
      .executeTakeFirst();
    if (!row || row.revoked_at !== null) return null;
    return { id: row.id, tenantId: row.tenant_id, secret: this.box.open(row.secret_enc) };
  }

  /** Revoke an app and the websocket tokens it issued; NOT_FOUND when unknown or already revoked. */
  async revokeApp(appId: string): Promise<void> {
    const now = this.clock.now();
    const row = await this.db
      .updateTable('app_credentials')
      .set({ revoked_at: now })
      .where('app_id', '=', appId)
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (!row) throw notFound('app');
    await this.db
      .updateTable('access_tokens')
      .set({ revoked_at: now })
      .where('app_credential_id', '=', row.id)
      .where('revoked_at', 'is', null)
      .execute();
  }

  async createToken(
    tenantId: number,
    kind: 'bearer' | 'ws',
    opts: { ttlMs?: number; appCredentialId?: number; scopes?: readonly Scope[]; apiKeyId?: number } = {},
  ): Promise<IssuedToken> {
    await getTenant(this.db, tenantId);
    const ttl = opts.ttlMs ?? (kind === 'bearer' ? BEARER_TTL_MS : WS_TTL_MS);
    const max = TOKEN_TTL_BOUNDS_MS[kind];
    if (!Number.isInteger(ttl) || ttl < TOKEN_TTL_BOUNDS_MS.min || ttl > max) {
      throw invalid(
        `token lifetime must be between ${TOKEN_TTL_BOUNDS_MS.min / 1000} and ${max / 1000} seconds`,
        'token_ttl_out_of_range',
      );
    }
    const token = (kind === 'bearer' ? BEARER_PREFIX : WS_PREFIX) + secretToken(32);
    const now = this.clock.now();
    const row = await this.db
      .insertInto('access_tokens')
      .values({
        tenant_id: tenantId,
        kind,
        token_hash: sha256Hex(token),
        app_credential_id: opts.appCredentialId ?? null,
        scopes: opts.scopes ? opts.scopes.join(',') : null,
        api_key_id: opts.apiKeyId ?? null,
        created_at: now,
        expires_at: now + ttl,
      })
      .returning('id')
      .executeTakeFirstOrThrow();
    return { id: row.id, tenantId, token, expiresAt: now + ttl };
  }

  async verifyToken(raw: string | undefined, kind: 'bearer' | 'ws'): Promise<Principal | null> {
    if (!raw || raw.length > 200) return null;
    const hash = sha256Hex(raw);
    const row = await this.db
      .selectFrom('access_tokens')
      .innerJoin('tenants', 'tenants.id', 'access_tokens.tenant_id')
      .leftJoin('api_keys', 'api_keys.id', 'access_tokens.api_key_id')
      .select([
        'access_tokens.id',
        'access_tokens.tenant_id',
        'access_tokens.kind',
        'access_tokens.token_hash',
        'access_tokens.expires_at',
        'access_tokens.revoked_at',
        'access_tokens.scopes',
        'access_tokens.api_key_id',
        'api_keys.revoked_at as key_revoked_at',
        'tenants.rate_limit_tenant',
        'tenants.rate_limit_route',
      ])
      .where('access_tokens.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row || row.kind !== kind || row.revoked_at !== null || row.expires_at <= this.clock.now())
      return null;
    // A token an API key obtained dies with the key.
    if (row.api_key_id !== null && row.key_revoked_at !== null) return null;
    if (!safeEqual(row.token_hash, hash)) return null;
    // Tokens act for their tenant with the scopes an integration of that family needs, or those they were issued.
    const scopes = new Set<string>(
      row.scopes !== null
        ? row.scopes.split(',').filter(Boolean)
        : kind === 'bearer'
          ? BEARER_SCOPES
          : ['call'],
    );
    const limits = { tenant: row.rate_limit_tenant, route: row.rate_limit_route };
    return { tenantId: row.tenant_id, scopes, kind, credentialId: row.id, limits };
  }

  /** Revoke a bearer or ws token given in full; NOT_FOUND when it is unknown or already revoked. */
  async revokeToken(raw: string): Promise<void> {
    const res = await this.db
      .updateTable('access_tokens')
      .set({ revoked_at: this.clock.now() })
      .where('token_hash', '=', sha256Hex(raw))
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (Number(res.numUpdatedRows) === 0) throw notFound('token');
  }
}
